package redis

import (
	"strconv"
	"testing"

	"wschat/internal/engine"
	"wschat/internal/engine/enginetest"
	"wschat/internal/resp/resptest"
)

// TestModerationContract runs the moderation contract with two nodes on
// one Redis: what one keeps, the other reads.
func TestModerationContract(t *testing.T) {
	srv := resptest.Start(t, "--databases", "64")
	db := 0
	enginetest.RunModeration(t, func(t *testing.T, lim engine.ModerationLimits) (engine.Moderation, func() engine.Moderation) {
		db++
		url := srv.URL("", "/"+strconv.Itoa(db))
		open := func() engine.Moderation {
			e, err := Open(Options{URL: url, Moderation: lim})
			if err != nil {
				t.Fatal(err)
			}
			e.Attach(enginetest.NewRecorder())
			t.Cleanup(func() { e.Close() })
			return e
		}
		return open(), open
	})
}
