package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"

	"wschat/internal/store"
)

// history is the room log as the chat uses it: every message goes into it
// before anyone receives it, and a newcomer is replayed the latest ones,
// or whatever it missed since the id it names.
type history struct {
	log    *store.Log
	replay int        // messages a newcomer gets when it names no id
	shared *backplane // with -redis: the log is in Redis, and delivery goes through it; nil keeps both here
}

// maxStoredMessage is the largest chat message the room log can keep:
// its record limit, less room for the sender's name and the encoding.
const maxStoredMessage = store.MaxPayload - 4<<10

// storedMessage is what the room log keeps of a message: enough to encode
// it again, in either format, exactly as it was broadcast.
type storedMessage struct {
	Type string    `json:"type"` // "message" or "private"
	Name string    `json:"name"`
	To   string    `json:"to,omitempty"` // a private message's recipient
	Text string    `json:"text"`
	File *fileInfo `json:"file,omitempty"` // a shared file's
}

// openHistory opens the room log: in dir/history when dir is set, in
// memory otherwise.
func openHistory(cfg Config, log *slog.Logger) (*history, error) {
	opts := store.Options{Keep: cfg.HistoryKeep, MaxRooms: cfg.MaxRooms, Logger: log}
	if cfg.DataDir != "" {
		opts.Dir = filepath.Join(cfg.DataDir, "history")
	}
	l, err := store.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("open the room log: %w", err)
	}
	return &history{log: l, replay: cfg.HistoryReplay}, nil
}

// newest is the id of the latest message kept for the room key: a room
// that opens has delivered everything up to it.
func (h *history) newest(key string) store.ID {
	if h.shared != nil {
		return h.shared.newest(key)
	}
	if last := h.log.Last(key, 1); len(last) == 1 {
		return last[0].ID
	}
	return store.ID{}
}

// since returns what a newcomer to room key is replayed: the messages
// after the id it names, or the latest ones when it names none, up to
// upTo, the last the room has delivered (later ones reach it live). It
// reports whether that is everything the newcomer asked for.
func (h *history) since(key string, id *store.ID, upTo store.ID) ([]store.Record, bool) {
	var recs []store.Record
	recovered := true
	if h.shared != nil {
		recs, recovered = h.shared.since(key, id, h.replay)
	} else if id == nil {
		recs = h.log.Last(key, h.replay)
	} else {
		recs, recovered = h.log.After(key, *id)
	}
	for len(recs) > 0 && upTo.Less(recs[len(recs)-1].ID) {
		recs = recs[:len(recs)-1]
	}
	return recs, recovered
}

// replayLocked sends p one message of the room's history, marked as such
// in JSON. The caller holds r.mu.
func (r *room) replayLocked(p *peer, rec store.Record) {
	var m storedMessage
	if err := json.Unmarshal(rec.Payload, &m); err != nil {
		return // the log keeps only what the chat wrote: this cannot be
	}
	if p.json {
		p.conn.send(jsonFrame(event{Type: m.Type, Room: r.name, ID: rec.ID.String(), Time: rec.ID.Time().Format(timeFormat),
			Name: m.Name, Text: m.Text, File: m.File, History: true}))
		return
	}
	p.conn.send(textFrame(m.Name, ": ", m.Text))
}

// say posts a chat message from p to its room.
func (ch *chat) say(p *peer, text string) {
	ch.post(p, storedMessage{Type: "message", Name: p.name, Text: text}, p.acked)
}

// post puts m, from p, into the log of p's room and, once it is kept,
// delivers it to everyone in the room. It returns when that is done, and
// the peers it put behind have drained (flow control: see awaitDrained),
// so a sender runs neither ahead of the log nor of its readers; acked is
// signalled once the message is delivered. A message the log cannot keep
// is not delivered, p is told, and post reports false.
func (ch *chat) post(p *peer, m storedMessage, acked chan struct{}) bool {
	payload, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("encode a stored message: %v", err)) // strings and numbers always encode
	}
	key := ch.hub.roomOf(p).key
	if b := ch.history.shared; b != nil {
		return ch.postShared(p, b, key, payload)
	}
	kept := false
	var behind []*Conn
	ch.history.log.Append(key, payload, func(rec store.Record, err error) {
		if err != nil {
			ch.notStored(p, err)
		} else {
			kept = true
			behind = ch.hub.deliver(key, rec.ID, m)
		}
		acked <- struct{}{}
	})
	<-acked
	awaitDrained(behind)
	return kept
}

// postShared appends payload, from p, to the stream of room key in
// Redis, which announces it to every node, this one included: the room's
// members here get it from there, in the order of the stream.
func (ch *chat) postShared(p *peer, b *backplane, key string, payload []byte) bool {
	if _, err := b.append("m", key, payload); err != nil {
		ch.metrics.notStored.Add(1)
		ch.log.Warn("send a message through redis", "name", p.name, "err", err)
		tell(p, noRedis)
		return false
	}
	return true
}

// notStored tells p its message could not be kept, and so went to nobody.
func (ch *chat) notStored(p *peer, err error) {
	ch.metrics.notStored.Add(1)
	if !errors.Is(err, store.ErrClosed) {
		ch.log.Error("store a message", "name", p.name, "err", err)
	}
	tell(p, "your message was not sent: the server could not store it; try again later")
}

// writeHistory appends the room log's figures to a /metrics page.
func writeHistory(b *bytes.Buffer, st store.Stats) {
	for _, c := range []struct {
		name, typ, help string
		value           uint64
	}{
		{"wschat_history_appends_total", "counter", "Messages kept in the room log.", st.Appends},
		{"wschat_history_syncs_total", "counter", "fsyncs of the room log's files: one serves every message written with it.", st.Syncs},
		{"wschat_history_failures_total", "counter", "Messages the room log could not keep (a full or failing disk, say).", st.Failures},
		{"wschat_history_read_errors_total", "counter", "Kept messages the room log could not read back.", st.ReadErrors},
		{"wschat_history_messages", "gauge", "Messages kept, every room together.", uint64(st.Records)},
		{"wschat_history_rooms", "gauge", "Rooms with history.", uint64(st.Rooms)},
		{"wschat_history_disk_bytes", "gauge", "Bytes of the room log on disk.", uint64(st.DiskBytes)},
	} {
		family(b, c.name, c.typ, c.help)
		sample(b, c.name, "", strconv.FormatUint(c.value, 10))
	}
}
