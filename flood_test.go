package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wschat/internal/resp/resptest"
)

// Floods of one hostile participant against the real binary, with the
// default flags (but -rate 0 where the flood must get past the rate to
// reach what it attacks): what other people rely on must survive each,
// and the lobby stay open. Each is bounded in count, and waits on what
// the server says, never on the clock.

// collect reads in until a message that starts with end, and counts the
// messages that start with each of prefixes on the way.
func (in *inbox) collect(t testing.TB, end string, prefixes ...string) map[string]int {
	t.Helper()
	counts := make(map[string]int)
	for m := in.next(t); !strings.HasPrefix(m, end); m = in.next(t) {
		for _, p := range prefixes {
			if strings.HasPrefix(m, p) || strings.Contains(m, p) {
				counts[p]++
			}
		}
	}
	return counts
}

// sendAll writes msgs to c as text frames, in one write.
func sendAll(t testing.TB, c *wsClient, msgs []string) {
	t.Helper()
	var b []byte
	for _, m := range msgs {
		b = append(b, clientFrame(true, opText, true, c.key, []byte(m))...)
	}
	c.writeRaw(b)
}

// floodPlaces are where a flood is tried: a node keeping history in
// memory, one with -data, and two nodes sharing a Redis of their own (the
// flood comes through one, the others are on both).
var floodPlaces = []struct {
	name  string
	start func(t *testing.T, bin string, args ...string) (addrs []string)
}{
	{"memory", func(t *testing.T, bin string, args ...string) []string {
		_, addr, _ := startBinaryDefaults(t, bin, args...)
		return []string{addr}
	}},
	{"data", func(t *testing.T, bin string, args ...string) []string {
		_, addr, _ := startBinaryDefaults(t, bin, append(args, "-data", t.TempDir())...)
		return []string{addr}
	}},
	{"redis", func(t *testing.T, bin string, args ...string) []string {
		url := resptest.Start(t).URL("", "")
		var addrs []string
		for range 2 {
			_, addr, _ := startBinaryDefaults(t, bin, append(args, "-redis", url)...)
			addrs = append(addrs, addr)
		}
		return addrs
	}},
}

// The flood that wiped history: one message in each of 1,000 throw-away
// rooms. A busy room keeps all it had, and a newcomer asking from 0-0
// gets it all and is told nothing is missing.
func TestFloodOfRoomsLeavesOthersHistory(t *testing.T) {
	if testing.Short() {
		skip(t, "-short: it builds the binary")
	}
	bin := buildBinary(t)
	for _, mode := range floodPlaces {
		t.Run(mode.name, func(t *testing.T) {
			addrs := mode.start(t, bin, "-rate", "0")
			addr, other := addrs[0], addrs[len(addrs)-1]
			alice := listen(dialFromAddr(t, "127.0.0.2", addr, "/ws/chat?name=alice&room=busy"))
			alice.next(t) // welcome
			var said []string
			for i := range 30 {
				said = append(said, fmt.Sprintf("alice: busy %d", i))
				alice.c.sendText(fmt.Sprint("busy ", i))
			}
			for _, line := range said {
				alice.expect(t, line)
			}

			mallory := listen(dialFromAddr(t, "127.0.0.3", other, "/ws/chat?name=mallory"))
			mallory.next(t)
			var msgs []string
			for i := range 1000 {
				msgs = append(msgs, fmt.Sprint("/join throwaway", i), "x")
			}
			sendAll(t, mallory.c, append(msgs, "/join end"))
			mallory.collect(t, "* welcome to end, mallory!")

			in := listen(dialFromAddr(t, "127.0.0.4", addr, "/ws/chat?format=json&name=newcomer&room=busy&since=0-0"))
			w := in.event(t)
			if w.Type != "welcome" || w.Recovered != nil {
				t.Fatalf("the newcomer's welcome: %+v, want one with nothing missing", w)
			}
			for i := range said {
				if e := in.event(t); e.Type != "message" || e.Text != fmt.Sprint("busy ", i) || !e.History {
					t.Fatalf("history %d: %+v", i, e)
				}
			}
		})
	}
}

// The flood that locked the lobby: idle connections from one address,
// each in a room of its own. It meets the limit of connections and of
// rooms it may open; the lobby, and new rooms of others, stay open.
func TestFloodOfIdleRoomsLeavesTheLobbyOpen(t *testing.T) {
	if testing.Short() {
		skip(t, "-short: it builds the binary")
	}
	bin := buildBinary(t)
	for _, mode := range floodPlaces {
		t.Run(mode.name, func(t *testing.T) {
			addrs := mode.start(t, bin)
			floodIdleRooms(t, addrs[len(addrs)-1], addrs[0])
		})
	}
}

