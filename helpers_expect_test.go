package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Helpers of the tests of acting on messages and finding them, through
// the real server on every engine.

// wireEvent is a JSON event as a client reads it, with the fields of
// message actions, pages of history and searches.
type wireEvent struct {
	Type      string      `json:"type"`
	Code      string      `json:"code"`
	Room      string      `json:"room"`
	ID        string      `json:"id"`
	Name      string      `json:"name"`
	To        string      `json:"to"`
	Text      string      `json:"text"`
	Online    []string    `json:"online"`
	Count     int         `json:"count"`
	History   bool        `json:"history"`
	File      *fileInfo   `json:"file"`
	ReplyTo   string      `json:"reply_to"`
	ReplyName string      `json:"reply_name"`
	Edited    bool        `json:"edited"`
	Emoji     string      `json:"emoji"`
	On        *bool       `json:"on"`
	ActionID  string      `json:"action_id"`
	ClientID  string      `json:"client_id"`
	Repeat    bool        `json:"repeat"`
	Messages  []wireEvent `json:"messages"`
	Before    string      `json:"before"`
	More      bool        `json:"more"`
	Partial   bool        `json:"partial"`
	Action    string      `json:"action"`
	Until     string      `json:"until"`
	Topic     string      `json:"topic"`
	Owner     string      `json:"owner"`
	Role      string      `json:"role"`
	Quote     string      `json:"quote"`
	Reactions []struct {
		Emoji string   `json:"emoji"`
		Count int      `json:"count"`
		Names []string `json:"names"`
	} `json:"reactions"`
	Rooms []struct {
		Name   string `json:"name"`
		Count  int    `json:"count"`
		Last   string `json:"last"`
		Unread int    `json:"unread"`
	} `json:"rooms"`
}

// ask sends a JSON request built from fields.
func (in *inbox) ask(t testing.TB, fields map[string]any) {
	t.Helper()
	b, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	in.c.sendText(string(b))
}

// awaitEvent reads messages until a JSON event of type typ, skipping
// others, and returns it.
func (in *inbox) awaitEvent(t testing.TB, typ string) wireEvent {
	t.Helper()
	deadline := time.After(testTimeout)
	var seen []string
	for {
		select {
		case m := <-in.msgs:
			var e wireEvent
			if json.Unmarshal([]byte(m), &e) == nil && e.Type == typ {
				return e
			}
			seen = append(seen, m)
		case <-deadline:
			t.Fatalf("no %s event within %v; got %q", typ, testTimeout, seen)
			return wireEvent{}
		}
	}
}

// awaitLine reads messages until one that starts with prefix, skipping
// others, and returns it.
func (in *inbox) awaitLine(t testing.TB, prefix string) string {
	t.Helper()
	deadline := time.After(testTimeout)
	var seen []string
	for {
		select {
		case m := <-in.msgs:
			if strings.HasPrefix(m, prefix) {
				return m
			}
			seen = append(seen, m)
		case <-deadline:
			t.Fatalf("no line starting %q within %v; got %q", prefix, testTimeout, seen)
			return ""
		}
	}
}

// joinJSONAt joins name to room on addr in JSON, and reads its welcome.
func joinJSONAt(t testing.TB, addr, name, room string) *inbox {
	t.Helper()
	in := listen(dial(t, addr, "/ws/chat?format=json&name="+name+"&room="+room))
	if e := in.awaitEvent(t, "welcome"); e.Name != name {
		t.Fatalf("%s: welcome %+v", name, e)
	}
	return in
}
