package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkIdleMemory runs the real binary, joins 9,000 chat clients
// from this process, and reports the server's resident memory per
// connection once every client has heard the last one join: what an idle
// chat user costs. (Two file descriptors per loopback connection, one on
// each side, and the machine allows 20,000 per process.)
//
//	go test -run '^$' -bench IdleMemory -benchtime 1x
func BenchmarkIdleMemory(b *testing.B) {
	const conns = 9000
	bin := buildBinary(b)
	for range b.N {
		srv, addr, logs := startBinary(b, bin)
		base := rssKiB(b, srv.Process.Pid)
		last := fmt.Sprintf("* c%d joined", conns-1)
		heard := make(chan error, conns)
		for i := range conns {
			c, resp, err := tryDial(addr, fmt.Sprintf("/ws/chat?name=c%d", i), nil)
			if err != nil || resp.StatusCode != 101 {
				b.Fatalf("client %d: %v %v", i, err, resp)
			}
			c.nc.SetDeadline(time.Now().Add(5 * time.Minute))
			defer c.nc.Close()
			if i == conns-1 {
				heard <- nil // the last one hears no notice of its own join
				continue
			}
			go func() { heard <- waitFor(c.br, last) }()
		}
		for range conns {
			if err := <-heard; err != nil {
				b.Fatalf("waiting for the last join notice: %v", err)
			}
		}
		rss := rssKiB(b, srv.Process.Pid)
		runtimeMem := scrapeRuntimeMemory(b, metricsAddr(b, logs))
		b.ReportMetric(runtimeMem["heap/stacks"]/1024/conns, "KiB-stacks/conn")
		b.ReportMetric(runtimeMem["heap/objects"]/1024/conns, "KiB-heap-objects/conn")
		b.ReportMetric(float64(rss-base)/conns, "KiB-RSS/conn")
		b.ReportMetric(float64(base), "KiB-RSS-at-start")
	}
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

// rssKiB is a process's resident set size, from /proc.
func rssKiB(b testing.TB, pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skipf("no /proc on this system: %v", err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
