package chat

import (
	"fmt"
	"strconv"
	"time"
)

// Durations of bans and mutes are a whole number and a unit: 30s, 10m,
// 2h, 1d or 1w. A ban given none lasts until it is lifted; a mute given
// none lasts defaultMute.
const defaultMute = 10 * time.Minute

// maxSanction is the longest duration one may give: beyond it, leave it
// out (a ban then lasts until lifted).
const maxSanction = 366 * 24 * time.Hour

// durationUnits are the units a duration may have.
var durationUnits = map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}

// parseDuration reads a duration such as 10m, and reports whether word
// is one.
func parseDuration(word string) (time.Duration, bool) {
	if len(word) < 2 {
		return 0, false
	}
	unit, ok := durationUnits[word[len(word)-1]]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(word[:len(word)-1], 10, 32)
	if err != nil || n == 0 || time.Duration(n) > maxSanction/unit {
		return 0, false
	}
	return time.Duration(n) * unit, true
}

// describeUntil says how long a sanction lasts, for the words of a
// notice: "for 10m (until 2026-12-03 14:20 UTC)", or "until lifted".
func describeUntil(d time.Duration, until time.Time) string {
	if until.IsZero() {
		return "until lifted"
	}
	return fmt.Sprintf("for %s (until %s UTC)", shortDuration(d), until.UTC().Format("2006-01-02 15:04"))
}

// shortDuration writes d in the largest unit that divides it.
func shortDuration(d time.Duration) string {
	for _, u := range []struct {
		c byte
		d time.Duration
	}{{'w', durationUnits['w']}, {'d', durationUnits['d']}, {'h', time.Hour}, {'m', time.Minute}} {
		if d%u.d == 0 {
			return strconv.FormatInt(int64(d/u.d), 10) + string(u.c)
		}
	}
	return strconv.FormatInt(int64(d/time.Second), 10) + "s"
}
