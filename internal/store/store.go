package store

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Record is one stored record. Its Payload is shared: callers must not
// modify it.
type Record struct {
	ID      ID
	Payload []byte
}

// Options configures a Log. The zero value is a memory-only log with
// the defaults below.
type Options struct {
	Dir         string           // "" keeps history in memory only (lost on restart)
	Keep        int              // records kept per room; default 1000
	SegmentSize int64            // a segment file is closed and a new one started past this size; default 4 MiB
	MaxPending  int              // bytes (encoded records) waiting for the disk before Append blocks (backpressure); default 8 MiB
	Logger      *slog.Logger     // nil: discard
	Now         func() time.Time // nil: time.Now
	Bounds                       // none by default
}

// Bounds are the sizes, in charged bytes (see Charge), a Log keeps
// within; zero is no bound. RoomBytes and MaxAge drop a room's oldest
// records; the others refuse an Append (see bounds.go).
type Bounds struct {
	RoomBytes int64         // the records of one room
	MaxAge    time.Duration // how long a record is kept
	Total     int64         // the records of every room together
	Share     int64         // the records of one owner, in every room
	RoomShare int64         // the records of one owner in one room
}

// Errors Append reports through its done function.
var (
	ErrClosed = errors.New("store: log is closed")
	ErrRoom   = fmt.Errorf("store: room key must be 1 to %d bytes with its owner's, and have no NUL", MaxRoom)
	ErrTooBig = fmt.Errorf("store: payload larger than %d bytes", MaxPayload)
)

// Stats are counters for monitoring a Log.
type Stats struct {
	Appends      uint64 // records stored and acknowledged
	Syncs        uint64 // fsyncs of segment files
	Failures     uint64 // appends whose done got an error
	Compactions  uint64 // segments compacted
	ReadErrors   uint64 // kept records Last or After could not read back
	DiskBytes    int64  // bytes in segment files
	LiveBytes    int64  // bytes of kept records in segment files
	Segments     int    // segment files
	Rooms        int    // rooms with history
	Records      int    // kept records, all rooms
	PendingBytes int    // encoded bytes waiting for the disk
	Charged      int64  // what kept and pending records are charged (see Charge)
	Owners       int    // owners with records kept or pending
}

// Log is the room log. Its methods are safe for concurrent use.
type Log struct {
	keep, maxPending int
	segSize          int64
	bounds           Bounds
	dir              string
	log              *slog.Logger
	now              func() time.Time
	lock             *os.File // the locked LOCK file; nil in memory mode

	doneMu sync.Mutex   // held while done functions run: they never overlap
	segMu  sync.RWMutex // read-held while segment files are read; write-held to close one

	mu           sync.RWMutex
	rooms        map[string]*room
	records      int
	owners       map[string]*owner // by key, while charged
	charge       int64             // of every kept and pending record
	lost         [lostBits / 64]uint64
	unsure       bool      // read back from a directory: see mayHaveLost
	swept        time.Time // when every room was last checked for age
	closed       bool
	work, space  sync.Cond // committer waits on work, blocked Appends on space
	queue        []pending // records waiting for the committer, in ID order per room
	buf          []byte    // their encoded bytes, back to back
	spareQ       []pending
	spareBuf     []byte
	pendingBytes int
	segs         []*segment // oldest first; the last one is the head
	diskBytes    int64
	blocked      bool // a compaction failed; retry after the next good write

	appends, syncs, failures, compactions, readErrors atomic.Uint64

	quit chan struct{} // closed when the committer has returned
}

// pending is a record waiting for the committer.
type pending struct {
	room    *room
	own     *owner
	id      ID
	off     int // offset in the batch buffer
	size    int // encoded size
	payload []byte
	done    func(Record, error)
}

// Open opens the log described by o. With a Dir it creates the directory
// if needed, locks it, replays its segments and starts the committer.
func Open(o Options) (*Log, error) {
	o = o.withDefaults()
	l := &Log{
		keep: o.Keep, maxPending: o.MaxPending, segSize: o.SegmentSize, bounds: o.Bounds,
		dir: o.Dir, log: o.Logger, now: o.Now, rooms: make(map[string]*room), owners: make(map[string]*owner),
	}
	l.work.L, l.space.L = &l.mu, &l.mu
	if l.dir == "" {
		return l, nil
	}
	if err := l.openDir(); err != nil {
		return nil, err
	}
	l.quit = make(chan struct{})
	go l.commitLoop()
	return l, nil
}

