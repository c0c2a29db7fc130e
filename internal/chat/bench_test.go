package chat

import (
	"fmt"
	"testing"
)

// BenchmarkMove measures /join between two rooms of a chat that has many
// others open: the cost must not grow with the number of rooms.
func BenchmarkMove(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprintf("rooms=%d", n), func(b *testing.B) {
			c := newTestChat(b, Options{})
			for i := range n {
				joinAs(b, c, fmt.Sprint("p", i), fmt.Sprint("room", i))
			}
			mover, _ := joinAs(b, c, "mover", "room0")
			rooms := [2]string{"/join room1", "/join room0"}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				mover.Receive([]byte(rooms[i%2]))
			}
		})
	}
}
