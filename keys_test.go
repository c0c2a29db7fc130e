package main

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"wschat/internal/resp/resptest"
)

// deviceKey is the n-th made-up device public key, in base64url, and its key id.
func deviceKey(n int) (key, id string) {
	raw := sha256.Sum256([]byte(fmt.Sprint("device ", n)))
	sum := sha256.Sum256(raw[:])
	return base64.RawURLEncoding.EncodeToString(raw[:]), base64.RawURLEncoding.EncodeToString(sum[:16])
}

// keysCall makes a key directory request with token ("" for none), and
// returns the status and the decoded answer.
func keysCall(t testing.TB, addr, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	resp, answer := callJSON(t, addr, method, path, token, strings.NewReader(body))
	return resp.StatusCode, answer
}

// putKey publishes device n for token's account.
func putKey(t testing.TB, addr, token string, n int) (int, map[string]any) {
	t.Helper()
	key, id := deviceKey(n)
	return keysCall(t, addr, "PUT", "/api/keys/"+id, token, fmt.Sprintf(`{"key":%q}`, key))
}

// listedIDs returns the key ids GET /api/keys/name answers.
func listedIDs(t testing.TB, addr, token, name string) []string {
	t.Helper()
	code, answer := keysCall(t, addr, "GET", "/api/keys/"+name, token, "")
	if code != http.StatusOK {
		t.Fatalf("GET the keys of %s: %d %v", name, code, answer)
	}
	var ids []string
	for _, d := range answer["devices"].([]any) {
		ids = append(ids, d.(map[string]any)["id"].(string))
	}
	return ids
}

// TestKeyDirectoryAPI: a device is published under the token's account
// only, in the form of the format; anyone with a token reads an
// account's devices; refusals say why with a code.
func TestKeyDirectoryAPI(t *testing.T) {
	_, addr := startServer(t, accountsConfig(t))
	alice, bob := register(t, addr, "alice"), register(t, addr, "bob")
	key1, id1 := deviceKey(1)
	_, id2 := deviceKey(2)

	if code, answer := putKey(t, addr, alice, 1); code != http.StatusOK || len(answer["devices"].([]any)) != 1 {
		t.Fatalf("publish a device: %d %v", code, answer)
	}
	for _, tc := range []struct {
		name, method, path, token, body string
		status                          int
		code                            string
	}{
		{"no token", "PUT", "/api/keys/" + id1, "", fmt.Sprintf(`{"key":%q}`, key1), 401, "auth-required"},
		{"a bad token", "GET", "/api/keys/alice", "not.a.token", "", 401, "auth-required"},
		{"another key's id", "PUT", "/api/keys/" + id2, bob, fmt.Sprintf(`{"key":%q}`, key1), 400, "bad-key"},
		{"a short key", "PUT", "/api/keys/x", bob, `{"key":"AAAA"}`, 400, "bad-key"},
		{"a padded key", "PUT", "/api/keys/" + id1, bob, fmt.Sprintf(`{"key":"%s="}`, key1), 400, "bad-key"},
		{"a key with bits over", "PUT", "/api/keys/" + id1, bob, fmt.Sprintf(`{"key":"%sB"}`, key1[:42]), 400, "bad-key"},
		{"a field too many", "PUT", "/api/keys/" + id1, bob, fmt.Sprintf(`{"key":%q,"name":"alice"}`, key1), 400, "bad-request"},
		{"a huge body", "PUT", "/api/keys/" + id1, bob, `{"key":"` + strings.Repeat("A", 1<<20) + `"}`, 400, "bad-request"},
		{"another's device", "DELETE", "/api/keys/" + id1, bob, "", 404, "no-such-device"},
		{"a bad name", "GET", "/api/keys/a%20b%20", bob, "", 400, "bad-name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, answer := keysCall(t, addr, tc.method, tc.path, tc.token, tc.body)
			if code != tc.status || answer["code"] != tc.code {
				t.Fatalf("%d %v, want %d %s", code, answer, tc.status, tc.code)
			}
		})
	}
	if got := listedIDs(t, addr, bob, "Alice"); len(got) != 1 || got[0] != id1 {
		t.Fatalf("bob reads alice's devices: %v, want [%s]", got, id1)
	}
	if got := listedIDs(t, addr, alice, "bob"); len(got) != 0 {
		t.Fatalf("bob has published nothing, yet lists %v", got)
	}
	if code, _ := keysCall(t, addr, "DELETE", "/api/keys/"+id1, alice, ""); code != http.StatusNoContent {
		t.Fatalf("alice removes her device: %d", code)
	}
	if got := listedIDs(t, addr, bob, "alice"); len(got) != 0 {
		t.Fatalf("a removed device is listed: %v", got)
	}
}

