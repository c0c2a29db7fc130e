package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkIdleMemory runs the real binary, joins 10,000 chat clients
// from this process, has one of them say something everyone hears, waits
// until the server holds a goroutine for none of them (every connection
// is parked) and, when the server says it does that, has given memory
// back once quiet, and reports the server's resident memory per
// connection: what an idle chat user costs. It runs twice, with clients that do not
// offer permessage-deflate and with clients that offer it as Chromium
// does, the message then sent and broadcast compressed, and reports the
// ratio: compression keeps no state on an idle connection. (Two file
// descriptors per loopback connection, one on each side, and the machine
// allows 20,000 per process.)
//
// With WSCHAT_BASELINE_REV set to git revisions, separated by commas,
// it also builds the binary of each and measures it the same way, in the
// same run, reporting its figure and the ratio to it (the first as
// "baseline", the second as "baseline2"):
//
//	WSCHAT_BASELINE_REV=main go test -run '^$' -bench IdleMemory -benchtime 1x
func BenchmarkIdleMemory(b *testing.B) {
	bin := buildBinary(b)
	baselines := buildBaselines(b)
	var plain float64
	for _, v := range []struct{ name, offer string }{{"plain", ""}, {"deflate", "permessage-deflate; client_max_window_bits"}} {
		b.Run(v.name, func(b *testing.B) {
			for range b.N {
				was := make([]idleFigures, len(baselines))
				for i, bl := range baselines {
					was[i] = idleMemory(b, bl, v.offer)
				}
				now := idleMemory(b, bin, v.offer)
				b.ReportMetric(now.rss, "KiB-RSS/conn")
				b.ReportMetric(now.heapObjects, "KiB-heap-objects/conn")
				b.ReportMetric(now.heapUnused, "KiB-heap-unused/conn")
				b.ReportMetric(now.outsideHeap, "KiB-runtime-outside-heap/conn")
				b.ReportMetric(now.stacks, "KiB-stacks/conn")
				b.ReportMetric(now.rssAtStart, "KiB-RSS-at-start")
				b.ReportMetric(now.peakGoroutines, "peak-goroutines")
				for i, w := range was {
					suffix := "baseline"
					if i > 0 {
						suffix += strconv.Itoa(i + 1)
					}
					b.ReportMetric(w.rss, "KiB-RSS/conn-"+suffix)
					b.ReportMetric(now.rss/w.rss, "RSS-vs-"+suffix)
				}
				if v.offer == "" {
					plain = now.rss
				} else if plain > 0 {
					b.ReportMetric(now.rss/plain, "RSS-vs-plain")
				}
			}
		})
	}
}

// idleConns is how many clients BenchmarkIdleMemory joins.
const idleConns = 10000

// idleFigures are what one run of BenchmarkIdleMemory measures, in KiB:
// per connection but for the resident memory at start.
type idleFigures struct {
	rss, heapObjects, stacks float64
	heapUnused               float64 // room in the heap's spans that no object takes
	outsideHeap              float64 // the runtime's own in use: metadata, poll descriptors, finalizers, OS stacks
	rssAtStart               float64
	peakGoroutines           float64 // the most the server had, as sampled
}

