package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// smallDisk mounts a 256 KiB tmpfs for the test, or skips the test when
// mounting is not permitted.
func smallDisk(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=256k"); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill up (needs root or CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// A full disk fails every record of the batch, leaves the log as it was,
// counts the failures, and appends work again once there is space.
func TestFullDisk(t *testing.T) {
	disk := smallDisk(t)
	filler := filepath.Join(disk, "filler")
	if err := os.WriteFile(filler, make([]byte, 192<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(disk, "log")
	o := Options{Dir: dir, SegmentSize: 1 << 20}
	l := mustOpen(t, o)
	chunk := strings.Repeat("p", 1000)
	var acked []string
	var full error
	for i := 0; full == nil; i++ {
		if i == 200 {
			t.Fatal("200 KiB appended to a nearly full 256 KiB disk without an error")
		}
		p := fmt.Sprint(i, chunk)
		if _, err := appendWait(t, l, "lobby", p); err != nil {
			full = err
		} else {
			acked = append(acked, p)
		}
	}
	if !errors.Is(full, syscall.ENOSPC) || !strings.HasPrefix(full.Error(), "store: write 00000001.seg: ") {
		t.Errorf("error = %v, want a write of 00000001.seg failing with ENOSPC", full)
	}

	// A batch of concurrent appends fails as a whole and changes nothing.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed int
	for i := range 16 {
		wg.Add(1)
		l.Append("lobby", "", []byte(fmt.Sprint("failed ", i, chunk)), func(_ Record, err error) {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			if errors.Is(err, syscall.ENOSPC) {
				failed++
			}
		})
	}
	wg.Wait()
	s := l.Stats()
	if failed != 16 || s.Failures != 17 {
		t.Errorf("%d of 16 appends failed with ENOSPC, Failures=%d; want 16 and 17", failed, s.Failures)
	}
	if size := fileSize(t, segFile(dir, 1)); size != s.DiskBytes {
		t.Errorf("segment is %d bytes after failed writes, want %d (cut back)", size, s.DiskBytes)
	}
	if got := payloads(l.Last("lobby", 1000)); !slices.Equal(got, acked) {
		t.Errorf("history holds %d records, want the %d acknowledged", len(got), len(acked))
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	acked = append(acked, "after space came back")
	mustAppend(t, l, "lobby", acked[len(acked)-1])
	l.Close()
	l = mustOpen(t, o)
	if got := payloads(l.Last("lobby", 1000)); !slices.Equal(got, acked) {
		t.Errorf("after reopen %d records, want the %d acknowledged and nothing else", len(got), len(acked))
	}
}