// TestKeyDirectoryBound: an account has at most directoryBounds.Devices
// devices; the next is refused with too-many-devices until one is
// removed.
func TestKeyDirectoryBound(t *testing.T) {
	_, addr := startServer(t, accountsConfig(t))
	alice := register(t, addr, "alice")
	for n := range directoryBounds.Devices {
		if code, answer := putKey(t, addr, alice, n); code != http.StatusOK {
			t.Fatalf("device %d: %d %v", n, code, answer)
		}
	}
	if code, answer := putKey(t, addr, alice, 100); code != http.StatusConflict || answer["code"] != "too-many-devices" {
		t.Fatalf("a device past the bound: %d %v", code, answer)
	}
	if code, _ := putKey(t, addr, alice, 0); code != http.StatusOK {
		t.Fatalf("a device published again at the bound: %d", code)
	}
	_, id := deviceKey(3)
	keysCall(t, addr, "DELETE", "/api/keys/"+id, alice, "")
	if code, answer := putKey(t, addr, alice, 100); code != http.StatusOK {
		t.Fatalf("a device once one was removed: %d %v", code, answer)
	}
}

// TestKeyDirectoryRestart: with -data, published devices and encrypted
// rooms are there after a restart.
func TestKeyDirectoryRestart(t *testing.T) {
	l := startLiveServer(t, accountsConfig(t))
	alice := register(t, l.addr, "alice")
	putKey(t, l.addr, alice, 1)
	if err := l.stop(); err != nil {
		t.Fatal(err)
	}
	if err := l.start(); err != nil {
		t.Fatal(err)
	}
	_, id := deviceKey(1)
	if got := listedIDs(t, l.addr, alice, "alice"); len(got) != 1 || got[0] != id {
		t.Fatalf("after a restart alice's devices are %v, want [%s]", got, id)
	}
}

// TestKeyDirectoryNodes: a device published through one node is read
// through another: the directory is Redis's.
func TestKeyDirectoryNodes(t *testing.T) {
	r := resptest.Start(t)
	var addrs []string
	for range 2 {
		cfg := redisConfig(r, 5*time.Second)
		cfg.Accounts, cfg.Signup = true, true
		addrs = append(addrs, startNode(t, cfg).addr)
	}
	alice := register(t, addrs[0], "alice")
	if code, answer := putKey(t, addrs[0], alice, 7); code != http.StatusOK {
		t.Fatalf("publish through the first node: %d %v", code, answer)
	}
	_, id := deviceKey(7)
	if got := listedIDs(t, addrs[1], alice, "alice"); len(got) != 1 || got[0] != id {
		t.Fatalf("the second node lists %v, want [%s]", got, id)
	}
}

// TestSealedUpload: a file uploaded with sealed=1 is kept under the name
// "file", as the bytes sent, and posted to nobody; once the room is
// encrypted, a file in clear is refused before its body is read.
func TestSealedUpload(t *testing.T) {
	_, addr := startServer(t, testConfig())
	_, room := sealedVectors(t)
	alice, credential := enterWithUpload(t, addr, "alice", "vault")
	bob := enter(t, addr, "bob", "vault")
	alice.event(t) // bob joined
	ciphertext := []byte("\x8f\x03 opaque bytes the server cannot read")

	resp, answer := callJSON(t, addr, "POST", "/files?room=vault&sealed=1&name=secret-plans.txt", credential, strings.NewReader(string(ciphertext)))
	link, _ := answer["url"].(string)
	if resp.StatusCode != http.StatusCreated || answer["name"] != "file" || !strings.HasSuffix(link, "/file") {
		t.Fatalf("a sealed upload: %s %v", resp.Status, answer)
	}
	if got, body := fetch(t, "http://"+addr+link); got.StatusCode != 200 || string(body) != string(ciphertext) {
		t.Fatalf("the sealed file: %s %q", got.Status, body)
	}

	alice.ask(t, map[string]any{"type": "message", "sealed": room})
	if got := bob.awaitLine(t, "alice: "); got != "alice: [encrypted message]" {
		t.Fatalf("bob got %q: want the sealed message first, and no file message before it", got)
	}
	resp, answer = upload(t, addr, credential, "vault", "plans.txt", []byte("in clear"))
	if resp.StatusCode != http.StatusForbidden || answer["code"] != "room-encrypted" {
		t.Fatalf("a file in clear to an encrypted room: %s %v", resp.Status, answer)
	}
}
