package files

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

const (
	copyBuf  = 32 << 10 // bytes read from an upload at a time
	sniffLen = 512      // bytes http.DetectContentType looks at
)

// Limit prepares an upload request's body for Put. It refuses a body
// that declares a Content-Length over MaxFile before anything is read,
// so the caller can answer 413 at once, and wraps the body with
// [http.MaxBytesReader] so that a body without a declared length is cut
// off past MaxFile (Put then returns ErrTooLarge). Each read of the body
// must bring something within IdleTimeout, and the body must average
// MinRate once it has been going for IdleTimeout: these replace the
// server's deadlines for the whole request, read and answer, so that an
// upload may take as long as it keeps sending at a reasonable pace, and
// one that stalls gives back what it reserved.
func (s *Store) Limit(w http.ResponseWriter, r *http.Request) (io.Reader, error) {
	if r.ContentLength > s.maxFile {
		return nil, fmt.Errorf("%w: %d bytes declared, at most %d accepted", ErrTooLarge, r.ContentLength, s.maxFile)
	}
	if r.ContentLength == 0 {
		return nil, ErrEmpty
	}
	return &paceReader{r: http.MaxBytesReader(w, r.Body, s.maxFile), rc: http.NewResponseController(w),
		idle: s.idle, minRate: s.minRate, start: time.Now()}, nil
}

// ErrTooSlow is why an upload that sends too slowly is cut off.
var ErrTooSlow = errors.New("files: the upload is too slow")

// paceReader moves the connection's deadlines on before each read of a
// body, as long as the body keeps its pace.
type paceReader struct {
	r       io.Reader
	rc      *http.ResponseController
	idle    time.Duration
	minRate int64 // bytes a second, on average, once idle has passed
	start   time.Time
	n       int64 // bytes read so far
}

func (pr *paceReader) Read(p []byte) (int, error) {
	now := time.Now()
	if took := now.Sub(pr.start); took > pr.idle && float64(pr.n) < float64(pr.minRate)*took.Seconds() {
		return 0, fmt.Errorf("%w: %d bytes in %v, at least %d a second wanted", ErrTooSlow, pr.n, took.Round(time.Second), pr.minRate)
	}
	// Errors mean the writer is not a net.Conn's: the server's own
	// deadlines then hold.
	pr.rc.SetReadDeadline(now.Add(pr.idle))
	pr.rc.SetWriteDeadline(now.Add(2 * pr.idle)) // the answer comes after the body
	n, err := pr.r.Read(p)
	pr.n += int64(n)
	return n, err
}

// Put stores the bytes of body under a new id, as a file of owner (the
// uploader, as the caller counts uploaders; "" for nobody known) shown
// with the uploader's name cleaned by CleanName. It reads body in small
// pieces, counting them as an upload in progress as they come (ErrBusy
// or ErrShare past Pending or the owner's share, removing nothing), and
// stops with ErrTooLarge as soon as more than MaxFile bytes have been
// read. Once the upload is whole it is kept, and files are removed to
// fit (see fitLocked). A failed Put leaves nothing behind and removes
// nothing.
func (s *Store) Put(owner, name string, body io.Reader) (File, error) {
	id, err := newID()
	if err != nil {
		return File{}, err
	}
	w, err := s.create(id)
	if err != nil {
		return File{}, err
	}
	e := &entry{File: File{ID: id, Owner: owner, Name: CleanName(name)}}
	size, head, err := s.receive(owner, w, body)
	if err == nil && size == 0 {
		err = ErrEmpty
	}
	if err != nil {
		s.release(owner, size)
		s.discard(w)
		return File{}, err
	}
	e.Size, e.Type, e.Created = size, http.DetectContentType(head), s.now()
	if err := s.keep(w, e); err != nil {
		s.release(owner, size)
		s.discard(w)
		return File{}, err
	}
	if err := s.add(e); err != nil {
		s.removeFiles(id)
		return File{}, err
	}
	return e.File, nil
}

// receive copies body to w, reserving room for each piece as owner's. It
// returns the bytes reserved and, on success, the first sniffLen bytes.
func (s *Store) receive(owner string, w io.Writer, body io.Reader) (int64, []byte, error) {
	buf := make([]byte, copyBuf)
	head := make([]byte, 0, sniffLen)
	var n int64
	for {
		k, rerr := body.Read(buf)
		if k > 0 {
			if n+int64(k) > s.maxFile {
				return n, nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, s.maxFile)
			}
			if err := s.reserve(owner, int64(k)); err != nil {
				return n, nil, err
			}
			n += int64(k)
			head = append(head, buf[:min(k, sniffLen-len(head))]...)
			if _, err := w.Write(buf[:k]); err != nil {
				return n, nil, fmt.Errorf("files: write upload: %w", err)
			}
		}
		if rerr == io.EOF {
			return n, head, nil
		}
		if rerr != nil {
			return n, nil, readError(rerr, s.maxFile)
		}
	}
}

// readError says why reading an upload failed; the limit of
// http.MaxBytesReader (see Limit) is ErrTooLarge.
func readError(err error, max int64) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	}
	return fmt.Errorf("files: read upload: %w", err)
}

// create returns where an upload is written: a temporary file with Dir,
// memory without.
func (s *Store) create(id string) (io.Writer, error) {
	if s.dir == "" {
		return &memFile{}, nil
	}
	f, err := os.OpenFile(s.path(id+tmpSuffix), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("files: create upload: %w", err)
	}
	return f, nil
}

// keep makes a finished upload a stored file: in memory it is e's data,
// on disk the temporary file is made durable and renamed with its sidecar.
func (s *Store) keep(w io.Writer, e *entry) error {
	if m, ok := w.(*memFile); ok {
		e.data = m
		return nil
	}
	return s.commitFile(w.(*os.File), e)
}

// discard drops the bytes of a failed upload.
func (s *Store) discard(w io.Writer) {
	if f, ok := w.(*os.File); ok {
		f.Close()
		os.Remove(f.Name())
	}
}

// newID returns 128 bits from crypto/rand in hex: unguessable, and safe
// as a file name on case-insensitive file systems.
func newID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("files: new id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// validID reports whether id has the form newID gives.
func validID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// chunkSize is the size of the pieces a memFile holds its bytes in.
const chunkSize = 64 << 10

// memFile holds a file's bytes in memory, in chunks of chunkSize (the
// last one shorter), so that growing it never copies what it holds and
// its memory stays close to its size. It is written once, then only read.
type memFile struct {
	chunks [][]byte
	size   int64
}

// Write appends p.
func (m *memFile) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		last := len(m.chunks) - 1
		if last < 0 || len(m.chunks[last]) == chunkSize {
			// The first chunk grows as needed, for small files; a file
			// past it takes whole chunks.
			var c []byte
			if last >= 0 {
				c = make([]byte, 0, chunkSize)
			}
			m.chunks = append(m.chunks, c)
			last++
		}
		k := min(len(p), chunkSize-len(m.chunks[last]))
		m.chunks[last] = append(m.chunks[last], p[:k]...)
		p = p[k:]
	}
	m.size += int64(n)
	return n, nil
}

// ReadAt reads from off, as io.ReaderAt says.
func (m *memFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("files: negative offset")
	}
	n := 0
	for n < len(p) && off < m.size {
		k := copy(p[n:], m.chunks[off/chunkSize][off%chunkSize:])
		n += k
		off += int64(k)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
