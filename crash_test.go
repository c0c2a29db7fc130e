//go:build unix

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// These tests run the real binary with -data, kill it with SIGKILL and
// damage its log, and check what a restarted server tells newcomers.

// seen is a message as a client received it.
type seen struct{ id, text string }

// readHistory joins the server at addr as name and returns every message
// the room replays, in order (the server runs with a replay as large as
// what it keeps).
func readHistory(t *testing.T, addr, name string) []seen {
	t.Helper()
	in := listen(dial(t, addr, "/ws/chat?format=json&name="+name))
	if e := in.event(t); e.Type != "welcome" {
		t.Fatalf("got %+v, want a welcome", e)
	}
	// A marker sent privately comes after all the history.
	in.c.sendText("/msg " + name + " end")
	var got []seen
	for {
		e := in.event(t)
		if e.Type == "private" {
			return got
		}
		if !e.History {
			t.Fatalf("got %+v among the history", e)
		}
		got = append(got, seen{e.ID, e.Text})
	}
}

func TestHistorySurvivesKill9(t *testing.T) {
	if testing.Short() {
		skip(t, "-short: it builds the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	args := []string{"-data", dir, "-history-keep", "100000", "-history-replay", "100000"}
	// all is the room's history as the last start replayed it, then every
	// message a client saw since. The log may keep a few more, written
	// but not yet delivered when the server died: those come after.
	var all []seen
	for round, after := range []int{1, 150, 700} {
		cmd, addr, logs := startBinary(t, bin, args...)
		got := readHistory(t, addr, fmt.Sprint("check", round))
		if len(got) < len(all) || !slices.Equal(got[:len(all)], all) {
			t.Fatalf("round %d: after a restart the room replays %d messages, which do not start with the %d seen before\n%s", round, len(got), len(all), logs)
		}
		all = got
		watcher := listen(dial(t, addr, "/ws/chat?format=json&name=watcher"))
		watcher.event(t) // the welcome; the history was checked above
		for range len(all) {
			watcher.event(t)
		}
		// Two senders flat out; the watcher records what it sees, and the
		// server dies after it has seen `after` more.
		var stop atomic.Bool
		for s := range 2 {
			c := dial(t, addr, fmt.Sprintf("/ws/chat?name=sender%d", s))
			c.next()
			go func() {
				for i := 0; !stop.Load() && i < 100000; i++ {
					if _, err := c.nc.Write(clientFrame(true, opText, true, c.key, fmt.Appendf(nil, "r%d s%d m%d", round, s, i))); err != nil {
						return
					}
				}
			}()
		}
		for n := 0; n < after; {
			e := watcher.event(t)
			if e.Type == "message" {
				all = append(all, seen{e.ID, e.Text})
				n++
			}
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		stop.Store(true)
		// What reached the watcher before the kill was in the log first.
		for {
			m := watcher.next(t)
			if m == "EOF" || strings.HasPrefix(m, "CLOSE") {
				break
			}
			var e event
			if jsonEvent(m, &e) && e.Type == "message" {
				all = append(all, seen{e.ID, e.Text})
			}
		}
		cmd.Wait()
	}
	_, addr, _ := startBinary(t, bin, args...)
	got := readHistory(t, addr, "last")
	if len(got) < len(all) || !slices.Equal(got[:len(all)], all) {
		t.Fatalf("the room replays %d messages, which do not start with the %d seen", len(got), len(all))
	}
	// Ids keep increasing across restarts.
	for i := 1; i < len(got); i++ {
		if !parseTestID(t, got[i-1].id).Less(parseTestID(t, got[i].id)) {
			t.Fatalf("id %s came after %s", got[i].id, got[i-1].id)
		}
	}
	t.Logf("%d messages seen over 3 kills, all kept; %d kept in all", len(all), len(got))
}

// segments returns the room log's segment files under the data dir, oldest first.
func segments(t *testing.T, dir string) []string {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(dir, "history", "*.seg"))
	if err != nil || len(segs) == 0 {
		t.Fatalf("no segment files in %s (%v)", dir, err)
	}
	slices.Sort(segs)
	return segs
}

func TestHistoryRepairsATornTail(t *testing.T) {
	if testing.Short() {
		skip(t, "-short: it builds the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	cmd, addr, _ := startBinary(t, bin, "-data", dir)
	alice := join(t, addr, "alice")
	alice.say(t, "alice", "one", "two")
	stopBinary(t, cmd)

	seg := segments(t, dir)[0]
	info, _ := os.Stat(seg)
	f, err := os.OpenFile(seg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{40, 0, 0, 0, 1, 2, 3, 4, 5}) // a record cut short by a crash
	f.Close()

	_, addr, logs := startBinary(t, bin, "-data", dir)
	bob := join(t, addr, "bob")
	bob.expect(t, "alice: one")
	bob.expect(t, "alice: two")
	bob.say(t, "bob", "three")
	want := fmt.Sprintf("offset=%d", info.Size())
	if !eventually(func() bool { return strings.Contains(logs.String(), want) }) {
		t.Errorf("the log does not say where the tail was cut (%s):\n%s", want, logs)
	}
}

func TestHistoryRefusesToStartOnDamage(t *testing.T) {
	if testing.Short() {
		skip(t, "-short: it builds the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	cmd, addr, _ := startBinary(t, bin, "-data", dir)
	alice := join(t, addr, "alice")
	alice.say(t, "alice", "one", "two", "three")
	stopBinary(t, cmd)

	seg := segments(t, dir)[0]
	b, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	b[12] ^= 0x40 // inside the first record, with two intact ones after it
	if err := os.WriteFile(seg, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-addr", "127.0.0.1:0", "-data", dir).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("got %v, want exit status 1\n%s", err, out)
	}
	want := fmt.Sprintf("damaged record in %s at offset 0", filepath.Base(seg))
	if !strings.Contains(string(out), want) {
		t.Errorf("output does not say %q:\n%s", want, out)
	}
}

func TestDataDirectoryIsLocked(t *testing.T) {
	if testing.Short() {
		skip(t, "-short: it builds the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	startBinary(t, bin, "-data", dir)
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-data", dir)
	done := make(chan struct{})
	var out []byte
	var err error
	go func() {
		out, err = cmd.CombinedOutput()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(testTimeout):
		cmd.Process.Kill()
		t.Fatal("a second server on the same -data did not stop")
	}
	if err == nil || !strings.Contains(string(out), "is in use by another process") {
		t.Errorf("got %v:\n%s\nwant a refusal naming the directory in use", err, out)
	}
}

// jsonEvent decodes m into e, and reports whether it was a JSON event.
func jsonEvent(m string, e *event) bool { return json.Unmarshal([]byte(m), e) == nil }
