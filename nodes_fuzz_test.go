package main

import (
	"os"
	"testing"

	"wschat/internal/textrules"
)

// FuzzDispatch feeds a node whatever announcements Redis might carry: it
// must not panic, and a room's last delivered id must never go back.
func FuzzDispatch(f *testing.F) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		f.Skip(err)
	}
	defer devNull.Close()
	stop := make(chan struct{})
	defer close(stop)
	fl := newFlusher()
	go fl.run(stop)
	hist, err := openHistory(testConfig(), nil)
	if err != nil {
		f.Fatal(err)
	}
	defer hist.log.Close()
	h := newHub(0, nil, hist)
	for _, name := range []string{"alice", "bob"} {
		p := &peer{conn: discardConn(devNull, fl), name: name, key: name}
		if err := h.add(p, lobby, textrules.Fold(lobby), nil); err != nil {
			f.Fatal(err)
		}
	}
	b := &backplane{hub: h, node: "self"}
	f.Fuzz(func(t *testing.T, ev []byte) {
		before := h.lastIDs()[lobby]
		b.dispatch(ev)
		if after := h.lastIDs()[lobby]; after.Less(before) {
			t.Fatalf("lobby's last id went back from %v to %v", before, after)
		}
	})
}
