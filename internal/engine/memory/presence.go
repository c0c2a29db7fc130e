package memory

import (
	"context"
	"slices"
	"strings"
	"sync"

	"wschat/internal/engine"
)

// presence is who holds which name, and who is in which room, on one node.
type presence struct {
	mu     sync.Mutex
	claims map[string]*claim        // by name key
	rooms  map[string]*roomPresence // by room key, while someone is in it
}

// claim is the holders of one name: one, but for an account's several
// connections, so a slice rather than a map (a map costs hundreds of
// bytes a name).
type claim struct {
	name, account string // as the first holder claimed it
	holders       []string
}

// roomPresence is who is in one room: each name with how many of its
// holders are there.
type roomPresence struct {
	name  string
	names map[string]int
}

// Claim implements engine.Presence.
func (p *presence) Claim(_ context.Context, c engine.Claim) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cl := p.claims[c.Key]
	switch {
	case cl == nil:
		cl = &claim{name: c.Name, account: c.Account}
		p.claims[c.Key] = cl
	case slices.Contains(cl.holders, c.Holder):
		return "", nil
	case cl.account == "" || cl.account != c.Account:
		return cl.name, nil
	}
	cl.holders = append(cl.holders, c.Holder)
	return "", nil
}

// Release implements engine.Presence.
func (p *presence) Release(_ context.Context, c engine.Claim) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if cl := p.claims[c.Key]; cl != nil {
		cl.holders = slices.DeleteFunc(cl.holders, func(h string) bool { return h == c.Holder })
		if len(cl.holders) == 0 {
			delete(p.claims, c.Key)
		}
	}
	return nil
}

// Online implements engine.Presence.
func (p *presence) Online(_ context.Context, key string) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.claims[key] != nil, nil
}

// Enter implements engine.Presence. A single node has no other node to
// tell.
func (p *presence) Enter(_ context.Context, pl engine.Place) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.rooms[pl.Room]
	if r == nil {
		r = &roomPresence{name: pl.RoomName, names: make(map[string]int)}
		p.rooms[pl.Room] = r
	}
	r.names[pl.Name]++
	return nil
}

// Exit implements engine.Presence.
func (p *presence) Exit(_ context.Context, pl engine.Place) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.rooms[pl.Room]
	if r == nil || r.names[pl.Name] == 0 {
		return nil
	}
	if r.names[pl.Name]--; r.names[pl.Name] == 0 {
		delete(r.names, pl.Name)
	}
	if len(r.names) == 0 {
		delete(p.rooms, pl.Room)
	}
	return nil
}

// Members implements engine.Presence.
func (p *presence) Members(_ context.Context, room string, limit int) ([]string, int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.rooms[room]
	if r == nil {
		return nil, 0, nil
	}
	names := make([]string, 0, min(limit, len(r.names)))
	for name := range r.names {
		if len(names) == limit {
			break
		}
		names = append(names, name)
	}
	return names, len(r.names), nil
}

// Rooms implements engine.Presence.
func (p *presence) Rooms(context.Context) ([]engine.Room, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]engine.Room, 0, len(p.rooms))
	for key, r := range p.rooms {
		out = append(out, engine.Room{Key: key, Name: r.name, Count: len(r.names)})
	}
	slices.SortFunc(out, func(a, b engine.Room) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}
