package resp

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// EventKind says what an Event reports.
type EventKind uint8

const (
	// EventMessage is a message published on one of the channels.
	EventMessage EventKind = iota + 1
	// EventReconnected reports that the subscription's connection broke
	// and was made again: messages published in between were lost.
	EventReconnected
)

// Event is what a Subscription delivers.
type Event struct {
	Kind    EventKind
	Channel string // EventMessage: the channel it was published on
	Payload []byte // EventMessage: the message
}

// Subscription receives the messages of a fixed set of channels on a
// connection of its own, and subscribes again after a reconnect.
//
// Events arrive on a channel of Options.EventBuffer capacity. When the
// consumer falls behind and the channel is full, the subscription stops
// reading from Redis until there is room: the backlog waits in Redis, in
// the client's output buffer, whose pub/sub limit
// (client-output-buffer-limit) makes Redis drop the connection of a
// consumer that stays behind. The subscription then reconnects and sends
// EventReconnected, so memory here stays bounded and the gap is reported.
type Subscription struct {
	c        *Client
	channels []string
	events   chan Event
	ctx      context.Context // ends at Close, of the Subscription or Client
	cancel   context.CancelFunc
	done     chan struct{} // closed when run has returned
}

// Subscribe opens a connection, subscribes to the channels, and returns
// once Redis has confirmed every one, so that any message published
// afterwards is delivered.
func (c *Client) Subscribe(ctx context.Context, channels ...string) (*Subscription, error) {
	if len(channels) == 0 {
		return nil, errors.New("resp: Subscribe with no channel")
	}
	channels = slices.Compact(slices.Sorted(slices.Values(channels)))
	s := &Subscription{c: c, channels: channels,
		events: make(chan Event, c.opts.EventBuffer), done: make(chan struct{})}
	c.mu.Lock()
	if c.ctx.Err() != nil {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	s.ctx, s.cancel = context.WithCancel(c.ctx)
	c.wg.Add(1) // under mu, so never after Close's Wait began
	c.mu.Unlock()
	cn, early, err := s.connect(ctx)
	if err != nil {
		s.cancel()
		close(s.done)
		c.wg.Done()
		return nil, err
	}
	for _, ev := range early {
		s.events <- ev // the channel is empty and early shorter than it
	}
	go s.run(cn)
	return s, nil
}

// Events returns the channel events arrive on. It is closed when the
// subscription ends.
func (s *Subscription) Events() <-chan Event { return s.events }

// Close ends the subscription and waits for its goroutine.
func (s *Subscription) Close() error {
	s.cancel()
	<-s.done
	return nil
}

// connect dials and subscribes, within ctx and until Close. It returns
// the messages that came before every channel was confirmed.
func (s *Subscription) connect(ctx context.Context) (*conn, []Event, error) {
	ctx, cancel := context.WithTimeout(ctx, s.c.opts.DialTimeout)
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	cn, err := s.c.connect(ctx)
	if err != nil {
		return nil, nil, err
	}
	early, err := s.subscribe(ctx, cn)
	if err != nil {
		cn.nc.Close()
		return nil, nil, err
	}
	return cn, early, nil
}

// subscribe sends SUBSCRIBE and reads until every channel is confirmed.
// Messages that come in between are kept, fewer than the channel holds.
func (s *Subscription) subscribe(ctx context.Context, cn *conn) ([]Event, error) {
	stop := context.AfterFunc(ctx, func() { cn.nc.Close() })
	defer stop()
	args := append([]string{"SUBSCRIBE"}, s.channels...)
	if _, err := cn.nc.Write(AppendCommand(nil, args...)); err != nil {
		return nil, fmt.Errorf("resp: SUBSCRIBE: %w", err)
	}
	var early []Event
	for confirmed := 0; confirmed < len(s.channels); {
		v, err := cn.rd.ReadValue()
		if err != nil {
			return nil, fmt.Errorf("resp: SUBSCRIBE: %w", errors.Join(err, ctx.Err()))
		}
		if err := v.Err(); err != nil {
			return nil, fmt.Errorf("resp: SUBSCRIBE: %w", err)
		}
		switch kind, ev := pubsubEvent(v); kind {
		case "subscribe":
			confirmed++
		case "message":
			if len(early) == cap(s.events) {
				return nil, errors.New("resp: SUBSCRIBE: too many messages before every channel was confirmed")
			}
			early = append(early, ev)
		}
	}
	if !stop() { // ctx ended just now: the connection is being closed
		return nil, fmt.Errorf("resp: SUBSCRIBE: %w", ctx.Err())
	}
	return early, nil
}

// run reads messages until Close, reconnecting when the connection breaks.
func (s *Subscription) run(cn *conn) {
	defer close(s.done)
	defer s.c.wg.Done()
	defer close(s.events)
	for {
		s.read(cn)
		cn.nc.Close()
		var early []Event
		cn = redial(s.ctx, &s.c.opts, func(ctx context.Context) (*conn, error) {
			c, ev, err := s.connect(ctx)
			early = ev
			return c, err
		}, func(error) {})
		if cn == nil {
			return
		}
		// The gap comes first, then what the new connection brought.
		for _, ev := range append([]Event{{Kind: EventReconnected}}, early...) {
			if !s.deliver(ev) {
				cn.nc.Close()
				return
			}
		}
	}
}

// read delivers messages until the connection fails or Close.
func (s *Subscription) read(cn *conn) {
	stop := context.AfterFunc(s.ctx, func() { cn.nc.Close() })
	defer stop()
	for {
		v, err := cn.rd.ReadValue()
		if err != nil {
			return
		}
		if kind, ev := pubsubEvent(v); kind == "message" && !s.deliver(ev) {
			return
		}
	}
}

// deliver waits for room in the channel, or for Close.
func (s *Subscription) deliver(ev Event) bool {
	select {
	case s.events <- ev:
		return true
	case <-s.ctx.Done():
		return false
	}
}

// pubsubEvent reads a pub/sub reply: a push in RESP3 (spec "Pushes"), an
// array in RESP2, whose first element names it ("message", "subscribe"...).
func pubsubEvent(v Value) (string, Event) {
	if (v.kind != Push && v.kind != Array) || len(v.elems) != 3 {
		return "", Event{}
	}
	kind := v.elems[0].Str()
	if kind != "message" {
		return kind, Event{}
	}
	return kind, Event{Kind: EventMessage, Channel: v.elems[1].Str(), Payload: v.elems[2].Bytes()}
}
