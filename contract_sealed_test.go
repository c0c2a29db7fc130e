package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// Encrypted messages in the contract (contract_test.go): the chat
// carries sealed objects it cannot read, the same on every engine.

// sealedVectors returns the sealed private message (alice to bob) and
// room message (alice's) of the format's fixed vectors, compacted.
func sealedVectors(t testing.TB) (private, room json.RawMessage) {
	t.Helper()
	b, err := os.ReadFile("clients/js/test/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Private, Room struct{ Sealed json.RawMessage }
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var p, r bytes.Buffer
	json.Compact(&p, v.Private.Sealed)
	json.Compact(&r, v.Room.Sealed)
	return p.Bytes(), r.Bytes()
}

// contractSealed: a sealed room message flags its room encrypted on
// every node (newcomers are told; a message in clear is refused); text
// clients see envelopes only; a sealed private message waits in the
// mailbox as it was sealed.
func contractSealed(t *testing.T, _ contractEngine, d *deployment) {
	private, room := sealedVectors(t)
	alice := listen(dial(t, d.node(0), "/ws/chat?format=json&room=vault&token="+contractToken(t, "alice")))
	if w := alice.event(t); w.Type != "welcome" {
		t.Fatalf("alice got %+v, want a welcome", w)
	}
	carol := joinWith(t, d.node(1), contractToken(t, "carol"), "&room=vault")
	alice.ask(t, map[string]any{"type": "message", "sealed": room})
	if got := carol.awaitLine(t, "alice: "); got != "alice: [encrypted message]" {
		t.Fatalf("a text client got %q", got)
	}
	carol.c.sendText("hello in clear")
	carol.await(t, "* this room is encrypted: only encrypted messages may be sent to it (use a client that has the room's passphrase)")

	dave := listen(dial(t, d.node(1), "/ws/chat?format=json&room=vault&token="+contractToken(t, "dave")))
	var welcome, replayed struct {
		Type      string          `json:"type"`
		Encrypted bool            `json:"encrypted"`
		Text      string          `json:"text"`
		Sealed    json.RawMessage `json:"sealed"`
	}
	json.Unmarshal([]byte(dave.next(t)), &welcome)
	if welcome.Type != "welcome" || !welcome.Encrypted {
		t.Fatalf("a newcomer on the other node got %+v, want an encrypted room's welcome", welcome)
	}
	json.Unmarshal([]byte(dave.awaitLine(t, `{"type":"message"`)), &replayed)
	if replayed.Text != "" || !bytes.Equal(replayed.Sealed, room) {
		t.Fatalf("the newcomer was replayed %+v, want the sealed message as it was sent", replayed)
	}

	joinWith(t, d.node(1), contractToken(t, "bob"), "").closeAndWait(t)
	alice.ask(t, map[string]any{"type": "private", "to": "bob", "sealed": private})
	if mine := alice.awaitLine(t, `{"type":"private"`); !strings.Contains(mine, `"sealed":`+string(private)) {
		t.Fatalf("alice's copy is %s, want her sealed message", mine)
	}
	bob := joinWith(t, d.node(1), contractToken(t, "bob"), "")
	bob.expectNotPresence(t, "alice → bob: [encrypted message]")
}