// withDefaults returns o with its zero (or negative) fields set to the
// defaults.
func (o Options) withDefaults() Options {
	if o.Keep <= 0 {
		o.Keep = 1000
	}
	if o.SegmentSize <= 0 {
		o.SegmentSize = 4 << 20
	}
	if o.MaxPending <= 0 {
		o.MaxPending = 8 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// openDir locks the directory and replays it.
func (l *Log) openDir() error {
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return fmt.Errorf("store: create data directory: %w", err)
	}
	f, err := lockDir(l.dir)
	if err != nil {
		return err
	}
	l.lock = f
	if err := l.replay(); err != nil {
		l.closeFiles()
		return err
	}
	return nil
}

// Append assigns the record its ID and stores it in room, charged to
// owner ("" for nobody). done is called exactly once: with the record,
// or with an error when it could not be stored (then the Record has a
// zero ID, nothing of it is kept and the caller must not deliver it); a
// *LimitError when it would pass a bound. With a
// Dir, done is called only once the record is written and fsynced, from
// the committer goroutine; in memory mode, before Append returns. done
// calls happen in ID order within a room and never overlap; done must not
// call Append or Close, but may call Last, After and Stats. Append copies payload;
// the Record passed to done carries the payload slice given here. Append
// blocks while MaxPending bytes wait for the disk.
func (l *Log) Append(room, owner string, payload []byte, done func(Record, error)) {
	switch {
	case len(room) == 0 || len(roomField(room, owner)) > MaxRoom || strings.IndexByte(room, 0) >= 0:
		l.fail(payload, done, ErrRoom)
	case len(payload) > MaxPayload:
		l.fail(payload, done, ErrTooBig)
	case l.dir == "":
		l.appendMemory(room, owner, payload, done)
	default:
		l.appendDisk(room, owner, payload, done)
	}
}

// fail calls done with err, counting the failure.
func (l *Log) fail(payload []byte, done func(Record, error), err error) {
	l.doneMu.Lock()
	defer l.doneMu.Unlock()
	l.failures.Add(1)
	done(Record{Payload: payload}, err)
}

// appendMemory stores a record in memory and calls done at once; the
// ordering lock is held from the ID's assignment to done's return.
func (l *Log) appendMemory(name, owner string, payload []byte, done func(Record, error)) {
	l.doneMu.Lock()
	defer l.doneMu.Unlock()
	l.mu.Lock()
	r, o, err := l.accept(name, owner, payload)
	if err != nil {
		l.mu.Unlock()
		l.failures.Add(1)
		done(Record{Payload: payload}, err)
		return
	}
	r.last = next(r.last, l.now())
	id := r.last
	l.add(r, entry{id: id, own: o, charge: Charge(len(payload))}, append([]byte(nil), payload...))
	l.mu.Unlock()
	l.appends.Add(1)
	done(Record{ID: id, Payload: payload}, nil)
}

// appendDisk queues a record for the committer, first waiting for room
// under MaxPending.
func (l *Log) appendDisk(name, owner string, payload []byte, done func(Record, error)) {
	field := roomField(name, owner)
	size := encodedSize(field, payload)
	l.mu.Lock()
	for !l.closed && l.pendingBytes > 0 && l.pendingBytes+size > l.maxPending {
		l.space.Wait()
	}
	r, o, err := l.accept(name, owner, payload)
	if err != nil {
		l.mu.Unlock()
		l.fail(payload, done, err)
		return
	}
	r.last = next(r.last, l.now())
	r.pending++
	off := len(l.buf)
	l.buf = appendRecord(l.buf, field, r.last, payload)
	l.queue = append(l.queue, pending{room: r, own: o, id: r.last, off: off, size: size, payload: payload, done: done})
	l.pendingBytes += size
	l.work.Signal()
	l.mu.Unlock()
}

// accept checks a record for the log's state and bounds and, if it may
// be kept, returns its room and owner with the record reserved against
// them. Records past MaxAge go first, the room's own and, now and then,
// every room's. l.mu must be held for writing.
func (l *Log) accept(name, owner string, payload []byte) (*room, *owner, error) {
	if l.closed {
		return nil, nil, ErrClosed
	}
	now := l.now()
	l.sweep(now)
	r := l.rooms[name]
	if r != nil {
		l.expire(r, now)
		r = l.rooms[name]
	}
	opens := r == nil
	if err := l.admit(r, owner, Charge(len(payload))); err != nil {
		return nil, nil, err
	}
	r, o := l.roomFor(name), l.ownerFor(owner)
	if opens {
		l.open(r, o)
	}
	l.reserve(r, o, Charge(len(payload)))
	return r, o, nil
}

// Stats returns the log's counters.
func (l *Log) Stats() Stats {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return Stats{
		Appends:      l.appends.Load(),
		Syncs:        l.syncs.Load(),
		Failures:     l.failures.Load(),
		Compactions:  l.compactions.Load(),
		ReadErrors:   l.readErrors.Load(),
		DiskBytes:    l.diskBytes,
		LiveBytes:    l.liveBytes(),
		Segments:     len(l.segs),
		Rooms:        len(l.rooms),
		Records:      l.records,
		PendingBytes: l.pendingBytes,
		Charged:      l.charge,
		Owners:       len(l.owners),
	}
}

// liveBytes sums the live bytes of the segments. l.mu must be held.
func (l *Log) liveBytes() int64 {
	var n int64
	for _, s := range l.segs {
		n += s.live
	}
	return n
}

// Close writes what is pending, stops the committer, closes the segment
// files and unlocks the directory. Appends after Close fail with
// ErrClosed. Close is safe to call more than once.
func (l *Log) Close() error {
	l.mu.Lock()
	was := l.closed
	l.closed = true
	l.work.Broadcast()
	l.space.Broadcast()
	l.mu.Unlock()
	if was || l.dir == "" {
		return nil
	}
	<-l.quit
	return l.closeFiles()
}

// closeFiles closes every segment file and releases the lock.
func (l *Log) closeFiles() error {
	l.segMu.Lock()
	defer l.segMu.Unlock()
	var errs []error
	for _, s := range l.segs {
		errs = append(errs, s.f.Close())
	}
	if l.lock != nil {
		errs = append(errs, unlockDir(l.lock))
	}
	l.mu.Lock()
	clear(l.rooms) // nothing left to read from
	l.mu.Unlock()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// LockDir locks dir, which it creates if need be, as a Log locks its own
// directory: for a program that keeps other files there, so that two of
// it never share them. It fails at once while another holds the lock;
// closing the file it returns releases it.
func LockDir(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: create data directory: %w", err)
	}
	return lockDir(dir)
}
