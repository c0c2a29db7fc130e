package memory

import (
	"context"
	"fmt"
	"testing"
	"time"

	"wschat/internal/engine"
)

// TestReceiptsBounds: past its most participants the record forgets the
// one idle longest, and a participant's ids are forgotten ReceiptsFor
// after its last request, not before.
func TestReceiptsBounds(t *testing.T) {
	ctx := context.Background()
	clock := time.Unix(1_800_000_000, 0)
	r := NewReceipts(3)
	r.now = func() time.Time { return clock }
	taken := func(sender, id string) bool {
		fresh, err := r.Take(ctx, sender, id)
		if err != nil {
			t.Fatal(err)
		}
		return !fresh
	}

	for i := range 1000 { // a flood of senders
		taken(fmt.Sprint("addr:", i), "c1")
	}
	if n := r.Senders(); n != 3 {
		t.Fatalf("after 1000 senders the record holds %d, want 3", n)
	}
	if !taken("addr:999", "c1") || taken("addr:0", "c1") {
		t.Fatal("the newest sender's id is not remembered, or the oldest's is")
	}

	clock = clock.Add(engine.ReceiptsFor)
	if !taken("addr:999", "c1") {
		t.Fatalf("an id is forgotten %v after the last request, want remembered", engine.ReceiptsFor)
	}
	clock = clock.Add(engine.ReceiptsFor + time.Second)
	if taken("addr:999", "c1") {
		t.Fatalf("an id is remembered more than %v after the last request", engine.ReceiptsFor)
	}
}
