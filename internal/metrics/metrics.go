// Package metrics writes counters in the Prometheus text exposition
// format, version 0.0.4, and holds the one kind of metric that needs more
// than an atomic counter: a histogram of durations.
package metrics

import (
	"bytes"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"
)

// Page is one exposition being written.
type Page struct{ bytes.Buffer }

// Family starts a metric family: its HELP and TYPE lines.
func (p *Page) Family(name, typ, help string) {
	fmt.Fprintf(p, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

// Sample writes one sample; labels is "" or `a="x",b="y"`.
func (p *Page) Sample(name, labels, value string) {
	p.WriteString(name)
	if labels != "" {
		p.WriteString("{" + labels + "}")
	}
	p.WriteString(" " + value + "\n")
}

// Counter writes a counter family of one sample.
func (p *Page) Counter(name, help string, v uint64) {
	p.Family(name, "counter", help)
	p.Sample(name, "", strconv.FormatUint(v, 10))
}

// Gauge writes a gauge family of one sample.
func (p *Page) Gauge(name, help string, v int64) {
	p.Family(name, "gauge", help)
	p.Sample(name, "", strconv.FormatInt(v, 10))
}

// Histogram writes h as a histogram family.
func (p *Page) Histogram(name, help string, h *Histogram) {
	p.Family(name, "histogram", help)
	var cumulative uint64
	for i := range h.counts {
		cumulative += h.counts[i].Load()
		le := "+Inf"
		if i < len(buckets) {
			le = Seconds(buckets[i])
		}
		p.Sample(name+"_bucket", fmt.Sprintf(`le=%q`, le), strconv.FormatUint(cumulative, 10))
	}
	p.Sample(name+"_sum", "", Seconds(time.Duration(h.sum.Load())))
	p.Sample(name+"_count", "", strconv.FormatUint(cumulative, 10))
}

// Seconds writes d as a number of seconds.
func Seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'g', -1, 64) }

// buckets are the upper bounds of every Histogram: from what a broadcast
// to a few peers takes to what one to a crowd on a loaded machine may.
var buckets = [...]time.Duration{
	10 * time.Microsecond, 25 * time.Microsecond, 50 * time.Microsecond,
	100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second,
}

// Histogram counts durations into buckets, without a lock. Each count is
// of its own bucket only; the exposition makes them cumulative. The zero
// value is ready to use.
type Histogram struct {
	counts [len(buckets) + 1]atomic.Uint64 // the last is +Inf
	sum    atomic.Int64                    // nanoseconds
}

// Observe counts one duration.
func (h *Histogram) Observe(d time.Duration) {
	i := 0
	for i < len(buckets) && d > buckets[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sum.Add(int64(d))
}
