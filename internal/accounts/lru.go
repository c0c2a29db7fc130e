package accounts

import "container/list"

// lru is a map from strings that keeps at most max entries: adding one
// more drops the entry touched longest ago. Reading or adding an entry
// touches it. It is not safe for concurrent use; its owner locks.
type lru[V any] struct {
	max   int
	items map[string]*list.Element
	order list.List // of *lruEntry[V], most recently touched first
}

type lruEntry[V any] struct {
	key string
	val V
}

// newLRU returns an empty lru keeping at most size entries (at least 1).
func newLRU[V any](size int) *lru[V] {
	return &lru[V]{max: max(1, size), items: make(map[string]*list.Element)}
}

// get returns key's value, touching it, or nil.
func (c *lru[V]) get(key string) *V {
	e := c.items[key]
	if e == nil {
		return nil
	}
	c.order.MoveToFront(e)
	return &e.Value.(*lruEntry[V]).val
}

// add returns key's value, touching it; a key not present is added with
// the zero value, and the entry touched longest ago dropped past max.
func (c *lru[V]) add(key string) *V {
	if v := c.get(key); v != nil {
		return v
	}
	e := c.order.PushFront(&lruEntry[V]{key: key})
	c.items[key] = e
	if c.order.Len() > c.max {
		c.remove(c.order.Back().Value.(*lruEntry[V]).key)
	}
	return &e.Value.(*lruEntry[V]).val
}

func (c *lru[V]) remove(key string) {
	if e := c.items[key]; e != nil {
		c.order.Remove(e)
		delete(c.items, key)
	}
}

func (c *lru[V]) len() int { return len(c.items) }
