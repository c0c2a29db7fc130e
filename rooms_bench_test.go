package main

import (
	"fmt"
	"os"
	"runtime"
	"testing"

	"wschat/internal/textrules"
)

// BenchmarkMove measures /join between two rooms of a hub that has many
// others open: the cost must not grow with the number of rooms.
func BenchmarkMove(b *testing.B) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Skip(err)
	}
	defer devNull.Close()
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprintf("rooms=%d", n), func(b *testing.B) {
			stop := make(chan struct{})
			defer close(stop)
			f := newFlusher()
			go f.run(stop)
			hist, err := openHistory(testConfig(), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer hist.log.Close()
			h := newHub(0, nil, hist)
			join := func(name, room string) *peer {
				p := &peer{conn: discardConn(devNull, f), name: name, key: textrules.Fold(name)}
				if err := h.add(p, room, textrules.Fold(room), nil); err != nil {
					b.Fatal(err)
				}
				return p
			}
			for i := range n {
				join(fmt.Sprint("p", i), fmt.Sprint("room", i))
			}
			mover := join("mover", "room0")
			rooms := [2]string{"room1", "room0"}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if err := h.move(mover, rooms[i%2], textrules.Fold(rooms[i%2])); err != nil {
					b.Fatal(err)
				}
				if i%64 == 0 {
					runtime.Gosched() // let the flusher keep up
				}
			}
		})
	}
}
