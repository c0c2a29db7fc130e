package enginetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"wschat/internal/engine"
)

// OpenModeration returns fresh moderation records for one test, within
// lim, and again: what opens the same records anew, as a restart (with
// -data) or another node (Redis) would; nil when nothing outlives the
// first (memory alone).
type OpenModeration func(t *testing.T, lim engine.ModerationLimits) (m engine.Moderation, again func() engine.Moderation)

// RunModeration runs the moderation contract against what open opens.
func RunModeration(t *testing.T, open OpenModeration) {
	t.Run("Rooms", func(t *testing.T) { testModRooms(t, open) })
	t.Run("Owned", func(t *testing.T) { testOwned(t, open) })
	t.Run("Lists", func(t *testing.T) { testLists(t, open) })
	t.Run("Reports", func(t *testing.T) { testReports(t, open) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, open) })
}

// views is m, and the same records opened anew when they outlive m.
func views(m engine.Moderation, again func() engine.Moderation) []engine.Moderation {
	if again == nil {
		return []engine.Moderation{m}
	}
	return []engine.Moderation{m, again()}
}

func mustRoom(t *testing.T, m engine.Moderation, key string) engine.RoomRecord {
	t.Helper()
	r, err := m.Room(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func testModRooms(t *testing.T, open OpenModeration) {
	ctx := context.Background()
	m, again := open(t, engine.ModerationLimits{})
	empty := mustRoom(t, m, "go")
	if !empty.Empty() || empty.Key != "go" {
		t.Fatalf("a room nobody set is %+v, want the empty record of go", empty)
	}
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Millisecond)
	owned := engine.RoomRecord{Key: "go", Name: "Go", Owner: "alice", OwnerName: "Alice", Topic: "gophers",
		Operators: []string{"bob"}, Bans: []engine.Sanction{{Key: "eve", Name: "Eve", By: "Alice", Reason: "spam", Until: until}}}
	if err := m.Put(ctx, empty, owned); err != nil {
		t.Fatal(err)
	}
	// A second writer that read the empty record loses: no takeover.
	if err := m.Put(ctx, empty, engine.RoomRecord{Key: "go", Owner: "mallory"}); !errors.Is(err, engine.ErrChanged) {
		t.Fatalf("a put over a stale record: %v, want ErrChanged", err)
	}
	for i, v := range views(m, again) {
		got := mustRoom(t, v, "go")
		if got.Encode() != owned.Encode() {
			t.Fatalf("view %d: the record is %s, want %s", i, got.Encode(), owned.Encode())
		}
		m = v
	}
	if err := m.Put(ctx, mustRoom(t, m, "go"), engine.RoomRecord{Key: "go"}); err != nil {
		t.Fatal(err)
	}
	if r := mustRoom(t, m, "go"); !r.Empty() {
		t.Fatalf("a removed record is %+v", r)
	}
}

// testOwned: one account owns at most Owned rooms; giving one up frees
// its place.
func testOwned(t *testing.T, open OpenModeration) {
	ctx := context.Background()
	m, _ := open(t, engine.ModerationLimits{Owned: 2})
	for i := range 2 {
		if err := m.Put(ctx, engine.RoomRecord{Key: fmt.Sprint("r", i)}, engine.RoomRecord{Owner: "alice"}); err != nil {
			t.Fatal(err)
		}
	}
	var b *engine.BoundError
	if err := m.Put(ctx, engine.RoomRecord{Key: "r2"}, engine.RoomRecord{Owner: "alice"}); !errors.As(err, &b) || b.Bound != "owned" {
		t.Fatalf("a third room for one owner: %v, want the owned bound", err)
	}
	if r := mustRoom(t, m, "r2"); !r.Empty() {
		t.Fatalf("a refused room was kept: %+v", r)
	}
	if err := m.Put(ctx, engine.RoomRecord{Key: "r2"}, engine.RoomRecord{Owner: "bob"}); err != nil {
		t.Fatalf("another owner is refused: %v", err)
	}
	if err := m.Put(ctx, mustRoom(t, m, "r0"), engine.RoomRecord{Key: "r0"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Put(ctx, engine.RoomRecord{Key: "r3"}, engine.RoomRecord{Owner: "alice"}); err != nil {
		t.Fatalf("a room after giving one up: %v", err)
	}
}

// testLists: no list of a room's record holds more than List entries.
func testLists(t *testing.T, open OpenModeration) {
	ctx := context.Background()
	m, _ := open(t, engine.ModerationLimits{List: 3})
	next := engine.RoomRecord{Key: "go", Owner: "alice"}
	for i := range 4 {
		next.Bans = append(next.Bans, engine.Sanction{Key: fmt.Sprint("p", i)})
	}
	var b *engine.BoundError
	if err := m.Put(ctx, engine.RoomRecord{Key: "go"}, next); !errors.As(err, &b) || b.Bound != "list" {
		t.Fatalf("four bans past a bound of three: %v, want the list bound", err)
	}
	next.Bans = next.Bans[:3]
	if err := m.Put(ctx, engine.RoomRecord{Key: "go"}, next); err != nil {
		t.Fatal(err)
	}
}

// testReports: one reporter keeps at most ReportsEach; past Reports the
// oldest go, and with them their reporters' count.
func testReports(t *testing.T, open OpenModeration) {
	ctx := context.Background()
	m, again := open(t, engine.ModerationLimits{Reports: 5, ReportsEach: 3})
	report := func(m engine.Moderation, by string, i int) error {
		return m.Report(ctx, engine.Report{Room: "go", ID: fmt.Sprint(i), Text: "words", Reason: "rude", By: by, Reporter: by})
	}
	for i := range 3 {
		if err := report(m, "eve", i); err != nil {
			t.Fatal(err)
		}
	}
	var b *engine.BoundError
	if err := report(m, "eve", 3); !errors.As(err, &b) || b.Bound != "reports-each" {
		t.Fatalf("a fourth report of one reporter: %v, want the reports-each bound", err)
	}
	for i := range 3 {
		if err := report(m, "bob", 10+i); err != nil {
			t.Fatal(err)
		}
	}
	// Six reports past a bound of five: eve's oldest went.
	if err := report(m, "eve", 4); err != nil {
		t.Fatalf("a report after one's oldest was dropped: %v", err)
	}
	for i, v := range views(m, again) {
		got, err := v.Reports(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range got {
			ids = append(ids, r.ID)
		}
		if want := "[4 12 11 10 2]"; fmt.Sprint(ids) != want {
			t.Fatalf("view %d: reports %v, want %s (newest first, five kept)", i, ids, want)
		}
	}
}

// testAudit: the log keeps the newest Audit entries, newest first.
func testAudit(t *testing.T, open OpenModeration) {
	ctx := context.Background()
	m, again := open(t, engine.ModerationLimits{Audit: 5})
	for i := range 12 {
		if err := m.Audit(ctx, engine.AuditEntry{Room: "go", Actor: "alice", Action: "kick", Target: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for i, v := range views(m, again) {
		got, err := v.AuditLog(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		var targets []string
		for _, e := range got {
			targets = append(targets, e.Target)
		}
		if want := "[11 10 9 8 7]"; fmt.Sprint(targets) != want {
			t.Fatalf("view %d: audit %v, want %s", i, targets, want)
		}
	}
}
