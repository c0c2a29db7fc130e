package redis

import (
	"context"
	"errors"
	"strconv"

	"wschat/internal/engine"
	"wschat/internal/store"
)

// Mail: each mailbox is a stream of the mail family (bounds.go),
// wschat:mailbox:KEY, and the owners that have one are the sorted set
// wschat:mailboxes, in the order they were last opened (the counter
// wschat:mailboxes:seq), at most Options.Mailboxes of them.
const (
	mailboxesKey   = "wschat:mailboxes"
	mailboxesSeq   = "wschat:mailboxes:seq"
	openMailScript = `redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[2]), ARGV[1])
local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[2])
if over > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, over - 1) end
return 1`
	// hasMailScript reports whether owner ARGV[1] has a mailbox: on
	// record, or holding mail. KEYS: the record, the mailbox's stream.
	hasMailScript = `if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 1 end
return redis.call('EXISTS', KEYS[2])`
)

// Open implements engine.Mail.
func (e *Engine) Open(ctx context.Context, owner string) error {
	_, err := e.do(ctx, "EVAL", openMailScript, "2", mailboxesKey, mailboxesSeq, owner, strconv.Itoa(e.boxes))
	return err
}

// Keep implements engine.Mail: the recipient's copy is appended to its
// mailbox's stream and announced first, so that a letter refused there
// is kept nowhere, then the writer's; every node hands them to its
// connections of their owners.
func (e *Engine) Keep(ctx context.Context, l engine.Letter) error {
	if l.Create {
		if err := e.Open(ctx, l.To); err != nil {
			return err
		}
	} else {
		v, err := e.do(ctx, "EVAL", hasMailScript, "2", mailboxesKey, e.mail.streams+l.To, l.To)
		if err != nil {
			return err
		}
		if v.Int() == 0 {
			return engine.ErrNoMailbox
		}
	}
	if _, err := e.append(ctx, e.mail, l.To, l.Sender, l.Payload); err != nil {
		return err
	}
	if l.From != l.To {
		if _, err := e.append(ctx, e.mail, l.From, "", l.Payload); err != nil && !errors.Is(err, store.ErrFull) {
			e.log.Warn("keep the writer's copy of a letter", "owner", l.From, "err", err)
		}
	}
	return nil
}

// Read implements engine.Mail.
func (e *Engine) Read(ctx context.Context, owner string, after store.ID, n int) ([]store.Record, error) {
	return e.after(ctx, e.mail.streams+owner, after, n)
}

// Latest implements engine.Mail.
func (e *Engine) Latest(ctx context.Context, owner string, n int) ([]store.Record, error) {
	return e.before(ctx, e.mail.streams+owner, store.MaxID, n)
}
