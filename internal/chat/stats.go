package chat

import (
	"errors"
	"sync/atomic"
	"time"

	"wschat/internal/engine"
	"wschat/internal/metrics"
	"wschat/internal/store"
)

// Stats counts what a chat does. Every field is atomic, so sessions
// update them without a lock.
type Stats struct {
	Joins, Leaves atomic.Uint64
	Received      atomic.Uint64 // chat messages read from participants
	Delivered     atomic.Uint64 // chat messages queued to members, one per member
	Limited       atomic.Uint64 // messages refused by the rate limit
	RateDrops     atomic.Uint64 // connections closed for sending over the rate again and again
	RateReported  atomic.Uint64 // messages within the rate told to the engine (spending.go)
	Private       atomic.Uint64 // private messages delivered
	NotStored     atomic.Uint64 // messages not sent because they could not be kept
	OverBounds    atomic.Uint64 // messages and mail not sent because they would pass a bound (a share, a total)

	Broadcast metrics.Histogram // time to queue one chat message to every member
}

// fannedOut records one message broadcast to n members, which took d.
func (st *Stats) fannedOut(n int, d time.Duration) {
	st.Delivered.Add(uint64(n))
	st.Broadcast.Observe(d)
}

// isUnavailable reports whether err is the engine being out of reach.
func isUnavailable(err error) bool { return errors.Is(err, engine.ErrUnavailable) }

// quiet reports whether err needs no log line: the engine away, which it
// logs itself, or closing at shutdown.
func quiet(err error) bool { return isUnavailable(err) || errors.Is(err, store.ErrClosed) }
