package files

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestReopen checks that files survive a restart on the same directory,
// with their name, type, size and time, and are served the same.
func TestReopen(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	s := open(t, true, Options{Dir: dir, Now: clk.Now})
	want := []File{
		mustPut(t, s, "cat.png", pngBytes(t)),
		mustPut(t, s, "page.png", []byte("<html><script>alert(1)</script>")),
	}
	s.Close()

	s = open(t, true, Options{Dir: dir, Now: clk.Now})
	for _, f := range want {
		got, ok := s.Get(f.ID)
		if !ok || got.Name != f.Name || got.Type != f.Type || got.Size != f.Size || !got.Created.Equal(f.Created) {
			t.Errorf("after Open: %+v, %v; want %+v", got, ok, f)
		}
		res := fetch(s, "GET", f.URLPath(), nil)
		if res.StatusCode != 200 || int64(len(body(t, res))) != f.Size || res.Header.Get("Content-Type") != f.Type {
			t.Errorf("GET %s after Open: %s %q", f.URLPath(), res.Status, res.Header.Get("Content-Type"))
		}
	}
	if st := s.Stats(); st.Files != 2 || st.Bytes != want[0].Size+want[1].Size {
		t.Errorf("stats after Open: %+v", st)
	}
}

// TestOpenLeftovers leaves on disk what interrupted uploads and removals
// leave, and forged sidecars, and checks that Open keeps only whole files.
func TestOpenLeftovers(t *testing.T) {
	const (
		good  = "0123456789abcdef0123456789abcdef"
		other = "fedcba9876543210fedcba9876543210"
	)
	sidecar := `{"name":"a.txt","size":5,"created":"2026-01-02T03:04:05Z"}`
	tests := []struct {
		name     string
		files    map[string]string // name -> content, beside the good file
		keep     []string          // names left besides the good file
		goodGone bool              // the good file counts as interrupted too
		symlink  bool              // other is a symbolic link out of the directory
	}{
		{"nothing else", nil, nil, false, false},
		{"torn upload", map[string]string{other + ".tmp": "hel"}, nil, false, false},
		{"torn sidecar", map[string]string{other + ".tmp": "hello", other + ".json.tmp": `{"na`}, nil, false, false},
		{"renamed bytes, sidecar not yet", map[string]string{other: "hello", other + ".json.tmp": sidecar}, nil, false, false},
		{"bytes without sidecar", map[string]string{other: "hello"}, nil, false, false},
		{"sidecar without bytes", map[string]string{other + ".json": sidecar}, nil, false, false},
		{"sidecar not JSON", map[string]string{other: "hello", other + ".json": "garbage"}, nil, false, false},
		{"sidecar with wrong size", map[string]string{other: "hello!", other + ".json": sidecar}, nil, false, false},
		{"sidecar with zero size", map[string]string{other: "", other + ".json": strings.Replace(sidecar, `"size":5`, `"size":0`, 1)}, nil, false, false},
		{"sidecar with unclean name", map[string]string{other: "hello", other + ".json": strings.Replace(sidecar, "a.txt", `../a.txt`, 1)}, nil, false, false},
		{"sidecar too large", map[string]string{other: "hello", other + ".json": sidecar + strings.Repeat(" ", maxMeta)}, nil, false, false},
		{"stray temp of a good file", map[string]string{good + ".tmp": "x"}, nil, true, false},
		{"bytes are a link out", map[string]string{other + ".json": `{"name":"a","size":1}`}, nil, false, true},
		{"unknown names left alone", map[string]string{"README": "x", "ABCDEF.json": "{}"}, []string{"ABCDEF.json", "README"}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{good: "hello", good + ".json": sidecar}
			for k, v := range tt.files {
				files[k] = v
			}
			if tt.symlink {
				secret := filepath.Join(t.TempDir(), "secret")
				if err := os.WriteFile(secret, []byte("x"), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(secret, filepath.Join(dir, other)); err != nil {
					t.Fatal(err)
				}
			}
			for name, content := range files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			s := open(t, true, Options{Dir: dir})
			want := append([]string{}, tt.keep...)
			if !tt.goodGone {
				want = append(want, good, good+".json")
			}
			if _, ok := s.Get(good); ok == tt.goodGone {
				t.Errorf("whole file loaded: %v, want %v", ok, !tt.goodGone)
			}
			slices.Sort(want)
			if got := dirNames(t, dir); !slices.Equal(got, want) {
				t.Errorf("directory holds %q, want %q", got, want)
			}
			if _, ok := s.Get(other); ok {
				t.Errorf("a leftover was loaded")
			}
		})
	}
}

// TestOpenAppliesBudget checks that a smaller budget on Open removes the
// oldest files.
func TestOpenAppliesBudget(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	s := open(t, true, Options{Dir: dir, Now: clk.Now, MaxFile: 100, Budget: 300})
	var fs []File
	for _, n := range []string{"a", "b", "c"} {
		fs = append(fs, mustPut(t, s, n, bytes.Repeat([]byte(n), 100)))
	}
	s.Close()
	s = open(t, true, Options{Dir: dir, Now: clk.Now, MaxFile: 100, Budget: 200})
	if _, ok := s.Get(fs[0].ID); ok {
		t.Errorf("the oldest file survived a smaller budget")
	}
	for _, f := range fs[1:] {
		if _, ok := s.Get(f.ID); !ok {
			t.Errorf("%s removed, not the oldest", f.Name)
		}
	}
	if got := dirNames(t, dir); len(got) != 4 {
		t.Errorf("directory holds %q, want two files and their sidecars", got)
	}
	if st := s.Stats(); st.Bytes != 200 || st.Evictions != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestDownloadDuringEviction starts a download, makes the store remove
// the file for room, and checks the download still gets every byte.
func TestDownloadDuringEviction(t *testing.T) {
	const size = 4 << 20 // more than the socket buffers hold
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			s := open(t, m.disk, Options{MaxFile: size, Budget: size})
			data, err := io.ReadAll(newStream(size))
			if err != nil {
				t.Fatal(err)
			}
			f := mustPut(t, s, "big.bin", data)
			srv := httptest.NewServer(s)
			defer srv.Close()
			res, err := http.Get(srv.URL + f.URLPath())
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			head := make([]byte, 1000)
			if _, err := io.ReadFull(res.Body, head); err != nil {
				t.Fatal(err)
			}
			mustPut(t, s, "new.bin", []byte("x")) // the budget is full: big.bin goes
			if _, ok := s.Get(f.ID); ok {
				t.Fatal("the file was not removed")
			}
			rest, err := io.ReadAll(res.Body)
			if err != nil || !bytes.Equal(append(head, rest...), data) {
				t.Errorf("download after removal: %d bytes, %v; want all %d", len(head)+len(rest), err, size)
			}
			if res := fetch(s, "GET", f.URLPath(), nil); res.StatusCode != 404 {
				t.Errorf("new download of a removed file: %s", res.Status)
			}
		})
	}
}