// idleMemory measures one run of BenchmarkIdleMemory against the binary
// bin, clients offering offer.
func idleMemory(b *testing.B, bin, offer string) idleFigures {
	// The clients answer no pings: none may come before the end.
	srv, addr, log := startBinary(b, bin, "-ping-interval", "10m")
	defer srv.Process.Kill()
	metrics := metricsAddr(b, log)
	began := time.Now()
	goroutines := scrapeGauge(b, metrics, "go_goroutines")
	base := rssKiB(b, srv.Process.Pid)
	h := http.Header{}
	if offer != "" {
		h.Set("Sec-WebSocket-Extensions", offer)
	}
	said := strings.TrimSpace(strings.Repeat("something everyone hears, compressed when it can be; ", 4))
	peak := watchPeak(metrics, "go_goroutines")
	heard := make(chan error, idleConns)
	clients := dialIdle(b, addr, h, offer != "", func(c *wsClient) { heard <- waitFor(c.br, "c0: "+said) })
	// A server that gives memory back once quiet does so releaseAfter
	// after the last connection has parked: after the last of these has
	// joined, or after the sender's connection parks again, parkAfter
	// after its message. The release counted from now is one of those.
	releases, releasing := scrapeMetric(b, metrics, "wschat_memory_releases_total")
	defer func() {
		for _, c := range clients {
			c.nc.Close()
		}
	}()
	c0 := &wsClient{t: b, nc: clients[0].nc, br: clients[0].br, key: clients[0].key}
	if offer != "" {
		c0.writeCompressed(opText, []byte(said), 0)
	} else {
		c0.sendText(said)
	}
	for range clients {
		if err := <-heard; err != nil {
			b.Fatalf("waiting for the message, %v after start: %v; server log ends %q", time.Since(began), err, tail(log.String(), 600))
		}
	}
	// Parked, a connection has no goroutine.
	peakGoroutines := peak()
	settled := time.Now().Add(time.Minute)
	for scrapeGauge(b, metrics, "go_goroutines") > goroutines+idleConns/100 {
		if time.Now().After(settled) {
			b.Fatalf("the server still has %v goroutines a minute after the message", scrapeGauge(b, metrics, "go_goroutines"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	for releasing {
		if n, _ := scrapeMetric(b, metrics, "wschat_memory_releases_total"); n > releases {
			break
		}
		if time.Now().After(settled) {
			b.Fatalf("the server gave no memory back within a minute of the message; its log ends %q", tail(log.String(), 600))
		}
		time.Sleep(100 * time.Millisecond)
	}
	rss := rssKiB(b, srv.Process.Pid)
	runtimeMem := scrapeRuntimeMemory(b, metrics)
	for _, class := range slices.Sorted(maps.Keys(runtimeMem)) {
		b.Logf("%s: %.0f B/conn", class, runtimeMem[class]/idleConns)
	}

	return idleFigures{
		rss:         float64(rss-base) / idleConns,
		heapObjects: runtimeMem["heap/objects"] / 1024 / idleConns,
		heapUnused:  runtimeMem["heap/unused"] / 1024 / idleConns,
		outsideHeap: (runtimeMem["metadata/mcache/inuse"] + runtimeMem["metadata/mspan/inuse"] + runtimeMem["metadata/other"] +
			runtimeMem["other"] + runtimeMem["os-stacks"]) / 1024 / idleConns,
		stacks:         runtimeMem["heap/stacks"] / 1024 / idleConns,
		rssAtStart:     float64(base),
		peakGoroutines: peakGoroutines,
	}
}

// watchPeak samples the metric name on the server's metrics listener at
// addr every 50 ms until the function it returns is called, which
// returns the largest value seen. The runtime keeps the structure of
// every goroutine it has had at once for reuse: a goroutine in a burst
// costs some 500 bytes for good.
func watchPeak(addr, name string) func() float64 {
	stop, peak := make(chan struct{}), make(chan float64)
	go func() {
		most := 0.0
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if v, ok, _ := metricValue(addr, name); ok {
				most = max(most, v)
			}
			select {
			case <-stop:
				peak <- most
				return
			case <-t.C:
			}
		}
	}()
	return func() float64 {
		close(stop)
		return <-peak
	}
}

// dialIdle joins idleConns chat clients to addr with extra headers, a few
// at a time, and checks whether compression was negotiated as wanted.
// Each client reads from the moment it has joined, as a real one does,
// with read on a goroutine of its own.
func dialIdle(b *testing.B, addr string, h http.Header, compressed bool, read func(*wsClient)) []*wsClient {
	const dialers = 8
	clients := make([]*wsClient, idleConns)
	errs := make(chan error, dialers)
	for d := range dialers {
		go func() {
			for i := d; i < idleConns; i += dialers {
				c, resp, err := tryDial(addr, fmt.Sprintf("/ws/chat?name=c%d", i), h)
				if err == nil && (resp.StatusCode != http.StatusSwitchingProtocols || compressed != (resp.Header.Get("Sec-WebSocket-Extensions") != "")) {
					c.nc.Close()
					err = fmt.Errorf("status %s, extensions %q", resp.Status, resp.Header.Get("Sec-WebSocket-Extensions"))
				}
				if err != nil {
					errs <- fmt.Errorf("client %d: %w", i, err)
					return
				}
				c.nc.SetDeadline(time.Now().Add(5 * time.Minute))
				clients[i] = c
				go read(c)
			}
			errs <- nil
		}()
	}
	var failed error
	for range dialers {
		if err := <-errs; err != nil && failed == nil {
			failed = err
		}
	}
	if failed != nil {
		for _, c := range clients {
			if c != nil {
				c.nc.Close()
			}
		}
		b.Fatal(failed)
	}
	return clients
}

// buildBaselines builds the binaries of the git revisions
// WSCHAT_BASELINE_REV names, separated by commas, and returns their
// paths: none when the variable is unset or git cannot be run.
func buildBaselines(b *testing.B) []string {
	revs := os.Getenv("WSCHAT_BASELINE_REV")
	if revs == "" {
		b.Log("WSCHAT_BASELINE_REV is unset: no baseline measured")
		return nil
	}
	if _, err := exec.LookPath("git"); err != nil {
		b.Logf("no git to build the baselines %s with: no baseline measured", revs)
		return nil
	}
	var bins []string
	for rev := range strings.SplitSeq(revs, ",") {
		bins = append(bins, buildBaseline(b, strings.TrimSpace(rev)))
	}
	return bins
}

// buildBaseline builds the binary of the git revision rev, from git
// archive into a temporary folder, and returns its path.
func buildBaseline(b *testing.B, rev string) string {
	dir := b.TempDir()
	archive := exec.Command("git", "archive", "--format=tar", rev)
	var stderr bytes.Buffer
	archive.Stderr = &stderr
	out, err := archive.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := archive.Start(); err != nil {
		b.Fatal(err)
	}
	untarErr := untar(out, dir)
	if err := archive.Wait(); err != nil {
		b.Fatalf("git archive %s: %v\n%s", rev, err, stderr.Bytes())
	}
	if untarErr != nil {
		b.Fatalf("unpack git archive %s: %v", rev, untarErr)
	}
	bin := filepath.Join(b.TempDir(), "wschat-baseline")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build the baseline %s: %v\n%s", rev, err, out)
	}
	b.Logf("baseline: %s", rev)
	return bin
}

// untar writes the regular files and folders of a tar stream under dir.
func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		path := filepath.Join(dir, filepath.FromSlash(hdr.Name))
		if !strings.HasPrefix(path, filepath.Clean(dir)+string(filepath.Separator)) {
			return fmt.Errorf("%q leaves the folder", hdr.Name)
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(path, 0o755)
		case tar.TypeReg:
			err = writeFileFrom(path, tr, hdr.FileInfo().Mode().Perm())
		}
		if err != nil {
			return err
		}
	}
}

