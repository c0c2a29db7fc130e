package chat

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// sealedVectors returns the sealed private message (alice to bob) and
// room message (alice's) of the format's fixed vectors, compacted as a
// client sends them.
func sealedVectors(tb testing.TB) (private, room json.RawMessage) {
	tb.Helper()
	b, err := os.ReadFile("../../clients/js/test/vectors.json")
	if err != nil {
		tb.Fatal(err)
	}
	var v struct {
		Private, Room struct{ Sealed json.RawMessage }
	}
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatal(err)
	}
	compact := func(raw json.RawMessage) json.RawMessage {
		var out bytes.Buffer
		json.Compact(&out, raw)
		return out.Bytes()
	}
	return compact(v.Private.Sealed), compact(v.Room.Sealed)
}

// TestSealedRoom: a sealed message reaches JSON clients as its sealed
// object, with no text, and plain text clients as "[encrypted
// message]"; it flags the room encrypted, so that a message in clear is
// refused there, and newcomers are told.
func TestSealedRoom(t *testing.T) {
	_, room := sealedVectors(t)
	c := newTestChat(t, Options{Replay: 10})
	alice, af := joinJSON(t, c, "alice", "secret", "")
	carol, cf := joinText(t, c, "carol", "secret")

	evs := ofType(ask(t, alice, af, map[string]any{"type": "message", "sealed": room}), "message")
	if len(evs) != 1 || evs[0].Text != "" || !bytes.Equal(evs[0].Sealed, room) {
		t.Fatalf("alice got %+v, want her sealed message back as it was sent", evs)
	}
	if got := linesSince(cf, 0); !slices.Contains(got, "alice: [encrypted message]") {
		t.Fatalf("the text client got %q", got)
	}

	n := len(cf.sent())
	carol.Receive([]byte("hello in clear"))
	if got := linesSince(cf, n); len(got) != 1 || !strings.Contains(got[0], "encrypted") {
		t.Fatalf("a message in clear to the encrypted room: %q, want a refusal", got)
	}
	if evs := ask(t, alice, af, map[string]any{"type": "message", "text": "in clear"}); len(evs) != 1 || evs[0].Code != CodeRoomEncrypted {
		t.Fatalf("a JSON message in clear: %+v, want %s", evs, CodeRoomEncrypted)
	}

	_, df := joinJSON(t, c, "dave", "secret", "")
	welcome := jsonEvents(t, df, 0)[0]
	if welcome.Type != "welcome" || !welcome.Encrypted {
		t.Fatalf("a newcomer's welcome: %+v, want encrypted", welcome)
	}
	if r := replayed(t, df); len(r) != 1 || !bytes.Equal(r[0].Sealed, room) || r[0].Text != "" {
		t.Fatalf("the newcomer was replayed %+v, want the sealed message", r)
	}
	_, ef := joinText(t, c, "erin", "secret")
	if got := strings.Join(ef.sent(), "\n"); !strings.Contains(got, roomEncryptedHere) || !strings.Contains(got, "alice: [encrypted message]") {
		t.Fatalf("a text newcomer got %q", got)
	}
	_, of := joinJSON(t, c, "olga", "other", "")
	if jsonEvents(t, of, 0)[0].Encrypted {
		t.Fatal("another room is encrypted too")
	}
}

// TestSealedEdit: an encrypted message cannot be edited (its text would
// be in clear).
func TestSealedEdit(t *testing.T) {
	_, room := sealedVectors(t)
	c := newTestChat(t, Options{})
	alice, af := joinJSON(t, c, "alice", "secret", "")
	evs := ofType(ask(t, alice, af, map[string]any{"type": "message", "sealed": room}), "message")
	if len(evs) != 1 {
		t.Fatalf("got %+v", evs)
	}
	got := ask(t, alice, af, map[string]any{"type": "edit", "id": evs[0].ID, "text": "now in clear"})
	if len(got) != 1 || got[0].Code != CodeNotEditable {
		t.Fatalf("an edit of a sealed message: %+v, want %s", got, CodeNotEditable)
	}
}

// TestSealedPrivate: a sealed private message reaches both sides, each
// as its format shows it, and waits in the mailbox of one offline; one
// that names another sender or recipient, or is not of the format, is
// refused and goes to nobody.
func TestSealedPrivate(t *testing.T) {
	private, room := sealedVectors(t)
	c := newTestChat(t, Options{Accounts: true, Replay: 10, MailFor: func(string, string) bool { return true }})
	alice, af := joinJSON(t, c, "alice", "lobby", "")

	evs := ask(t, alice, af, map[string]any{"type": "private", "to": "bob", "sealed": private})
	mine := ofType(evs, "private")
	if len(mine) != 1 || !bytes.Equal(mine[0].Sealed, private) || mine[0].Text != "" {
		t.Fatalf("alice got %+v, want her sealed message", evs)
	}
	_, bf := joinText(t, c, "bob", "lobby")
	if got := strings.Join(bf.sent(), "\n"); !strings.Contains(got, "alice → bob: [encrypted message]") {
		t.Fatalf("bob, offline when it was sent, got %q", got)
	}

	for _, tc := range []struct {
		name   string
		to     string
		sealed json.RawMessage
	}{
		{"to another", "carol", private},
		{"a room's", "bob", room},
		{"not an object", "bob", json.RawMessage(`"hello"`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := len(bf.sent())
			evs := ask(t, alice, af, map[string]any{"type": "private", "to": tc.to, "sealed": tc.sealed})
			if len(evs) != 1 || evs[0].Code != CodeBadSealed {
				t.Fatalf("got %+v, want %s", evs, CodeBadSealed)
			}
			if got := bf.sent()[n:]; len(got) != 0 {
				t.Fatalf("bob got %q", got)
			}
		})
	}
	mallory, mf := joinJSON(t, c, "mallory", "lobby", "")
	if evs := ask(t, mallory, mf, map[string]any{"type": "private", "to": "bob", "sealed": private}); len(evs) != 1 || evs[0].Code != CodeBadSealed {
		t.Fatalf("alice's message sent by mallory: %+v, want %s", evs, CodeBadSealed)
	}
}
