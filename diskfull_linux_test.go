package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestHistoryFullDiskRefusesTheMessage fills the disk under -data (a
// small tmpfs of the test's own): a message that cannot be kept goes to
// nobody, its sender is told, /metrics counts it, and once there is room
// again messages flow.
func TestHistoryFullDiskRefusesTheMessage(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=256k"); err != nil {
		skip(t, "cannot mount a small tmpfs to fill up (needs root or CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	cfg := testConfig()
	cfg.DataDir = dir
	srv, addr := startHTTP(t, cfg)
	alice := join(t, addr, "alice")
	bob := join(t, addr, "bob")
	alice.expect(t, "* bob joined")
	alice.say(t, "alice", "before")
	bob.expect(t, "alice: before")

	filler := filepath.Join(dir, "filler")
	fill(t, filler)
	// Longer than what is left of the log's last page, which the full
	// file system would still take.
	alice.c.sendText("lost to a full disk " + strings.Repeat("x", 16<<10))
	alice.expect(t, "* your message was not sent: the server could not store it; try again later")
	bob.quiet(t, "bob")
	scrapeUntil(t, srv, map[string]float64{"wschat_messages_not_stored_total": 1, "wschat_history_failures_total": 1})

	os.Remove(filler)
	alice.say(t, "alice", "room again")
	bob.expect(t, "alice: room again")
}

// fill writes to path until the disk is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 4096)
	for range 1 << 20 {
		if _, err := f.Write(block); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill: %v", err)
			}
			return
		}
	}
	t.Fatal("the disk never filled up")
}
