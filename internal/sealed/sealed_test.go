package sealed

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// vectors are the fixed vectors of the format, shared with the
// JavaScript implementation (clients/js).
type vectors struct {
	Devices map[string]struct {
		Public string `json:"public"`
		KeyID  string `json:"keyId"`
	} `json:"devices"`
	Private struct {
		Sealed json.RawMessage `json:"sealed"`
	} `json:"private"`
	Room struct {
		Sealed json.RawMessage `json:"sealed"`
	} `json:"room"`
}

func readVectors(t *testing.T) vectors {
	t.Helper()
	b, err := os.ReadFile("../../clients/js/test/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func fold(s string) string { return strings.ToLower(s) }

// compact is raw as JSON.stringify writes it.
func compact(t *testing.T, raw []byte) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestVectors: the sealed objects of the fixed vectors pass, each
// re-encoded to exactly the bytes a JavaScript client sends, and the
// devices' key ids are the vectors'.
func TestVectors(t *testing.T) {
	v := readVectors(t)
	got, err := CheckPrivate(v.Private.Sealed, "alice", "bob", fold)
	if err != nil {
		t.Fatalf("the private vector: %v", err)
	}
	if want := compact(t, v.Private.Sealed); !bytes.Equal(got, want) {
		t.Errorf("the private vector re-encodes as\n%s\nwant\n%s", got, want)
	}
	got, err = CheckRoom(v.Room.Sealed, "alice")
	if err != nil {
		t.Fatalf("the room vector: %v", err)
	}
	if want := compact(t, v.Room.Sealed); !bytes.Equal(got, want) {
		t.Errorf("the room vector re-encodes as\n%s\nwant\n%s", got, want)
	}
	for name, d := range v.Devices {
		raw, _ := hex.DecodeString(d.Public)
		id, err := KeyID(base64.RawURLEncoding.EncodeToString(raw))
		if err != nil || id != d.KeyID {
			t.Errorf("%s: KeyID = %q, %v; want %q", name, id, err, d.KeyID)
		}
	}
}

// edit returns the private vector with f applied to it as a map.
func edit(t *testing.T, raw []byte, f func(m map[string]any)) []byte {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPrivateRefused: what is not a private message of the format, or
// not from the sender to the recipient, is refused.
func TestPrivateRefused(t *testing.T) {
	v := readVectors(t)
	keys := func(n int) []any {
		ks := make([]any, n)
		for i := range ks {
			kid := base64.RawURLEncoding.EncodeToString(append(make([]byte, 15), byte(i)))
			ks[i] = map[string]any{"kid": kid, "wk": strings.Repeat("A", 64)}
		}
		return ks
	}
	for _, tc := range []struct {
		name       string
		sender, to string
		change     func(m map[string]any)
		raw        []byte
	}{
		{name: "another sender", sender: "mallory", to: "bob"},
		{name: "another recipient", sender: "alice", to: "carol"},
		{name: "version 2", sender: "alice", to: "bob", change: func(m map[string]any) { m["v"] = 2 }},
		{name: "version as a string", sender: "alice", to: "bob", change: func(m map[string]any) { m["v"] = "1" }},
		{name: "the room suite", sender: "alice", to: "bob", change: func(m map[string]any) { m["alg"] = RoomAlg }},
		{name: "to unsorted", sender: "alice", to: "bob", change: func(m map[string]any) { m["to"] = []any{"bob", "amy"} }},
		{name: "to repeated", sender: "alice", to: "bob", change: func(m map[string]any) { m["to"] = []any{"bob", "bob"} }},
		{name: "to of 17", sender: "alice", to: "bob", change: func(m map[string]any) {
			to := []any{}
			for i := range 17 {
				to = append(to, "bob"+string(rune('a'+i)))
			}
			m["to"] = to
		}},
		{name: "no keys", sender: "alice", to: "bob", change: func(m map[string]any) { m["keys"] = []any{} }},
		{name: "65 keys", sender: "alice", to: "bob", change: func(m map[string]any) { m["keys"] = keys(65) }},
		{name: "keys unsorted", sender: "alice", to: "bob", change: func(m map[string]any) {
			ks := keys(2)
			m["keys"] = []any{ks[1], ks[0]}
		}},
		{name: "a short wrapped key", sender: "alice", to: "bob", change: func(m map[string]any) {
			m["keys"] = []any{map[string]any{"kid": "815WFhYKML88bnn6c8V21A", "wk": strings.Repeat("A", 63)}}
		}},
		{name: "skid with bits over", sender: "alice", to: "bob", change: func(m map[string]any) { m["skid"] = "MAyclgO5Kks57TlYv5JAER" }},
		{name: "kc padded", sender: "alice", to: "bob", change: func(m map[string]any) { m["kc"] = m["kc"].(string) + "=" }},
		{name: "ct shorter than a tag", sender: "alice", to: "bob", change: func(m map[string]any) { m["ct"] = "AAAA" }},
		{name: "ct over the body", sender: "alice", to: "bob", change: func(m map[string]any) {
			m["ct"] = base64.RawURLEncoding.EncodeToString(make([]byte, MaxBody+tag+1))
		}},
		{name: "ct not base64url", sender: "alice", to: "bob", change: func(m map[string]any) { m["ct"] = strings.Repeat("+", 40) }},
		{name: "an array", sender: "alice", to: "bob", raw: []byte(`[1]`)},
		{name: "over MaxSize", sender: "alice", to: "bob", raw: append([]byte(`{"v":1,"pad":"`), bytes.Repeat([]byte("x"), MaxSize)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := tc.raw
			switch {
			case raw != nil:
			case tc.change != nil:
				raw = edit(t, v.Private.Sealed, tc.change)
			default:
				raw = v.Private.Sealed
			}
			if got, err := CheckPrivate(raw, tc.sender, tc.to, fold); err == nil {
				t.Fatalf("passed: %s", got)
			}
		})
	}
}

// TestRoomRefused: what is not a room message of the format from the
// sender is refused; a private message is not a room's.
func TestRoomRefused(t *testing.T) {
	v := readVectors(t)
	for _, tc := range []struct {
		name   string
		sender string
		raw    []byte
	}{
		{"another sender", "bob", v.Room.Sealed},
		{"a private message", "alice", v.Private.Sealed},
		{"a short kid", "alice", edit(t, v.Room.Sealed, func(m map[string]any) { m["kid"] = "oM97Nu55pLTzKilnSo2rS" })},
		{"no ct", "alice", edit(t, v.Room.Sealed, func(m map[string]any) { delete(m, "ct") })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := CheckRoom(tc.raw, tc.sender); err == nil {
				t.Fatalf("passed: %s", got)
			}
		})
	}
}

// TestUnknownFieldsDropped: what the format does not have is not kept:
// a client cannot slip plaintext beside the ciphertext.
func TestUnknownFieldsDropped(t *testing.T) {
	v := readVectors(t)
	raw := edit(t, v.Room.Sealed, func(m map[string]any) { m["note"] = "meet at noon" })
	got, err := CheckRoom(raw, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(got, []byte("noon")) {
		t.Fatalf("kept an unknown field: %s", got)
	}
}

// TestSelf: a private message to oneself names nobody in to.
func TestSelf(t *testing.T) {
	v := readVectors(t)
	raw := edit(t, v.Private.Sealed, func(m map[string]any) { m["to"] = []any{} })
	if _, err := CheckPrivate(raw, "alice", "alice", fold); err != nil {
		t.Fatalf("to oneself: %v", err)
	}
	if _, err := CheckPrivate(raw, "alice", "bob", fold); err == nil {
		t.Fatal("a message naming nobody passed as one to bob")
	}
}
