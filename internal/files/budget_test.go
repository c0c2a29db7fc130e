package files

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"testing"
)

// TestBudgetEvictsOldest fills the budget and checks that each new file
// removes the oldest ones, and only as many as needed.
func TestBudgetEvictsOldest(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			s := open(t, m.disk, Options{MaxFile: 300, Budget: 300})
			a := mustPut(t, s, "a", bytes.Repeat([]byte("a"), 100))
			b := mustPut(t, s, "b", bytes.Repeat([]byte("b"), 100))
			c := mustPut(t, s, "c", bytes.Repeat([]byte("c"), 100))
			d := mustPut(t, s, "d", bytes.Repeat([]byte("d"), 150)) // a and b go
			for _, tc := range []struct {
				f    File
				kept bool
			}{{a, false}, {b, false}, {c, true}, {d, true}} {
				if _, ok := s.Get(tc.f.ID); ok != tc.kept {
					t.Errorf("%s kept: %v, want %v", tc.f.Name, ok, tc.kept)
				}
			}
			if st := s.Stats(); st.Files != 2 || st.Bytes != 250 || st.Evictions != 2 || st.Pending != 0 {
				t.Errorf("stats %+v", st)
			}
			if m.disk {
				if got := dirNames(t, s.dir); len(got) != 4 {
					t.Errorf("directory holds %q, want two files and their sidecars", got)
				}
			}
			big := mustPut(t, s, "big", bytes.Repeat([]byte("x"), 300)) // the whole budget
			if st := s.Stats(); st.Files != 1 || st.Bytes != big.Size {
				t.Errorf("stats after a file of the whole budget: %+v", st)
			}
		})
	}
}

// TestBudgetLaterPiece checks the limit when it is passed after several
// pieces of the copy, not in the first read.
func TestBudgetLaterPiece(t *testing.T) {
	const max = 5*copyBuf + 7
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			s := open(t, m.disk, Options{MaxFile: max, Budget: 2 * max})
			keep := mustPut(t, s, "keep", []byte("k"))
			if _, err := s.Put("", "x", newStream(max+1)); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Put of max+1 bytes: %v, want ErrTooLarge", err)
			}
			if st := s.Stats(); st.Files != 1 || st.Bytes != 1 || st.Pending != 0 {
				t.Errorf("stats %+v, want only the first file", st)
			}
			if _, ok := s.Get(keep.ID); !ok {
				t.Errorf("a refused upload evicted a file it did not need room for")
			}
			if f, err := s.Put("", "y", newStream(max)); err != nil || f.Size != max {
				t.Errorf("Put of max bytes: %+v, %v", f, err)
			}
		})
	}
}

// blocking is a reader that sends n bytes, then waits for release before
// its end, so that a Put stays in progress.
type blocking struct {
	r       io.Reader
	sent    chan struct{}
	release chan struct{}
}

func (b *blocking) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		close(b.sent)
		<-b.release
	}
	return n, err
}

// TestUploadsInProgressRemoveNothing holds the room for uploads with
// one in progress and checks that another is refused with ErrBusy,
// removing nothing, and that a finished upload then makes room by the
// rule of the budget.
func TestUploadsInProgressRemoveNothing(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			s := open(t, m.disk, Options{MaxFile: 1000, Budget: 1500, Pending: 1000})
			old := mustPut(t, s, "old", make([]byte, 600))
			slow := &blocking{r: bytes.NewReader(make([]byte, 1000)), sent: make(chan struct{}), release: make(chan struct{})}
			done := make(chan error)
			go func() {
				_, err := s.Put("slow", "slow", slow)
				done <- err
			}()
			<-slow.sent
			if st := s.Stats(); st.Pending != 1000 {
				t.Errorf("pending %d while 1000 bytes are in progress", st.Pending)
			}
			_, err := s.Put("second", "second", zeros(600))
			if !errors.Is(err, ErrBusy) {
				t.Errorf("second upload: %v, want ErrBusy", err)
			}
			if _, ok := s.Get(old.ID); !ok {
				t.Errorf("an upload in progress removed a stored file")
			}
			close(slow.release)
			if err := <-done; err != nil {
				t.Errorf("upload in progress: %v", err)
			}
			// 600 + 1000 is past the budget: the one who holds most loses
			// its oldest, and here that is the newcomer's only file, which
			// stays; so the old one goes.
			if st := s.Stats(); st.Files != 1 || st.Bytes != 1000 || st.Pending != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func zeros(n int) io.Reader { return bytes.NewReader(make([]byte, n)) }

// TestConcurrentPuts runs many uploads at once (run it with -race) and
// checks the budget was never passed and every file kept is whole.
func TestConcurrentPuts(t *testing.T) {
	const n, size = 32, 40 << 10
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			s := open(t, m.disk, Options{MaxFile: size, Budget: 8 * size})
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				wg.Go(func() {
					data := bytes.Repeat([]byte{byte(i)}, size)
					f, err := s.Put("", fmt.Sprint(i), bytes.NewReader(data))
					if err != nil && !errors.Is(err, ErrBusy) {
						errs <- err
					}
					if st := s.Stats(); st.Bytes > 8*size || st.Pending > 4*size {
						errs <- fmt.Errorf("%d stored and %d pending bytes, over the budget or the room for uploads", st.Bytes, st.Pending)
					}
					if err == nil {
						if res := fetch(s, "GET", f.URLPath(), nil); res.StatusCode == 200 && !bytes.Equal(body(t, res), data) {
							errs <- fmt.Errorf("file %d served with other bytes", i)
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			st := s.Stats()
			if st.Pending != 0 || st.Bytes > 8*size || st.Bytes != int64(st.Files)*size {
				t.Errorf("stats %+v", st)
			}
			if m.disk {
				if got := dirNames(t, s.dir); len(got) != 2*st.Files {
					t.Errorf("directory holds %d names for %d files", len(got), st.Files)
				}
			}
		})
	}
}

// TestPutMemoryBounded uploads 32 MiB to disk and checks that the heap
// grew by far less: the file is never held in memory.
func TestPutMemoryBounded(t *testing.T) {
	const size = 32 << 20
	s := open(t, true, Options{MaxFile: size, Budget: size})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f, err := s.Put("", "big", newStream(size))
	runtime.ReadMemStats(&after)
	if err != nil || f.Size != size {
		t.Fatalf("Put: %+v, %v", f, err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("Put of %d bytes allocated %d bytes", size, alloc)
	}
}
