package memory

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The record of mailboxes holds at most its size, survives a restart in
// its file, and the file stays within twice the size in lines.
func TestMailboxesBoundedAndKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mailboxes")
	b, err := OpenMailboxes(path, 10)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		if err := b.Open(fmt.Sprint("name", i)); err != nil {
			t.Fatal(err)
		}
		if i%7 == 0 {
			b.Open("alice") // renewed: opened last again
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(data), "\n"); lines > 20 {
		t.Errorf("the file holds %d lines, want at most twice the size", lines)
	}
	b.Close()
	b, err = OpenMailboxes(path, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, tt := range []struct {
		owner string
		has   bool
	}{{"name999", true}, {"name991", true}, {"alice", true}, {"name990", false}, {"name0", false}, {"bob", false}} {
		if got := b.Has(tt.owner); got != tt.has {
			t.Errorf("after a restart, %s has a mailbox: %v, want %v", tt.owner, got, tt.has)
		}
	}
}