// writeFileFrom writes what r holds to a new file at path.
func writeFileFrom(path string, r io.Reader, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// waitFor reads frames until one whose payload is want.
func waitFor(br *bufio.Reader, want string) error {
	var hdr [maxHeaderSize]byte
	for {
		if _, err := io.ReadFull(br, hdr[:2]); err != nil {
			return err
		}
		n := headerSize(hdr[:2])
		if _, err := io.ReadFull(br, hdr[2:n]); err != nil {
			return err
		}
		h, _, _ := parseFrameHeader(hdr[:n])
		p := make([]byte, h.length)
		if _, err := io.ReadFull(br, p); err != nil {
			return err
		}
		if h.rsv == bitRsv1 { // a compressed message in one frame, as the server sends
			var err error
			if p, err = io.ReadAll(flate.NewReader(io.MultiReader(bytes.NewReader(p), bytes.NewReader(deflateTail[:])))); err != nil {
				return err
			}
		}
		if bytes.Equal(p, []byte(want)) {
			return nil
		}
	}
}

// scrapeRuntimeMemory reads the server's go_memory_bytes by class from
// /metrics on its metrics listener.
func scrapeRuntimeMemory(b *testing.B, addr string) map[string]float64 {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	classes := map[string]float64{}
	re := regexp.MustCompile(`(?m)^go_memory_bytes\{class="([^"]+)"\} (\d+)$`)
	for _, m := range re.FindAllStringSubmatch(string(body), -1) {
		classes[m[1]], _ = strconv.ParseFloat(m[2], 64)
	}
	return classes
}

// scrapeGauge reads the value of an unlabelled metric from /metrics on
// the server's metrics listener at addr.
func scrapeGauge(b *testing.B, addr, name string) float64 {
	v, ok := scrapeMetric(b, addr, name)
	if !ok {
		b.Fatalf("no %s in /metrics", name)
	}
	return v
}

// scrapeMetric is scrapeGauge for a metric the server may not have.
func scrapeMetric(b *testing.B, addr, name string) (float64, bool) {
	v, ok, err := metricValue(addr, name)
	if err != nil {
		b.Fatal(err)
	}
	return v, ok
}

// metricValue reads the value of an unlabelled metric, and whether the
// server has it, from /metrics on its metrics listener at addr.
func metricValue(addr, name string) (float64, bool, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, false, err
	}
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		return 0, false, nil
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	return v, err == nil, err
}

// tail is the last n bytes of s.
func tail(s string, n int) string { return s[max(0, len(s)-n):] }
