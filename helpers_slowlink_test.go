package main

import (
	"io"
	"net"
	"testing"
	"time"
)

// startSlowLink listens on loopback in front of target until the test
// ends, and carries what each client sends at most rate bytes a second,
// as a slow uplink would; what the server sends goes as it comes. When
// either side closes, both do, as when a browser drops a connection: an
// upload cut short reaches the server as a cut.
func startSlowLink(t testing.TB, target string, rate int) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			// A small receive buffer, so that the client's own
			// buffers fill and it sees how slowly its bytes go.
			client.(*net.TCPConn).SetReadBuffer(rate / 2)
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			go func() {
				io.Copy(client, server)
				client.Close()
				server.Close()
			}()
			go func() {
				paced(server, client, rate)
				client.Close()
				server.Close()
			}()
		}
	}()
	return ln.Addr().String()
}

// paced copies from src to dst in chunks of a tenth of rate, one chunk a
// tenth of a second, until either side fails.
func paced(dst io.Writer, src io.Reader, rate int) {
	buf := make([]byte, max(rate/10, 1))
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
		<-tick.C
	}
}
