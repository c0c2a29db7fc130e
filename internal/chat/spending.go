package chat

import (
	"time"

	"wschat/internal/engine"
)

// Spending. A participant connected to several nodes has one message
// rate, not one on each: every node limits it as it sends (its limiter),
// and tells the engine (engine.Rates) every spendEvery how many messages
// each of its participants sent meanwhile. The engine adds up every
// node's; a participant that has sent more than the rate allows on all
// nodes together is refused on each node for as long as the engine says,
// and told to slow down as if over its limit here. A node hears of it
// when it next reports for that participant, so past the rate a
// participant may send at most what one report holds on each node.
//
// The engine's bucket holds a second's worth of messages more than the
// limiter's (globalSlack): on one node the two count the same messages,
// but at different moments (the limiter as they come, the engine when
// told), and a participant keeping to its rate must never be refused for
// the difference.

// spendEvery is how often a node tells the engine what its participants
// sent, while any sent something.
const spendEvery = 100 * time.Millisecond

// globalLimit is the engine's bucket for a limit: the limiter's, with a
// second's worth and one more message of slack.
func globalLimit(l rateLimit) engine.RateLimit {
	return engine.RateLimit{Rate: l.Rate, Burst: float64(l.Burst) + 1 + l.Rate}
}

// allow applies p's rate to one message at now: its limiter's verdict,
// the message counted for the engine when it may go.
func (c *Chat) allow(p *participant, now time.Time) verdict {
	v := p.lim.check(now)
	if v == withinLimit && c.people.spent(p) {
		go c.reportSpending()
	}
	return v
}

// reportSpending tells the engine what the participants sent, every
// spendEvery, until a round finds nothing sent, and refuses those the
// engine says went past their rate on all nodes together. While the
// engine is away the limiters alone hold.
func (c *Chat) reportSpending() {
	for {
		time.Sleep(spendEvery) // pacing the reports, not waiting for an event
		sent := c.people.takeSent()
		if sent == nil {
			return
		}
		ctx, cancel := call()
		waits, err := c.rates.Spend(ctx, globalLimit(c.limit), sent)
		cancel()
		if err != nil {
			if !quiet(err) {
				c.log.Warn("telling the engine what participants sent", "err", err)
			}
			continue
		}
		c.people.refuse(waits, time.Now())
		for _, n := range sent {
			c.Stats.RateReported.Add(uint64(n))
		}
	}
}
