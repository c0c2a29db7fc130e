package chat

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"wschat/internal/store"
	"wschat/internal/textrules"
)

// Folding. Edits, deletions and reactions are records of their own in a
// room's history, after the message they act on. Whoever reads history
// back (a replay, a page of older messages, a search) gathers the actions
// it meets into a fold, then sends each message as it stands: its latest
// text, its reactions, or nothing at all once it is deleted. Whichever
// way the history is read, the latest action of each kind wins: a fold
// compares ids, not the order it met them in.

// Bounds of what actions may pile on one message, so that a message's
// event stays small whatever anyone does.
const (
	maxReactionKinds = 20 // different emoji on one message
	maxReactionNames = 20 // names listed for one emoji; the count says how many in all
)

// foldBytes bounds what one fold holds (edited texts, reactions): a read
// that would hold more stops there, as if its budget were spent.
const foldBytes = 4 << 20

// fold is what actions a read of history has met say of the messages
// they act on.
type fold struct {
	states map[store.ID]*state
	size   int
}

// state is one message's actions, as a fold has met them.
type state struct {
	edit    store.ID // the latest edit's id; zero when none
	text    string   // its text
	deleted bool
	reacts  map[reactKey]react
}

// reactKey is one person's one emoji.
type reactKey struct{ emoji, who string } // who: the name's key

// react is the latest reaction of one person with one emoji.
type react struct {
	id   store.ID
	name string
	on   bool
}

func newFold() *fold { return &fold{states: make(map[store.ID]*state)} }

// add takes in the action m, kept as id, and reports whether the fold
// is still within foldBytes.
func (f *fold) add(id store.ID, m message) bool {
	target, err := store.ParseID(m.Target)
	if err != nil {
		return true // only the chat writes actions: this cannot be
	}
	st := f.states[target]
	if st == nil {
		st = &state{}
		f.states[target] = st
		f.size += 64
	}
	switch m.Type {
	case "edit":
		if st.edit.Less(id) {
			f.size += len(m.Text) - len(st.text)
			st.edit, st.text = id, m.Text
		}
	case "delete":
		st.deleted = true
	case "react":
		if st.reacts == nil {
			st.reacts = make(map[reactKey]react)
		}
		k := reactKey{m.Emoji, textrules.Fold(m.Name)}
		if cur, ok := st.reacts[k]; !ok || cur.id.Less(id) {
			if !ok {
				f.size += 48 + len(m.Emoji) + len(m.Name)
			}
			st.reacts[k] = react{id: id, name: m.Name, on: m.On}
		}
	}
	return f.size <= foldBytes
}

// of returns what the fold knows of the message id, or nil.
func (f *fold) of(id store.ID) *state {
	if f == nil {
		return nil
	}
	return f.states[id]
}

// deleted reports whether the fold has met the deletion of id.
func (f *fold) deleted(id store.ID) bool {
	st := f.of(id)
	return st != nil && st.deleted
}

// reactions returns the reactions on the message, the emoji in the order
// they were first put on of those that are on now, each one's names in
// the order they reacted; at most maxReactionKinds of them.
func (st *state) reactions() []Reaction {
	if st == nil || len(st.reacts) == 0 {
		return nil
	}
	type on struct {
		emoji, name string
		id          store.ID
	}
	var all []on
	for k, r := range st.reacts {
		if r.on {
			all = append(all, on{k.emoji, r.name, r.id})
		}
	}
	slices.SortFunc(all, func(a, b on) int { return compareIDs(a.id, b.id) })
	var out []Reaction
	index := map[string]int{}
	for _, r := range all {
		i, ok := index[r.emoji]
		if !ok {
			if len(out) == maxReactionKinds {
				continue
			}
			i = len(out)
			index[r.emoji] = i
			out = append(out, Reaction{Emoji: r.emoji})
		}
		out[i].Count++
		if len(out[i].Names) < maxReactionNames {
			out[i].Names = append(out[i].Names, r.name)
		}
	}
	return out
}

// isOn reports whether who (a name's key) has emoji on the message,
// whether anyone has, and how many different emoji are on it.
func (st *state) isOn(emoji, who string) (on, present bool, kinds int) {
	if st == nil {
		return false, false, 0
	}
	seen := map[string]bool{}
	for k, r := range st.reacts {
		if r.on {
			seen[k.emoji] = true
		}
	}
	return st.reacts[reactKey{emoji, who}].on, seen[emoji], len(seen)
}

// folded is message m, kept as id, as it stands with what st says of it:
// its latest text, and its reactions.
type folded struct {
	id        store.ID
	m         message
	edited    bool
	reactions []Reaction
}

// apply returns m, kept as id, as it stands by st.
func apply(id store.ID, m message, st *state) folded {
	f := folded{id: id, m: m}
	if st == nil {
		return f
	}
	if !st.edit.IsZero() && m.Type == "message" {
		f.m.Text, f.edited = st.text, true
	}
	f.reactions = st.reactions()
	return f
}

// event is the JSON event of f in room.
func (f folded) event(room string, history bool) event {
	e := roomEvent(room, f.id, f.m, history)
	e.Edited, e.Reactions = f.edited, f.reactions
	return e
}

// line is the plain text line of f: the message's, then "(edited)" and
// its reactions when it has them.
func (f folded) line() []byte {
	b := f.m.line()
	if f.edited {
		b = append(b, " (edited)"...)
	}
	if len(f.reactions) > 0 {
		parts := make([]string, len(f.reactions))
		for i, r := range f.reactions {
			parts[i] = r.Emoji + " " + strconv.Itoa(r.Count)
		}
		b = append(b, " ["+strings.Join(parts, ", ")+"]"...)
	}
	return b
}

// compareIDs orders ids, for sorting.
func compareIDs(a, b store.ID) int {
	if c := cmp.Compare(a.Ms, b.Ms); c != 0 {
		return c
	}
	return cmp.Compare(a.Seq, b.Seq)
}
