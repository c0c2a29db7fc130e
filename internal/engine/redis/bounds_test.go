package redis

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"wschat/internal/engine/enginetest"
	"wschat/internal/resp/resptest"
	"wschat/internal/store"
)

// The bookkeeping of a log is kept by the scripts that append and drop:
// after a flood of appends that trims and ages streams, it says exactly
// what the streams hold, and the keys it leaves are bounded.
func TestBookkeepingMatchesTheStreams(t *testing.T) {
	srv := resptest.Start(t)
	e, err := Open(Options{URL: srv.URL("", ""), Keep: 5, History: store.Bounds{RoomBytes: 4 * store.Charge(50), MaxAge: 300 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	e.Attach(enginetest.NewRecorder())
	defer e.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rng := rand.New(rand.NewPCG(1, 2))
	publish := func(n int, rooms string) {
		for i := range n {
			room := fmt.Sprintf("%s%d", rooms, rng.IntN(20))
			sender := []string{"", "alice", "mallory"}[rng.IntN(3)]
			if _, _, err := e.Publish(ctx, room, sender, []byte(strings.Repeat("p", rng.IntN(120)+i%3))); err != nil {
				t.Fatal(err)
			}
		}
	}
	publish(500, "old")
	if n := len(e.keysLike(t, ctx, "wschat:room:old*")); n != 20 {
		t.Fatalf("%d streams after the flood, want 20", n)
	}
	checkBookkeeping(t, e)
	for start := time.Now(); time.Since(start) < 400*time.Millisecond; {
		time.Sleep(20 * time.Millisecond) // for the old rooms to age out: nothing but time ages them
	}
	publish(100, "new") // each append ages out a few old rooms too
	checkBookkeeping(t, e)
	keys := e.keysLike(t, ctx, "wschat:room:old*")
	if len(keys) != 0 {
		t.Errorf("%d streams past their age left: %q", len(keys), keys)
	}
}

// checkBookkeeping recomputes what each stream, sender and the whole are
// charged from the streams themselves, and compares it with the
// bookkeeping.
func checkBookkeeping(t *testing.T, e *Engine) {
	t.Helper()
	ctx := context.Background()
	f := e.rooms
	bytes, owners, openers := map[string]int64{}, map[string]int64{}, map[string]string{}
	var total int64
	for _, stream := range e.keysLike(t, ctx, f.streams+"*") {
		key := strings.TrimPrefix(stream, f.streams)
		v, err := e.do(ctx, "XRANGE", stream, "-", "+")
		if err != nil {
			t.Fatal(err)
		}
		for _, entry := range v.Elems() {
			kv := entry.Elems()[1].Elems()
			var pay, own string
			for i := 0; i+1 < len(kv); i += 2 {
				switch kv[i].Str() {
				case "m":
					pay = kv[i+1].Str()
				case "o":
					own = kv[i+1].Str()
				}
			}
			c := store.Charge(len(pay))
			bytes[key] += c
			total += c
			if own != "" {
				owners[own] += c
			}
		}
		opener := e.hget(t, f.meta+"openers", key)
		openers[key] = opener
		total += store.RoomOverhead
		if opener != "" {
			owners[opener] += store.RoomOverhead
		}
	}
	if got := e.get(t, f.meta+"total"); got != total {
		t.Errorf("total %d, the streams hold %d", got, total)
	}
	for key, want := range bytes {
		if got, _ := strconv.ParseInt(e.hget(t, f.meta+"bytes", key), 10, 64); got != want {
			t.Errorf("stream %s: bytes %d, holds %d", key, got, want)
		}
	}
	for own, want := range owners {
		if got, _ := strconv.ParseInt(e.hget(t, f.meta+"owners", own), 10, 64); got != want {
			t.Errorf("sender %q: charged %d, holds %d", own, got, want)
		}
	}
	for _, h := range []struct {
		key  string
		want int
	}{{f.meta + "bytes", len(bytes)}, {f.meta + "openers", len(openers)}, {f.meta + "owners", len(owners)}} {
		if v, _ := e.do(ctx, "HLEN", h.key); int(v.Int()) != h.want {
			t.Errorf("%s has %d fields, want %d", h.key, v.Int(), h.want)
		}
	}
	if v, _ := e.do(ctx, "ZCARD", f.meta+"oldest"); int(v.Int()) != len(bytes) {
		t.Errorf("%d streams by age, %d streams", v.Int(), len(bytes))
	}
}

func (e *Engine) keysLike(t *testing.T, ctx context.Context, pattern string) []string {
	t.Helper()
	v, err := e.do(ctx, "KEYS", pattern)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range v.Elems() {
		out = append(out, k.Str())
	}
	return out
}

func (e *Engine) hget(t *testing.T, key, field string) string {
	t.Helper()
	v, err := e.do(context.Background(), "HGET", key, field)
	if err != nil {
		t.Fatal(err)
	}
	return v.Str()
}

func (e *Engine) get(t *testing.T, key string) int64 {
	t.Helper()
	v, err := e.do(context.Background(), "GET", key)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.ParseInt(v.Str(), 10, 64)
	return n
}
