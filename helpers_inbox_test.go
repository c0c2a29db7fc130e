package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"wschat/internal/store"
)

// This file holds the chat as a client sees it: an inbox that reads a
// client's messages as they come, the JSON events it decodes, and ways to
// join. See helpers_test.go for where the other helpers are.

// inbox reads a client's frames on a goroutine of its own, answering
// pings, so a test can wait for messages with a deadline while the client
// keeps up. It stays connected however long the server is silent, as a
// person's client does, until the server hangs up or the test's cleanup
// closes the connection.
type inbox struct {
	c    *wsClient
	msgs chan string // text payloads, then "CLOSE <code> <reason>" or "EOF"
}

// listen starts reading c's frames into a new inbox.
func listen(c *wsClient) *inbox {
	in := &inbox{c: c, msgs: make(chan string, 1<<16)}
	c.nc.SetReadDeadline(time.Time{})
	go func() {
		for {
			h, p, err := c.receive()
			if err != nil {
				in.msgs <- "EOF"
				c.nc.Close() // as real clients do once the server hangs up
				return
			}
			switch h.opcode {
			case opPing:
				c.nc.Write(clientFrame(true, opPong, true, c.key, p))
			case opClose:
				ce := decodeClose(p)
				in.msgs <- fmt.Sprintf("CLOSE %d %s", ce.Code, ce.Reason)
				c.nc.Write(clientFrame(true, opClose, true, c.key, p[:min(len(p), 2)]))
			case opText, opBinary:
				in.msgs <- string(p)
			}
		}
	}()
	return in
}

// next waits for the next message.
func (in *inbox) next(t testing.TB) string {
	t.Helper()
	select {
	case m := <-in.msgs:
		return m
	case <-time.After(testTimeout):
		t.Fatalf("no message within %v", testTimeout)
		return ""
	}
}

// expect waits for the next message and checks it.
func (in *inbox) expect(t testing.TB, want string) {
	t.Helper()
	if got := in.next(t); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// expectWelcome waits for a JSON welcome and checks it is want, with an
// upload credential of its own besides.
func (in *inbox) expectWelcome(t testing.TB, want string) {
	t.Helper()
	m := in.next(t)
	head, credential, ok := strings.Cut(m, `,"upload":"`)
	if !ok || len(credential) != len(`0123456789abcdef0123456789abcdef"}`) || head+"}" != want {
		t.Fatalf("got %q, want %q with an upload credential", m, want)
	}
}

// expectAll waits for the next len(want) messages and checks that they
// are want, in any order.
func (in *inbox) expectAll(t testing.TB, want ...string) {
	t.Helper()
	var got []string
	for range want {
		got = append(got, in.next(t))
	}
	slices.Sort(got)
	if want = slices.Sorted(slices.Values(want)); !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q in any order", got, want)
	}
}

// event is a JSON event as a client reads it: the protocol's fields, not
// the server's types.
type event struct {
	Type      string      `json:"type"`
	Code      string      `json:"code"`
	Room      string      `json:"room"`
	ID        string      `json:"id"`
	Time      string      `json:"time"`
	Name      string      `json:"name"`
	To        string      `json:"to"`
	Text      string      `json:"text"`
	Online    []string    `json:"online"`
	Count     int         `json:"count"`
	Rooms     []roomCount `json:"rooms"`
	History   bool        `json:"history"`
	Recovered *bool       `json:"recovered"`
	File      *fileInfo   `json:"file"`
	Upload    string      `json:"upload"`
}

// roomCount is one room of a "rooms" event.
type roomCount struct {
	Name     string `json:"name"`
	Count    int    `json:"count"`
	Messages uint64 `json:"messages"`
}

// fileInfo is the file of a "file" event.
type fileInfo struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
	Type string `json:"type"`
	URL  string `json:"url"`
}

// event waits for the next message and decodes it as a JSON event.
func (in *inbox) event(t testing.TB) event {
	t.Helper()
	m := in.next(t)
	var e event
	if err := json.Unmarshal([]byte(m), &e); err != nil {
		t.Fatalf("got %q, want a JSON event: %v", m, err)
	}
	return e
}

// expectMessage waits for the next message and checks that it is the JSON
// event of a chat message from name with text.
func (in *inbox) expectMessage(t testing.TB, name, text string) {
	t.Helper()
	if e := in.event(t); e.Type != "message" || e.Name != name || e.Text != text || e.ID == "" {
		t.Fatalf("got %+v, want the message %s: %s", e, name, text)
	}
}

