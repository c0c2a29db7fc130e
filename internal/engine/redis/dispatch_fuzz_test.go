package redis

import (
	"bytes"
	"testing"

	"wschat/internal/engine"
	"wschat/internal/store"
)

// recorder is a Handler that keeps what it is handed.
type recorder struct {
	delivered []store.Record
	presence  []string
}

func (r *recorder) Deliver(room string, rec store.Record) engine.Delivery {
	r.delivered = append(r.delivered, rec)
	return nil
}
func (r *recorder) Mail(string, store.Record) {}
func (r *recorder) Private(string, []byte)    {}
func (r *recorder) Presence(room, name string, _ bool) {
	r.presence = append(r.presence, room+" "+name)
}
func (r *recorder) Delivered() map[string]store.ID { return nil }

// FuzzDispatch feeds a node whatever announcements Redis might carry: it
// must not panic, and what it hands the chat must be well formed: a
// message with a canonical id, presence from another node only.
func FuzzDispatch(f *testing.F) {
	for _, seed := range []string{
		"m\nlobby\n1700000000000-0\n{\"type\":\"message\",\"name\":\"a\",\"text\":\"hi\"}",
		"j\nlobby\nother\nbob",
		"l\nlobby\nself\nalice",
		"p\nbob\nother\n{}",
		"q\nbob\n1-1\n{}",
		"m\nlobby\nnot-an-id\n{}",
		"\n\n\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, ev []byte) {
		rec := &recorder{}
		e := &Engine{node: "self", h: rec}
		e.dispatch(ev)
		for _, r := range rec.delivered {
			if id, err := store.ParseID(r.ID.String()); err != nil || id != r.ID {
				t.Fatalf("handed over an id %v that does not read back", r.ID)
			}
		}
		if parts := bytes.SplitN(ev, []byte("\n"), 4); len(parts) == 4 && string(parts[2]) == "self" && len(rec.presence) > 0 {
			t.Fatalf("the node's own announcement %q came back to it as %q", ev, rec.presence)
		}
	})
}
