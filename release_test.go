package main

import (
	"runtime"
	"testing"
	"time"
)

func TestMemoryReleaseOnlyOnceQuietAndWorthIt(t *testing.T) {
	const mib = 1 << 20
	for _, tt := range []struct {
		name        string
		parks       int  // connections parked before the timer looks
		parkBetween bool // one more parks between its first and second look
		live, spare uint64
		want, then  uint64 // releases after its second look, and a third
	}{
		{"quiet after a burst", 1000, false, 10 * mib, 10 * mib, 1, 1},
		{"still parking", 1000, true, 10 * mib, 10 * mib, 0, 1},
		{"too little to give", 1000, false, 1 * mib, 3 * mib, 0, 0},
		{"little beside what is live", 1000, false, 100 * mib, 20 * mib, 0, 0},
		{"nothing parked", 0, false, 10 * mib, 10 * mib, 0, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := new(metrics)
			gave := 0
			r := &memoryRelease{
				metrics: m, after: time.Hour, least: 4 * mib, // the test looks in place of the timer
				spare:    func() (uint64, uint64) { return tt.live, tt.spare },
				giveBack: func() { gave++ },
			}
			defer r.stop()
			for range tt.parks {
				r.parked()
			}
			r.check()
			if tt.parkBetween {
				r.parked()
			}
			r.check()
			if got := m.memoryReleases.Load(); got != tt.want || uint64(gave) != tt.want {
				t.Fatalf("%d releases counted, %d made; want %d", got, gave, tt.want)
			}
			r.check() // quiet since the second look, if the timer is still set
			if got := m.memoryReleases.Load(); got != tt.then {
				t.Fatalf("%d releases after a third look, want %d", got, tt.then)
			}
		})
	}
}

func TestMemoryReleaseStoppedReleasesNothing(t *testing.T) {
	m := new(metrics)
	r := &memoryRelease{metrics: m, after: time.Hour, least: 1,
		spare: func() (uint64, uint64) { return 1, 1 << 30 }, giveBack: func() {}}
	r.parked()
	r.stop()
	r.check()
	r.parked()
	r.check()
	if n := m.memoryReleases.Load(); n != 0 {
		t.Fatalf("%d releases after stop", n)
	}
}

func TestMemoryReleaseGivesTheFreeHeapBackAndEmptiesPools(t *testing.T) {
	r := newMemoryRelease(new(metrics))
	defer r.stop()
	pooled := takeReadState(nil, nil)
	pooled.give()
	keep := make([][]byte, 0, 1024)
	for range 1024 {
		keep = append(keep, make([]byte, 16<<10))
	}
	keep = nil
	runtime.GC() // the garbage is now free heap, not yet given back
	live, spare := heapSpare()
	if spare < 8<<20 {
		t.Fatalf("16 MiB of garbage collected, but heapSpare counts %d spare bytes beside %d live", spare, live)
	}
	r.giveBack()
	if _, after := heapSpare(); after > spare/2 {
		t.Errorf("%d spare heap bytes before the release, %d after", spare, after)
	}
	if readStates.Get() == pooled {
		t.Error("a read state pooled before the release is still pooled after it")
	}
}
