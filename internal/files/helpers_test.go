package files

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"
)

// modes runs a test with a store on disk and one in memory.
var modes = []struct {
	name string
	disk bool
}{{"disk", true}, {"memory", false}}

// clock gives times a second apart, so that files have distinct,
// ordered creation times.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// open opens a store, on disk in a new directory if disk, closed when
// the test ends.
func open(t testing.TB, disk bool, o Options) *Store {
	t.Helper()
	if disk && o.Dir == "" {
		o.Dir = t.TempDir()
	}
	if o.Now == nil {
		o.Now = newClock().Now
	}
	s, err := Open(o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// mustPut stores data, failing the test on error.
func mustPut(t testing.TB, s *Store, name string, data []byte) File {
	t.Helper()
	f, err := s.Put("", name, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Put(%q, %d bytes): %v", name, len(data), err)
	}
	return f
}

// dirNames lists the names in dir, sorted.
func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	slices.Sort(names)
	return names
}

// fetch serves one request for path through s.
func fetch(s *Store, method, path string, header http.Header) *http.Response {
	r := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w.Result()
}

// body reads a response body.
func body(t testing.TB, res *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// picture encodes a small picture with enc.
func picture(t testing.TB, enc func(io.Writer, image.Image) error) []byte {
	t.Helper()
	img := image.NewPaletted(image.Rect(0, 0, 4, 4), []color.Color{color.Black, color.White})
	var b bytes.Buffer
	if err := enc(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngBytes(t testing.TB) []byte { return picture(t, png.Encode) }
func gifBytes(t testing.TB) []byte {
	return picture(t, func(w io.Writer, m image.Image) error { return gif.Encode(w, m, nil) })
}
func jpegBytes(t testing.TB) []byte {
	return picture(t, func(w io.Writer, m image.Image) error { return jpeg.Encode(w, m, nil) })
}

// webpBytes is the start of a lossy WebP file (RIFF container, VP8
// chunk), enough for sniffing.
func webpBytes() []byte {
	return append([]byte("RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00"), make([]byte, 24)...)
}

// stream is a reader of n bytes generated without holding them: a
// pattern repeated.
type stream struct {
	n, off int64
	pat    []byte
}

func newStream(n int64) *stream {
	pat := make([]byte, 4096)
	for i := range pat {
		pat[i] = byte(i * 7)
	}
	return &stream{n: n, pat: pat}
}

func (g *stream) Read(p []byte) (int, error) {
	if g.off >= g.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), g.n-g.off)]
	for k := 0; k < len(p); {
		k += copy(p[k:], g.pat[(g.off+int64(k))%int64(len(g.pat)):])
	}
	g.off += int64(len(p))
	return len(p), nil
}

// failing is a reader that returns n bytes, then err.
type failing struct {
	n   int
	err error
}

func (f *failing) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, f.err
	}
	k := min(len(p), f.n)
	f.n -= k
	return k, nil
}

var errBroken = errors.New("connection reset")
