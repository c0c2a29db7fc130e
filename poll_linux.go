package main

import (
	"errors"
	"sync"
	"syscall"
)

// poller watches parked connections for something to read, with an epoll
// instance of its own beside the Go runtime's. Each parked connection is
// registered one-shot, under an id rather than its file descriptor, so an
// event for a connection that has meanwhile closed, and whose descriptor
// number a new one has taken, wakes nobody. The id names a slot of the
// poller's table and a generation: the connection keeps its id while
// parked, and an event whose id is not the one of the connection now in
// its slot is stale.
type poller struct {
	epfd int
	wake [2]int // a pipe whose read end, under id 0, wakes run to stop

	mu     sync.Mutex
	parked []*Conn  // by slot; nil where free
	free   []uint32 // the free slots of parked
	gen    uint32   // the generation of the last id given
	done   bool     // run has ended: nothing more may park
}

// newPoller returns a poller, or nil where the system will not give one:
// connections then simply wait in ReadMessage.
func newPoller() *poller {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil
	}
	p := &poller{epfd: epfd}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN}
	if err := syscall.Pipe2(p.wake[:], syscall.O_CLOEXEC); err != nil {
		syscall.Close(epfd)
		return nil
	}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, p.wake[0], &ev); err != nil {
		syscall.Close(epfd)
		syscall.Close(p.wake[0])
		syscall.Close(p.wake[1])
		return nil
	}
	return p
}

// add registers c, to be woken once when it has something to read or its
// peer hangs up. The caller holds c.mu.
func (p *poller) add(c *Conn) error {
	p.mu.Lock()
	if p.done {
		p.mu.Unlock()
		return errPollerDone
	}
	var slot uint32
	if n := len(p.free); n > 0 {
		slot, p.free = p.free[n-1], p.free[:n-1]
		p.parked[slot] = c
	} else {
		slot = uint32(len(p.parked))
		p.parked = append(p.parked, c)
	}
	if p.gen++; p.gen == 0 {
		p.gen = 1 // id 0 is the wake pipe's
	}
	id := uint64(p.gen)<<32 | uint64(slot)
	p.mu.Unlock()
	c.pollID = id
	ev := syscall.EpollEvent{
		Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT,
		Fd:     int32(uint32(id)),
		Pad:    int32(uint32(id >> 32)),
	}
	var err error
	ctlErr := c.raw.Control(func(fd uintptr) {
		err = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev)
	})
	if err == nil {
		err = ctlErr
	}
	if err != nil {
		p.forget(id)
	}
	return err
}

// remove unregisters c. A connection already closed has left the epoll
// set with its descriptor. The caller holds c.mu.
func (p *poller) remove(c *Conn) {
	p.forget(c.pollID)
	c.raw.Control(func(fd uintptr) {
		syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil)
	})
}

// forget frees the slot of id, which the connection parked under id
// holds.
func (p *poller) forget(id uint64) {
	slot := uint32(id)
	p.mu.Lock()
	p.parked[slot] = nil
	p.free = append(p.free, slot)
	p.mu.Unlock()
}

// errPollerDone refuses to park a connection once the poller has ended.
var errPollerDone = errors.New("the poller has ended")

// run wakes parked connections as events come, until stop is called. If
// waiting fails, which it cannot but for a bug, run wakes every parked
// connection and refuses new ones, so that they read as usual.
func (p *poller) run() {
	defer p.end()
	events := make([]syscall.EpollEvent, 128)
	for {
		n, err := syscall.EpollWait(p.epfd, events, -1)
		if err != nil && err != syscall.EINTR {
			return
		}
		for _, ev := range events[:max(n, 0)] {
			id := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			if id == 0 {
				return
			}
			p.resume(id)
		}
	}
}

// end closes the poller and wakes whatever is still parked.
func (p *poller) end() {
	p.mu.Lock()
	p.done = true
	var conns []*Conn
	for _, c := range p.parked {
		if c != nil {
			conns = append(conns, c)
		}
	}
	p.mu.Unlock()
	for _, c := range conns {
		c.mu.Lock()
		c.unparkLocked()
		c.mu.Unlock()
	}
	syscall.Close(p.epfd)
	syscall.Close(p.wake[0])
}

// stop ends run, once every connection has ended.
func (p *poller) stop() { syscall.Close(p.wake[1]) }

// resume runs the loop of the connection parked under id, if it still is.
func (p *poller) resume(id uint64) {
	var c *Conn
	p.mu.Lock()
	if slot := uint32(id); slot < uint32(len(p.parked)) {
		c = p.parked[slot]
	}
	p.mu.Unlock()
	if c == nil {
		return
	}
	c.mu.Lock()
	if c.pollID == id {
		c.unparkLocked()
	}
	c.mu.Unlock()
}
