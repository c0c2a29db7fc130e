package metrics

import (
	"strings"
	"testing"
	"time"
)

func TestHistogramExposition(t *testing.T) {
	var h Histogram
	for _, d := range []time.Duration{5 * time.Microsecond, 30 * time.Microsecond, 2 * time.Second} {
		h.Observe(d)
	}
	var p Page
	p.Histogram("x_seconds", "How long.", &h)
	out := p.String()
	for _, want := range []string{
		"# HELP x_seconds How long.\n# TYPE x_seconds histogram\n",
		`x_seconds_bucket{le="1e-05"} 1` + "\n", // 5 µs
		`x_seconds_bucket{le="5e-05"} 2` + "\n", // and 30 µs: buckets are cumulative
		`x_seconds_bucket{le="1"} 2` + "\n",     // 2 s is past the last bound
		`x_seconds_bucket{le="+Inf"} 3` + "\n",
		"x_seconds_sum 2.000035\n",
		"x_seconds_count 3\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("exposition lacks %q:\n%s", want, out)
		}
	}
}

func TestPageSamples(t *testing.T) {
	var p Page
	p.Counter("a_total", "As.", 7)
	p.Gauge("b", "Bs.", -2)
	p.Family("c", "counter", "Cs.")
	p.Sample("c", `k="v"`, "1")
	want := "# HELP a_total As.\n# TYPE a_total counter\na_total 7\n" +
		"# HELP b Bs.\n# TYPE b gauge\nb -2\n" +
		"# HELP c Cs.\n# TYPE c counter\nc{k=\"v\"} 1\n"
	if got := p.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
