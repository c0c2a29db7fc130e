package files

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestPutLimits feeds Put bodies at, over and under the limit and broken
// ones, and checks what is kept: a refused upload leaves nothing behind,
// on disk or in the budget.
func TestPutLimits(t *testing.T) {
	const max = 1024
	tests := []struct {
		name    string
		body    func() io.Reader
		size    int64 // stored size when no error
		wantErr error
	}{
		{"exactly at the limit", func() io.Reader { return bytes.NewReader(make([]byte, max)) }, max, nil},
		{"one byte", func() io.Reader { return strings.NewReader("x") }, 1, nil},
		{"over the limit by one byte", func() io.Reader { return bytes.NewReader(make([]byte, max+1)) }, 0, ErrTooLarge},
		{"a megabyte stream", func() io.Reader { return newStream(1 << 20) }, 0, ErrTooLarge},
		{"empty", func() io.Reader { return strings.NewReader("") }, 0, ErrEmpty},
		{"cut by MaxBytesReader", func() io.Reader {
			return http.MaxBytesReader(nil, io.NopCloser(newStream(max)), 100)
		}, 0, ErrTooLarge},
		{"connection lost midway", func() io.Reader { return &failing{n: 100, err: errBroken} }, 0, errBroken},
	}
	for _, m := range modes {
		for _, tt := range tests {
			t.Run(m.name+"/"+tt.name, func(t *testing.T) {
				s := open(t, m.disk, Options{MaxFile: max, Budget: 4 * max})
				f, err := s.Put("", "a.bin", tt.body())
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Put: %v, want %v", err, tt.wantErr)
				}
				st := s.Stats()
				if st.Pending != 0 {
					t.Errorf("%d bytes still reserved after Put", st.Pending)
				}
				var want []string
				if err == nil {
					if f.Size != tt.size || st.Bytes != tt.size || st.Files != 1 {
						t.Errorf("size %d, stats %+v; want %d bytes in 1 file", f.Size, st, tt.size)
					}
					if got, ok := s.Get(f.ID); !ok || got != f {
						t.Errorf("Get = %+v, %v; want %+v", got, ok, f)
					}
					want = []string{f.ID, f.ID + ".json"}
				} else if st.Files != 0 || st.Bytes != 0 {
					t.Errorf("stats after a refused Put: %+v", st)
				}
				if m.disk {
					if got := dirNames(t, s.dir); !slices.Equal(got, want) {
						t.Errorf("directory holds %q, want %q", got, want)
					}
				}
			})
		}
	}
}

// TestPutIDs checks that ids are 128 bits of hex and differ.
func TestPutIDs(t *testing.T) {
	s := open(t, false, Options{})
	seen := map[string]bool{}
	for range 100 {
		f := mustPut(t, s, "x", []byte("x"))
		if !validID(f.ID) || seen[f.ID] {
			t.Fatalf("id %q: not 32 hex digits or seen before", f.ID)
		}
		seen[f.ID] = true
	}
}

// TestPutSniffs checks the stored type comes from the bytes, never the
// name, and which files are pictures shown inline.
func TestPutSniffs(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		data     []byte
		wantType string
		inline   bool
	}{
		{"png", "a.png", pngBytes(t), "image/png", true},
		{"jpeg", "a.jpg", jpegBytes(t), "image/jpeg", true},
		{"gif", "a.gif", gifBytes(t), "image/gif", true},
		{"webp", "a.webp", webpBytes(), "image/webp", true},
		{"html named png", "cat.png", []byte("<!DOCTYPE html><script>alert(1)</script>"), "text/html; charset=utf-8", false},
		{"html after blanks", "cat.gif", []byte("\n\t <html><body onload=alert(1)>"), "text/html; charset=utf-8", false},
		{"svg with script", "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "text/plain; charset=utf-8", false},
		{"svg with xml declaration", "logo.png", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), "text/xml; charset=utf-8", false},
		{"pdf", "report.pdf", []byte("%PDF-1.7\n"), "application/pdf", false},
		{"png header then html", "x.html", append(pngBytes(t)[:8], "<html>"...), "image/png", true},
		{"text named jpg", "notes.jpg", []byte("just text"), "text/plain; charset=utf-8", false},
		{"binary", "a.exe", []byte("MZ\x90\x00\x03\x00\x00\x00"), "application/octet-stream", false},
	}
	s := open(t, false, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustPut(t, s, tt.file, tt.data)
			if f.Type != tt.wantType || f.Inline() != tt.inline {
				t.Errorf("type %q inline %v, want %q inline %v", f.Type, f.Inline(), tt.wantType, tt.inline)
			}
		})
	}
}

