//go:build unix

package store

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// crashEnv names the directory a re-executed test binary appends to.
const crashEnv = "STORE_CRASH_CHILD_DIR"

// kill -9 at any moment loses nothing whose done was called: a child
// process appends flat out and prints each acknowledged ID; the parent
// kills it mid-stream, reopens the log and looks for every one of them.
func TestKill9LosesNothingAcknowledged(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(t, dir)
		return
	}
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	dir := t.TempDir()
	acked := map[string][]ID{}
	for round, killAt := range []int{50, 700, 3000} {
		got := runAndKill(t, dir, killAt)
		for room, ids := range got {
			acked[room] = append(acked[room], ids...)
		}
		l := mustOpen(t, Options{Dir: dir, Keep: 1 << 20, Logger: testLogger(t)})
		for room, ids := range acked {
			kept := l.After(room, ID{}, 1<<20)
			if missing := notIn(ids, kept); missing != "" {
				t.Fatalf("round %d, room %s: acknowledged %s is lost (%d acknowledged, %d kept)", round, room, missing, len(ids), len(kept))
			}
			if id := mustAppend(t, l, room, "parent"); !kept[len(kept)-1].ID.Less(id) {
				t.Fatalf("round %d: new ID %v not after the newest kept %v", round, id, kept[len(kept)-1].ID)
			}
		}
		t.Logf("round %d: killed after %d acknowledgements; all found", round, killAt)
		l.Close()
	}
}

// runAndKill runs a child appending to dir and kills it with SIGKILL
// once it has acknowledged killAt records; it returns every ID the child
// acknowledged, by room, in acknowledgement order.
func runAndKill(t *testing.T, dir string, killAt int) map[string][]ID {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9LosesNothingAcknowledged$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	acked := map[string][]ID{}
	n := 0
	for sc := bufio.NewScanner(out); sc.Scan(); {
		room, s, ok := strings.Cut(sc.Text(), " ")
		id, err := ParseID(s)
		if !ok || err != nil {
			continue // the test framework's own lines
		}
		acked[room] = append(acked[room], id)
		if n++; n == killAt {
			cmd.Process.Signal(syscall.SIGKILL)
		}
	}
	err = cmd.Wait()
	if n < killAt {
		t.Fatalf("child acknowledged only %d records (%v): %s", n, err, stderr.String())
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child was not killed by SIGKILL: %v: %s", err, stderr.String())
	}
	return acked
}

// notIn returns the first of ids missing from recs in order, or "".
func notIn(ids []ID, recs []Record) string {
	j := 0
	for _, id := range ids {
		for j < len(recs) && recs[j].ID != id {
			j++
		}
		if j == len(recs) {
			return id.String()
		}
		j++
	}
	return ""
}

// crashChild appends to four rooms from eight goroutines and prints each
// acknowledged ID until killed, or for at most 200,000 records or 30 s.
func crashChild(t *testing.T, dir string) {
	l, err := Open(Options{Dir: dir, Keep: 1 << 20, SegmentSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	var wg sync.WaitGroup
	for w := range 8 {
		room := fmt.Sprint("room", w%4)
		wg.Go(func() {
			for i := 0; i < 25000 && time.Now().Before(deadline); i++ {
				l.Append(room, "", []byte(strings.Repeat("z", i%300)), func(r Record, err error) {
					if err == nil {
						os.Stdout.WriteString(room + " " + r.ID.String() + "\n")
					}
				})
			}
		})
	}
	wg.Wait()
	l.Close()
}
