package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"
)

// The tests in this file replay sections 12 and 13 of the Autobahn
// fuzzing client against /ws/echo: messages compressed with
// permessage-deflate, echoed and compared, then a clean close. Section 12
// sends five kinds of data with the suite's default offer; section 13
// sends JSON with the offers of its seven subsections. Every case sends
// messages of one size, cut into frames of the case's fragment size.
//
// The suite sends 1000 messages a case; here each case sends
// abDeflateCount, unless WSCHAT_AUTOBAHN_FULL=1 asks for the full count
// (several minutes on two cores).

// abDeflateSizes is the suite's list of (message size, fragment size)
// per case number, 1 to 18; 0 is no fragmentation.
var abDeflateSizes = [][2]int{
	{16, 0}, {64, 0}, {256, 0}, {1024, 0}, {4096, 0}, {8192, 0}, {16384, 0}, {32768, 0}, {65536, 0}, {131072, 0},
	{8192, 256}, {16384, 256}, {32768, 256}, {65536, 256}, {131072, 256}, {131072, 1024}, {131072, 4096}, {131072, 32768},
}

// abDeflateCount is how many messages each case sends by default.
const abDeflateCount = 4

// abOffer is the suite's PerMessageDeflateOffer: it always accepts
// client_no_context_takeover and client_max_window_bits, and may ask for
// server_no_context_takeover and a server window.
func abOffer(serverNoContext bool, serverBits int) string {
	s := "permessage-deflate; client_no_context_takeover; client_max_window_bits"
	if serverNoContext {
		s += "; server_no_context_takeover"
	}
	if serverBits != 0 {
		s += fmt.Sprintf("; server_max_window_bits=%d", serverBits)
	}
	return s
}

// abDataSet is the test data of a subsection of section 12.
type abDataSet struct {
	name   string
	binary bool
	data   []byte
}

// abDeflateData makes stand-ins for the suite's files, of the same
// nature: German prose, a greyscale bitmap and a PDF (sent as binary, as
// the suite sends all three), JSON and HTML (ASCII, sent as text, so any
// slice of them is valid UTF-8).
func abDeflateData() []abDataSet {
	rng := rand.New(rand.NewPCG(12, 13))
	// ASCII words for the text sets, so that any slice is valid UTF-8;
	// the prose, sent as binary, has its umlauts.
	words := strings.Fields("Habe nun ach Philosophie Juristerei und Medizin und leider auch Theologie durchaus studiert mit heissem Bemuehn " +
		"da steh ich nun ich armer Tor und bin so klug als wie zuvor heisse Magister heisse Doktor gar")
	umlauts := strings.NewReplacer("ss", "ß", "ue", "ü")
	var prose, jsonData, html, bitmap, pdf bytes.Buffer
	for prose.Len() < 200<<10 {
		prose.WriteString(umlauts.Replace(words[rng.IntN(len(words))]))
		prose.WriteByte(" \n"[rng.IntN(12)/11])
	}
	jsonData.WriteString("[")
	for i := 0; jsonData.Len() < 200<<10; i++ {
		fmt.Fprintf(&jsonData, `{"id":%d,"name":"%s","tags":["%s","%s"],"score":%.3f},`, i,
			words[rng.IntN(len(words))], words[rng.IntN(len(words))], words[rng.IntN(len(words))], rng.Float64())
	}
	for html.Len() < 200<<10 {
		fmt.Fprintf(&html, "<div class=\"row\"><a href=\"/p/%d\">%s</a> <span>%s</span></div>\n", rng.IntN(1000), words[rng.IntN(len(words))], words[rng.IntN(len(words))])
	}
	for i := 0; bitmap.Len() < 256<<10; i++ {
		bitmap.WriteByte(byte(i%512/2 + rng.IntN(8)))
	}
	for pdf.Len() < 200<<10 {
		fmt.Fprintf(&pdf, "%d 0 obj << /Length %d >> stream\n", rng.IntN(500), rng.IntN(4000))
		for range 200 {
			pdf.WriteByte(byte(rng.Uint32()))
		}
		pdf.WriteString("\nendstream endobj\n")
	}
	return []abDataSet{
		{"prose", true, prose.Bytes()},
		{"bitmap", true, bitmap.Bytes()},
		{"pdf", true, pdf.Bytes()},
		{"json", false, jsonData.Bytes()},
		{"html", false, html.Bytes()},
	}
}

// TestConformanceDeflate replays 12.1.1-12.5.18 and 13.1.1-13.7.18.
func TestConformanceDeflate(t *testing.T) {
	count := abDeflateCount
	if os.Getenv("WSCHAT_AUTOBAHN_FULL") == "1" {
		count = 1000
	}
	_, addr := startServer(t, testConfig())
	sets := abDeflateData()
	for j, set := range sets {
		for i, size := range abDeflateSizes {
			t.Run(fmt.Sprintf("12.%d.%d %s", j+1, i+1, set.name), func(t *testing.T) {
				abDeflateCase(t, addr, abOffer(false, 0), set, size, count)
			})
		}
	}
	offers := []string{
		abOffer(false, 0),
		abOffer(true, 0),
		abOffer(false, 8),
		abOffer(false, 15),
		abOffer(true, 8),
		abOffer(true, 15),
		abOffer(true, 8) + ", " + abOffer(true, 0) + ", " + abOffer(false, 0),
	}
	for j, offer := range offers {
		for i, size := range abDeflateSizes {
			t.Run(fmt.Sprintf("13.%d.%d", j+1, i+1), func(t *testing.T) {
				abDeflateCase(t, addr, offer, sets[3], size, count)
			})
		}
	}
}

// abDeflateCase is one case: count messages of size bytes taken in turn
// from the data set, each compressed and cut into frames of size[1]
// bytes, each echo checked, then a close with 1000 answered with 1000 and
// the TCP connection closed by the server.
func abDeflateCase(t *testing.T, addr, offer string, set abDataSet, size [2]int, count int) {
	c := deflateClient(t, addr, "/ws/echo", offer)
	op := opText
	if set.binary {
		op = opBinary
	}
	pos := 0
	for n := range count {
		msg := make([]byte, 0, size[0])
		for len(msg) < size[0] {
			k := min(size[0]-len(msg), len(set.data)-pos)
			msg = append(msg, set.data[pos:pos+k]...)
			pos = (pos + k) % len(set.data)
		}
		c.nc.SetWriteDeadline(time.Now().Add(testTimeout)) // the dial's deadline covers the handshake only
		c.writeCompressed(op, msg, size[1])
		gotOp, got, _ := c.readMessage()
		if gotOp != op || !bytes.Equal(got, msg) {
			t.Fatalf("message %d: echo op %v, %d bytes; want op %v, %d bytes as sent", n, gotOp, len(got), op, len(msg))
		}
	}
	c.writeFrame(true, opClose, closePayload(closeNormal, ""))
	for {
		h, p, err := c.readFrame()
		if err != nil {
			t.Fatalf("waiting for the close: %v", err)
		}
		if h.opcode != opClose {
			continue
		}
		if ce := decodeClose(p); ce.Code != closeNormal {
			t.Fatalf("close %v, want 1000", ce)
		}
		break
	}
	if _, _, err := c.readFrame(); err == nil {
		t.Error("after the closing handshake: the server did not close TCP")
	}
}