// TestPutCleansName checks that the stored name is the cleaned one.
func TestPutCleansName(t *testing.T) {
	s := open(t, true, Options{})
	f := mustPut(t, s, "../../etc/passwd", []byte("root:x:0:0"))
	if f.Name != "passwd" {
		t.Errorf("name %q, want passwd", f.Name)
	}
	if got := dirNames(t, s.dir); !slices.Equal(got, []string{f.ID, f.ID + ".json"}) {
		t.Errorf("directory holds %q", got)
	}
}

// TestClosed checks Put after Close.
func TestClosed(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			s := open(t, m.disk, Options{})
			s.Close()
			if _, err := s.Put("", "a", strings.NewReader("a")); !errors.Is(err, ErrClosed) {
				t.Errorf("Put after Close: %v, want ErrClosed", err)
			}
			if m.disk {
				if got := dirNames(t, s.dir); len(got) != 0 {
					t.Errorf("directory holds %q", got)
				}
			}
		})
	}
}

// TestOpenOptions checks the limits Open accepts.
func TestOpenOptions(t *testing.T) {
	tests := []struct {
		name        string
		o           Options
		wantMax     int64
		wantBudget  int64
		wantFailure bool
	}{
		{"memory defaults", Options{}, DefaultMaxFile, DefaultMemoryBudget, false},
		{"disk defaults", Options{Dir: t.TempDir()}, DefaultMaxFile, DefaultDiskBudget, false},
		{"max file over the budget", Options{MaxFile: 2 << 20, Budget: 1 << 20}, 0, 0, true},
		{"negative max file", Options{MaxFile: -1}, 0, 0, true},
		{"max file equal to the budget", Options{MaxFile: 1 << 20, Budget: 1 << 20}, 1 << 20, 1 << 20, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(tt.o)
			if (err != nil) != tt.wantFailure {
				t.Fatalf("Open: %v, want failure %v", err, tt.wantFailure)
			}
			if err == nil && (s.maxFile != tt.wantMax || s.budget != tt.wantBudget) {
				t.Errorf("max file %d budget %d, want %d and %d", s.maxFile, s.budget, tt.wantMax, tt.wantBudget)
			}
		})
	}
}

// TestCloseDuringPut closes the store while an upload is in progress and
// checks that the upload fails and leaves nothing behind.
func TestCloseDuringPut(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			s := open(t, m.disk, Options{})
			slow := &blocking{r: strings.NewReader("hello"), sent: make(chan struct{}), release: make(chan struct{})}
			done := make(chan error)
			go func() {
				_, err := s.Put("", "slow", slow)
				done <- err
			}()
			<-slow.sent
			s.Close()
			close(slow.release)
			if err := <-done; !errors.Is(err, ErrClosed) {
				t.Errorf("Put: %v, want ErrClosed", err)
			}
			if st := s.Stats(); st.Files != 0 || st.Pending != 0 {
				t.Errorf("stats %+v", st)
			}
			if m.disk {
				if got := dirNames(t, s.dir); len(got) != 0 {
					t.Errorf("directory holds %q", got)
				}
			}
		})
	}
}
