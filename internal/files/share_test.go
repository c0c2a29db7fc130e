package files

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// putAs stores data as owner's, failing the test on error.
func putAs(t testing.TB, s *Store, owner, name string, data []byte) File {
	t.Helper()
	f, err := s.Put(owner, name, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Put(%s, %q): %v", owner, name, err)
	}
	return f
}

// The flood of the bug this guards against: one uploader sending file
// after file of the largest size. Whoever holds most loses its own
// oldest: alice's report stays.
func TestAFloodOfUploadsEvictsTheFlooder(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			s := open(t, m.disk, Options{MaxFile: 100, Budget: 400})
			report := putAs(t, s, "alice", "report.pdf", []byte("a small report"))
			for i := range 7 {
				putAs(t, s, "mallory", fmt.Sprint("junk", i), make([]byte, 100))
			}
			for i := range 7 {
				putAs(t, s, fmt.Sprint("sybil", i), fmt.Sprint("junk", i), make([]byte, 100))
			}
			if _, ok := s.Get(report.ID); !ok {
				t.Errorf("alice's report was removed by others' uploads")
			}
			if st := s.Stats(); st.Bytes > 400 || st.Pending != 0 {
				t.Errorf("stats %+v, over the budget", st)
			}
		})
	}
}

// An uploader past its share loses its own oldest files, however much
// room there is.
func TestShareRemovesTheUploadersOwnOldest(t *testing.T) {
	s := open(t, false, Options{MaxFile: 100, Budget: 10_000, Share: 250})
	bob := putAs(t, s, "bob", "b", make([]byte, 100))
	var mine []File
	for i := range 4 {
		mine = append(mine, putAs(t, s, "alice", fmt.Sprint("p", i), make([]byte, 100)))
	}
	for i, f := range mine {
		if _, ok := s.Get(f.ID); ok != (i >= 2) {
			t.Errorf("alice's file %d kept: %v, want only her newest two", i, ok)
		}
	}
	if _, ok := s.Get(bob.ID); !ok {
		t.Errorf("bob's file went for alice's share")
	}
}

// Uploads in progress of one uploader hold its share, not everyone's
// room: another uploads meanwhile.
func TestStalledUploadsHoldTheirOwnShare(t *testing.T) {
	s := open(t, false, Options{MaxFile: 1000, Budget: 4000, Share: 1000, Pending: 3000})
	stuck := &blocking{r: bytes.NewReader(make([]byte, 1000)), sent: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error)
	go func() {
		_, err := s.Put("mallory", "stuck", stuck)
		done <- err
	}()
	<-stuck.sent
	if _, err := s.Put("mallory", "more", zeros(10)); !errors.Is(err, ErrShare) {
		t.Errorf("a second upload of the same uploader: %v, want ErrShare", err)
	}
	putAs(t, s, "alice", "a", make([]byte, 1000))
	close(stuck.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Pending != 0 || st.Owners != 2 {
		t.Errorf("stats %+v", st)
	}
}

// The uploader is kept in the sidecar: after a restart with a smaller
// budget, the one who holds most loses its files first.
func TestOwnersSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	s := open(t, true, Options{Dir: dir, Now: clk.Now, MaxFile: 100, Budget: 1000})
	alice := putAs(t, s, "alice", "a", make([]byte, 100))
	for i := range 3 {
		putAs(t, s, "mallory", fmt.Sprint("m", i), make([]byte, 100))
	}
	s.Close()
	s = open(t, true, Options{Dir: dir, Now: clk.Now, MaxFile: 100, Budget: 300})
	if f, ok := s.Get(alice.ID); !ok || f.Owner != "alice" {
		t.Errorf("alice's file after a restart: %+v, %v", f, ok)
	}
	if st := s.Stats(); st.Files != 3 || st.Bytes != 300 {
		t.Errorf("stats after a restart %+v", st)
	}
}

// An upload that stops sending is cut after the idle timeout, and what
// it reserved is given back; one that keeps sending at the least rate, or
// faster, however long it takes, is not cut by the server's deadline for
// requests; one that trickles below it is.
func TestStalledUploadIsCut(t *testing.T) {
	s := open(t, false, Options{MaxFile: 1 << 20, IdleTimeout: time.Second, MinRate: 200})
	srv := httptest.NewUnstartedServer(upload(s))
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = time.Second, time.Second
	srv.Start()
	defer srv.Close()

	nc, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	fmt.Fprintf(nc, "POST /files?name=x HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n%s", make([]byte, 50_000))
	waitUntil(t, "the stalled upload to reserve its bytes", func() bool { return s.Stats().Pending > 0 })
	waitUntil(t, "the stalled upload to give its bytes back", func() bool { return s.Stats().Pending == 0 })

	for _, tc := range []struct {
		name  string
		piece int // bytes every 200 ms
		want  int
	}{
		{"a slow upload above the least rate", 100, http.StatusCreated}, // 500 B/s
		{"a trickle below it", 10, http.StatusRequestTimeout},           // 50 B/s
	} {
		pr, pw := io.Pipe()
		go func() {
			for range 10 { // 2 s, twice the server's deadlines, a piece every fifth of the idle timeout
				if _, err := pw.Write(make([]byte, tc.piece)); err != nil {
					return // cut off
				}
				time.Sleep(200 * time.Millisecond)
			}
			pw.Close()
		}()
		req, _ := http.NewRequest("POST", srv.URL+"/files?name=slow", pr)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		res.Body.Close()
		pr.Close()
		if res.StatusCode != tc.want {
			t.Errorf("%s: %s, want %d", tc.name, res.Status, tc.want)
		}
	}
}

// waitUntil waits for cond, polling.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: not within 10 s", what)
		}
	}
}