// join connects as name and reads the welcome.
func join(t testing.TB, addr, name string) *inbox {
	t.Helper()
	in := listen(dial(t, addr, "/ws/chat?name="+name))
	if w := in.next(t); !strings.HasPrefix(w, "* welcome, "+name+"!") {
		t.Fatalf("%s: got %q, want a welcome", name, w)
	}
	return in
}

// await reads messages until want, skipping others (notices of joins and
// leaves, which other nodes send when they happen).
func (in *inbox) await(t testing.TB, want string) {
	t.Helper()
	deadline := time.After(testTimeout)
	var seen []string
	for {
		select {
		case m := <-in.msgs:
			if m == want {
				return
			}
			seen = append(seen, m)
		case <-deadline:
			t.Fatalf("no %q within %v; got %q", want, testTimeout, seen)
		}
	}
}

// chatLines reads messages until it has n chat lines ("name: text"),
// skipping notices, and returns them.
func (in *inbox) chatLines(t testing.TB, n int) []string {
	t.Helper()
	var out []string
	for len(out) < n {
		if m := in.next(t); !strings.HasPrefix(m, "* ") {
			out = append(out, m)
		}
	}
	return out
}

// refusedWith dials path on addr and returns the first message: the
// close frame of a refusal, or else a welcome.
func refusedWith(t testing.TB, addr, path string) string {
	t.Helper()
	return listen(dial(t, addr, path)).next(t)
}

// whoSays sends /who for in and returns the answer.
func whoSays(t testing.TB, in *inbox) string {
	t.Helper()
	in.c.sendText("/who")
	for {
		if m := in.next(t); strings.HasPrefix(m, "* in ") {
			return m
		}
	}
}

// say sends each text from in, and waits until in has it back.
func (in *inbox) say(t testing.TB, name string, texts ...string) {
	t.Helper()
	for _, text := range texts {
		in.c.sendText(text)
		in.expect(t, name+": "+text)
	}
}

// sayJSON sends each text from a JSON client, and returns the ids the
// room gave them.
func (in *inbox) sayJSON(t testing.TB, name string, texts ...string) []string {
	t.Helper()
	var ids []string
	for _, text := range texts {
		in.c.sendText(text)
		e := in.event(t)
		if e.Type != "message" || e.Name != name || e.Text != text {
			t.Fatalf("got %+v, want %s's message %q", e, name, text)
		}
		ids = append(ids, e.ID)
	}
	return ids
}

// enter connects as name to room, in the text format, and reads the
// welcome.
func enter(t testing.TB, addr, name, room string) *inbox {
	t.Helper()
	in := listen(dial(t, addr, "/ws/chat?name="+url.QueryEscape(name)+"&room="+url.QueryEscape(room)))
	if w := in.next(t); !strings.HasPrefix(w, "* welcome to "+room+", "+name+"!") {
		t.Fatalf("%s: got %q, want the welcome to %s", name, w, room)
	}
	return in
}

// enterJSON connects as name to room in the JSON format, and reads the
// welcome.
func enterJSON(t testing.TB, addr, name, room string) *inbox {
	t.Helper()
	in := listen(dial(t, addr, "/ws/chat?format=json&name="+url.QueryEscape(name)+"&room="+url.QueryEscape(room)))
	if e := in.event(t); e.Type != "welcome" || e.Name != name {
		t.Fatalf("%s: got %+v, want a welcome", name, e)
	}
	return in
}

// quiet checks that in, whose name is name, has received nothing more: it
// sends itself a private marker, which reaches no one else, and expects
// it to be the next thing it hears.
func (in *inbox) quiet(t testing.TB, name string) {
	t.Helper()
	marker := fmt.Sprintf("marker %d", time.Now().UnixNano())
	in.c.sendText("/msg " + name + " " + marker)
	in.expect(t, name+" → "+name+": "+marker)
}

// parseTestID reads an id as events carry it.
func parseTestID(t testing.TB, s string) store.ID {
	t.Helper()
	id, err := store.ParseID(s)
	if err != nil {
		t.Fatalf("id %q: %v", s, err)
	}
	return id
}

// joinWith connects with token and reads the welcome.
func joinWith(t testing.TB, addr, token, query string) *inbox {
	t.Helper()
	in := listen(dial(t, addr, "/ws/chat?token="+token+query))
	if w := in.next(t); !strings.HasPrefix(w, "* welcome") {
		t.Fatalf("got %q, want a welcome", w)
	}
	return in
}
