package main

import "fmt"

// What a participant's session tells the other nodes, with -redis; each
// does nothing on a single node.

// claim takes p's name on every node. An account's is only marked online:
// an account may be connected on several nodes at once. It returns the
// reason to refuse p with, if any, and how to count it.
func (ch *chat) claim(p *peer) (string, refusal) {
	b := ch.history.shared
	switch {
	case b == nil:
		return "", 0
	case !b.up.Load():
		return noRedis, refusedRedis
	case p.account:
		b.markOnline(p.key)
		return "", 0
	}
	ok, err := b.claim(p.key)
	if err != nil {
		return noRedis, refusedRedis
	}
	if !ok {
		return fmt.Sprintf("name %q is taken: choose another", p.name), refusedName
	}
	return "", 0
}

// release gives p's name up on every node once nobody here has it.
func (ch *chat) release(p *peer) {
	b := ch.history.shared
	if b == nil || len(ch.hub.find(p.key)) > 0 {
		return
	}
	b.release(p.key)
}

// onlineElsewhere reports whether the name whose folded form is key is
// connected on another node.
func (ch *chat) onlineElsewhere(key string) bool {
	b := ch.history.shared
	return b != nil && b.online(key)
}

// entered tells the other nodes p is in its room now.
func (ch *chat) entered(p *peer) {
	if b := ch.history.shared; b != nil {
		r := ch.hub.roomOf(p)
		b.entered(r.key, r.name, p.name)
	}
}

// exited tells the other nodes p has left room r, unless another of its
// connections is still there.
func (ch *chat) exited(p *peer, r *room) {
	b := ch.history.shared
	if b == nil {
		return
	}
	r.mu.Lock()
	still := r.present[p.key] > 0
	r.mu.Unlock()
	if !still {
		b.exited(r.key, p.name)
	}
}

// whoNames encodes the answer to /who in room for p, from the names of
// everyone in it, as who does from a room of this node.
func whoNames(p *peer, room string, names []string) []byte {
	text := fmt.Sprintf("in %s (%d): %s", room, len(names), joinNames(names[:min(len(names), welcomeNames)], len(names)))
	if p.json {
		return jsonFrame(event{Type: "who", Room: room, Online: names[:min(len(names), jsonNames)], Count: len(names), Text: text})
	}
	return textFrame("* ", text, "")
}
