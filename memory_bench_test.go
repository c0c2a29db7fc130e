package main

import (
	"bufio"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkIdleMemory runs the real binary, joins 9,000 chat clients
// from this process, has one of them say something everyone hears, and
// reports the server's resident memory per connection once every client
// has heard it: what an idle chat user costs. It runs twice, with clients
// that do not offer permessage-deflate and with clients that offer it as
// Chromium does, the message then sent and broadcast compressed, and
// reports the ratio: compression keeps no state on an idle connection.
// (Two file descriptors per loopback connection, one on each side, and the
// machine allows 20,000 per process.)
//
//	go test -run '^$' -bench IdleMemory -benchtime 1x
func BenchmarkIdleMemory(b *testing.B) {
	bin := buildBinary(b)
	var plain float64
	for _, v := range []struct{ name, offer string }{{"plain", ""}, {"deflate", "permessage-deflate; client_max_window_bits"}} {
		b.Run(v.name, func(b *testing.B) {
			for range b.N {
				rss := idleMemory(b, bin, v.offer)
				if v.offer == "" {
					plain = rss
				} else if plain > 0 {
					b.ReportMetric(rss/plain, "RSS-vs-plain")
				}
			}
		})
	}
}

// idleMemory measures one run of BenchmarkIdleMemory, clients offering
// offer, and returns the KiB of RSS per connection.
func idleMemory(b *testing.B, bin, offer string) float64 {
	const conns = 9000
	srv, addr, log := startBinary(b, bin)
	began := time.Now()
	base := rssKiB(b, srv.Process.Pid)
	h := http.Header{}
	if offer != "" {
		h.Set("Sec-WebSocket-Extensions", offer)
	}
	said := strings.TrimSpace(strings.Repeat("something everyone hears, compressed when it can be; ", 4))
	last := "c0: " + said
	heard := make(chan error, conns)
	var first *wsClient
	for i := range conns {
		c, resp, err := tryDial(addr, fmt.Sprintf("/ws/chat?name=c%d", i), h)
		if err != nil || resp.StatusCode != 101 || (offer != "") != (resp.Header.Get("Sec-WebSocket-Extensions") != "") {
			b.Fatalf("client %d: %v %v", i, err, resp)
		}
		c.nc.SetDeadline(time.Now().Add(5 * time.Minute))
		defer c.nc.Close()
		if i == 0 {
			first = c
		}
		go func() { heard <- waitFor(c.br, last) }()
	}
	c0 := &wsClient{t: b, nc: first.nc, br: first.br, key: first.key}
	if offer != "" {
		c0.writeCompressed(opText, []byte(said), 0)
	} else {
		c0.sendText(said)
	}
	for range conns {
		if err := <-heard; err != nil {
			b.Fatalf("waiting for the message, %v after start: %v; server log ends %q", time.Since(began), err, tail(log.String(), 600))
		}
	}
	rss := rssKiB(b, srv.Process.Pid)
	runtimeMem := scrapeRuntimeMemory(b, metricsAddr(b, log))
	b.ReportMetric(runtimeMem["heap/stacks"]/1024/conns, "KiB-stacks/conn")
	b.ReportMetric(runtimeMem["heap/objects"]/1024/conns, "KiB-heap-objects/conn")
	b.ReportMetric(float64(rss-base)/conns, "KiB-RSS/conn")
	b.ReportMetric(float64(base), "KiB-RSS-at-start")
	return float64(rss-base) / conns
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

// tail is the last n bytes of s.
func tail(s string, n int) string { return s[max(0, len(s)-n):] }