// floodIdleRooms floods the node at addr with idle rooms, and checks that
// others may still join the lobby, and open rooms, at home.
func floodIdleRooms(t *testing.T, addr, home string) {
	// Each in a room of its own: 20 are opened, the rest refused.
	var opened, roomLimit int
	for i := range 100 {
		c := dial(t, addr, fmt.Sprintf("/ws/chat?name=idle%d&room=idle%d", i, i))
		switch m := listen(c).next(t); {
		case strings.HasPrefix(m, "* welcome to idle"):
			opened++
		case strings.HasPrefix(m, "CLOSE 1008 room-limit: you have opened 20 rooms"):
			roomLimit++
		default:
			t.Fatalf("connection %d: %q", i, m)
		}
	}
	if opened != 20 || roomLimit != 80 {
		t.Errorf("%d rooms opened and %d refused, want 20 and 80", opened, roomLimit)
	}
	// Idle in rooms that exist: at most 64 connections from one address.
	admitted := opened
	for i := range 100 {
		c, resp, err := tryDial(addr, fmt.Sprintf("/ws/chat?name=lurker%d&room=idle%d", i, i%20), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !upgraded(resp) {
			expectRefused(t, resp, http.StatusTooManyRequests, "too many connections from 127.0.0.1: at most 64 from one address")
			break
		}
		t.Cleanup(func() { c.nc.Close() })
		admitted++
	}
	if admitted > 64 {
		t.Errorf("%d connections from one address at once, over 64", admitted)
	}
	// Others: the lobby, empty, and a room of their own.
	bob := joinFromAddr(t, "127.0.0.2", home, "bob")
	bob.c.sendText("/join mine")
	bob.expect(t, "* welcome to mine, bob! 1 online: bob")
	enter := listen(dialFromAddr(t, "127.0.0.3", home, "/ws/chat?name=carol&room=idle3"))
	if m := enter.next(t); !strings.HasPrefix(m, "* welcome to idle3, carol! ") {
		t.Errorf("joining a room the flood opened: %q", m)
	}
}

// Reconnecting gives no fresh burst: the rate is the participant's.
func TestFloodReconnectingGetsNoFreshBurst(t *testing.T) {
	if testing.Short() {
		skip(t, "-short: it builds the binary")
	}
	_, addr, _ := startBinaryDefaults(t, buildBinary(t))
	first := join(t, addr, "first")
	var burst []string
	for i := range 20 {
		burst = append(burst, fmt.Sprint("b", i))
	}
	sendAll(t, first.c, burst)
	for i := range 20 {
		first.expect(t, fmt.Sprint("first: b", i))
	}
	first.c.nc.Close()
	again := enter(t, addr, "again", "elsewhere")
	again.c.sendText("one more")
	if m := again.next(t); !strings.HasPrefix(m, "* slow down: the limit is 3 messages a second, 20 at once") {
		t.Errorf("a new connection of the same address: %q, want slow down", m)
	}
	other := listen(dialFromAddr(t, "127.0.0.2", addr, "/ws/chat?name=other&room=elsewhere"))
	other.next(t) // welcome
	other.c.sendText("mine")
	other.expect(t, "other: mine")
}

// The floods of mail: to names that never existed, and to one that does.
// Nothing is kept for the first; the second fills the sender's share of
// the mailbox, and others' mail still gets there.
func TestFloodOfMailLeavesOthersMail(t *testing.T) {
	if testing.Short() {
		skip(t, "-short: it builds the binary")
	}
	keyFile := filepath.Join(t.TempDir(), "jwt.key")
	secret := bytes.Repeat([]byte("k"), 32)
	if err := os.WriteFile(keyFile, secret, 0o600); err != nil {
		t.Fatal(err)
	}
	bin := buildBinary(t)
	for _, mode := range floodPlaces {
		t.Run(mode.name, func(t *testing.T) {
			addrs := mode.start(t, bin, "-rate", "0", "-jwt-key", keyFile)
			floodMail(t, secret, addrs[0], addrs[len(addrs)-1])
		})
	}
}

// floodMail floods the node at other with mail, to names that never
// connected and to bob, who connected at home; then alice, there too,
// writes to bob, who gets it at home.
func floodMail(t *testing.T, secret []byte, home, other string) {
	token := func(name string) string {
		return hs256(t, secret, fmt.Sprintf(`{"sub":%q,"exp":%d}`, name, time.Now().Add(time.Hour).Unix()))
	}
	connect := func(from, addr, name string) *inbox {
		in := listen(dialFromAddr(t, from, addr, "/ws/chat?format=json&token="+token(name)))
		if e := in.event(t); e.Type != "welcome" {
			t.Fatalf("%s: %+v", name, e)
		}
		return in
	}
	bob := connect("127.0.0.2", home, "bob") // bob has connected: he has a mailbox
	bob.c.nc.Close()

	mallory := connect("127.0.0.3", other, "mallory")
	var msgs []string
	for i := range 1000 {
		msgs = append(msgs, fmt.Sprintf("/msg ghost%d boo", i))
	}
	big := strings.Repeat("z", 60<<10)
	for range 20 {
		msgs = append(msgs, "/msg bob "+big)
	}
	sendAll(t, mallory.c, append(msgs, "/join end"))
	got := mallory.collect(t, `{"type":"welcome","room":"end"`, `"code":"no-mailbox"`, `"code":"mail-share"`, `"code":"mail-kept"`)
	if got[`"code":"no-mailbox"`] != 1000 || got[`"code":"mail-share"`] == 0 || got[`"code":"mail-kept"`] == 0 {
		t.Errorf("mallory was told %v; want no-mailbox 1000 times, then mail kept for bob until her share of his mailbox", got)
	}

	alice := connect("127.0.0.4", other, "alice")
	alice.c.sendText("/msg bob hello bob")
	for e := alice.event(t); e.Code != "mail-kept"; e = alice.event(t) {
		if e.Type == "notice" {
			t.Fatalf("alice's letter: %+v", e)
		}
	}
	bob = connect("127.0.0.2", home, "bob")
	bob.c.sendText("/who") // answered once the mail is replayed
	found := false
	for e := bob.event(t); e.Type != "who"; e = bob.event(t) {
		found = found || e.Type == "private" && e.Name == "alice" && e.Text == "hello bob"
	}
	if !found {
		t.Error("bob's mailbox, replayed, has no letter from alice")
	}
}

// The floods of files: uploads of the largest size from fresh
// connections, and uploads that stall. Alice's file stays, and her
// uploads go through.
func TestFloodOfUploadsLeavesOthersFiles(t *testing.T) {
	if testing.Short() {
		skip(t, "-short: it builds the binary")
	}
	_, addr, logs := startBinaryDefaults(t, buildBinary(t))
	alice := listen(dialFromAddr(t, "127.0.0.2", addr, "/ws/chat?format=json&name=alice"))
	aliceCred := alice.event(t).Upload
	resp, answer := upload(t, addr, aliceCred, "lobby", "report.pdf", []byte("%PDF-1.4 the report"))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("alice's upload: %s %v", resp.Status, answer)
	}
	report := "http://" + addr + answer["url"].(string)

	big := make([]byte, 10<<20)
	for i := range 7 {
		m := listen(dialFromAddr(t, "127.0.0.3", addr, fmt.Sprintf("/ws/chat?format=json&name=m%d", i)))
		cred := m.event(t).Upload
		if resp, answer := upload(t, addr, cred, "lobby", "junk.bin", big); resp.StatusCode != http.StatusCreated {
			t.Fatalf("mallory's upload %d: %s %v", i, resp.Status, answer)
		}
		m.c.nc.Close()
	}
	if resp, _ := fetch(t, report); resp.StatusCode != http.StatusOK {
		t.Errorf("alice's report after the flood: %s", resp.Status)
	}

	// Uploads that stall just short of the size, from one participant:
	// one holds its share, the others are refused, and alice's uploads
	// go through meanwhile.
	m := listen(dialFromAddr(t, "127.0.0.3", addr, "/ws/chat?format=json&name=staller"))
	cred := m.event(t).Upload
	answers := make(chan string, 7)
	for range 7 {
		nc := dialFrom(t, "127.0.0.3", addr)
		t.Cleanup(func() { nc.Close() })
		go func() {
			fmt.Fprintf(nc, "POST /files?room=lobby&name=stall.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n", cred, 10<<20)
			nc.Write(big[:9<<20]) // fails once the server, having refused it, stops reading
			nc.SetReadDeadline(time.Now().Add(time.Minute))
			b := make([]byte, 4096)
			n, _ := io.ReadAtLeast(nc, b, 1)
			answers <- string(b[:n])
		}()
	}
	for range 5 {
		if a := <-answers; !strings.Contains(a, "429 Too Many Requests") || !strings.Contains(a, `"code":"upload-share"`) {
			t.Errorf("a stalled upload was answered %.80q, want 429 upload-share", a)
		}
	}
	metrics := metricsAddr(t, logs)
	scrapeBinaryUntil(t, metrics, func(m map[string]float64) bool { return m["wschat_files_pending_bytes"] >= 9<<20 })
	for i := range 5 {
		if resp, answer := upload(t, addr, aliceCred, "lobby", fmt.Sprint("photo", i, ".png"), make([]byte, 50<<10)); resp.StatusCode != http.StatusCreated {
			t.Errorf("alice's upload %d beside the stalled ones: %s %v", i, resp.Status, answer)
		}
	}
	if got := scrapeBinary(t, metrics)["wschat_files_pending_bytes"]; got < 9<<20 {
		t.Errorf("%v bytes in progress after alice's uploads, want the stalled upload still held", got)
	}
}

// scrapeBinary reads the metrics of a binary, on its metrics address.
func scrapeBinary(t testing.TB, addr string) map[string]float64 {
	t.Helper()
	return scrape(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		io.Copy(w, resp.Body)
	}))
}

// scrapeBinaryUntil scrapes a binary's metrics until cond holds of them.
func scrapeBinaryUntil(t testing.TB, addr string, cond func(map[string]float64) bool) {
	t.Helper()
	for deadline := time.Now().Add(testTimeout); !cond(scrapeBinary(t, addr)); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the metrics did not come to what was awaited within %v", testTimeout)
		}
	}
}
