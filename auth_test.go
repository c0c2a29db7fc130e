package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"wschat/internal/jwt"
)

func TestAccountsAPI(t *testing.T) {
	cfg := accountsConfig(t)
	_, addr := startServer(t, cfg)
	register(t, addr, "alice")
	tests := []struct {
		name, path, body string
		status           int
		answer           string
	}{
		{"taken", "/api/register", `{"name":"ALICE","password":"another one"}`, 409, `name "ALICE" is taken, or one that reads the same: choose another`},
		{"reads as a registered name", "/api/register", `{"name":"аӏісе","password":"another one"}`, 409, `name "аӏісе" is taken, or one that reads the same`},
		{"reads as a registered name, in digits", "/api/register", `{"name":"a1ice","password":"another one"}`, 409, `name "a1ice" is taken`},
		{"weak password", "/api/register", `{"name":"bob","password":"short"}`, 400, "password"},
		{"bad name", "/api/register", `{"name":"bob smith","password":"long enough"}`, 400, `name may use only letters, digits, "_", "-" and "."`},
		{"look-alike name", "/api/register", `{"name":"аlice","password":"long enough"}`, 400, "name mixes scripts"},
		{"not JSON", "/api/login", `name=alice`, 400, `send JSON: {"name":"...","password":"..."}`},
		{"unknown field", "/api/login", `{"name":"alice","password":"x","admin":true}`, 400, "send JSON"},
		{"too large", "/api/login", `{"name":"alice","password":"` + strings.Repeat("x", 5000) + `"}`, 413, "the request is too large"},
		{"wrong password", "/api/login", `{"name":"alice","password":"wrong horse"}`, 401, "wrong name or password"},
		{"unknown name", "/api/login", `{"name":"nobody","password":"correct horse"}`, 401, "wrong name or password"},
		{"login", "/api/login", `{"name":"Alice","password":"correct horse"}`, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, answer, _ := apiCall(t, addr, tt.path, tt.body)
			if status != tt.status || !strings.Contains(answer["error"], tt.answer) {
				t.Errorf("got %d %v, want %d %q", status, answer, tt.status, tt.answer)
			}
			if status == 200 && (answer["token"] == "" || answer["name"] != "alice") {
				t.Errorf("login answered %v, want a token for alice as she spelled it", answer)
			}
		})
	}
	resp, err := http.Get("http://" + addr + "/api/login")
	if err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /api/login: %v %v, want 405", resp.Status, err)
	}
	info, err := os.Stat(filepath.Join(cfg.DataDir, "token.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("token key: %v %v, want mode 0600", info.Mode(), err)
	}
}

// TestAccountsThrottleFailedLogins: guesses at a name from one address
// lock that name for that address only; its owner, from another address,
// logs in at once, and again after every further guess.
func TestAccountsThrottleFailedLogins(t *testing.T) {
	_, addr := startServer(t, accountsConfig(t))
	register(t, addr, "alice")
	const guesses = 5 // per name and address at once (accounts.DefaultLoginLimits)
	guesser := "127.0.0.2"
	for i := range guesses {
		if status, _, _ := apiCallFrom(t, guesser, addr, "/api/login", `{"name":"alice","password":"guess `+strconv.Itoa(i)+`"}`); status != 401 {
			t.Fatalf("guess %d: %d, want 401", i, status)
		}
	}
	for range 3 {
		status, answer, resp := apiCallFrom(t, guesser, addr, "/api/login", `{"name":"alice","password":"correct horse"}`)
		wait, err := strconv.Atoi(resp.Header.Get("Retry-After"))
		if status != http.StatusTooManyRequests || err != nil || wait < 1 || answer["code"] != "too-many-tries" || !strings.HasPrefix(answer["error"], "too many attempts") {
			t.Errorf("after %d guesses: %d %v Retry-After %q, want 429 with a wait", guesses, status, answer, resp.Header.Get("Retry-After"))
		}
		if status, answer, _ := apiCall(t, addr, "/api/login", `{"name":"alice","password":"correct horse"}`); status != http.StatusOK {
			t.Errorf("alice from her own address while someone guesses: %d %v, want 200", status, answer)
		}
	}
}

func TestAccountsSignupClosedAndKeptAcrossRestarts(t *testing.T) {
	cfg := accountsConfig(t)
	s, addr := startServer(t, cfg)
	register(t, addr, "alice")
	shutdown(t, s)

	cfg.Signup = false
	_, addr = startServer(t, cfg)
	if status, answer, _ := apiCall(t, addr, "/api/register", `{"name":"bob","password":"long enough"}`); status != 403 || answer["error"] != "registration is closed on this server" {
		t.Errorf("register with signup closed: %d %v", status, answer)
	}
	if status, _, _ := apiCall(t, addr, "/api/login", `{"name":"alice","password":"correct horse"}`); status != 200 {
		t.Errorf("alice's login after a restart: %d", status)
	}
}

func TestAccountsUserAddCommand(t *testing.T) {
	dir := t.TempDir()
	if err := userCommand([]string{"add", "-data", dir, "carol"}, strings.NewReader("carol's password\n")); err != nil {
		t.Fatal(err)
	}
	if err := userCommand([]string{"add", "-data", dir, "carol"}, strings.NewReader("another password\n")); err == nil {
		t.Error("adding carol twice worked")
	}
	if err := userCommand([]string{"add", "-data", dir, "dave"}, strings.NewReader("short\n")); err == nil {
		t.Error("a weak password was taken")
	}
	cfg := testConfig()
	cfg.DataDir, cfg.Accounts = dir, true
	_, addr := startServer(t, cfg)
	if status, _, _ := apiCall(t, addr, "/api/login", `{"name":"carol","password":"carol's password"}`); status != 200 {
		t.Errorf("carol's login: %d", status)
	}
	if err := userCommand([]string{"add", "-data", dir, "erin"}, strings.NewReader("erin's password\n")); err == nil || !strings.Contains(err.Error(), "stop the server first") {
		t.Errorf("user add while the server runs: %v", err)
	}
}

func TestTokensAtTheHandshake(t *testing.T) {
	_, addr := startServer(t, accountsConfig(t))
	token := register(t, addr, "alice")
	parts := strings.Split(token, ".")
	tampered := parts[0] + "." + strings.Repeat("A", len(parts[1])) + "." + parts[2]
	tests := []struct {
		name, query string
		header      http.Header
		reason      string
	}{
		{"no token", "?name=alice", nil, "auth-required: authentication required: log in, or connect with ?token=YOUR_TOKEN"},
		{"garbage", "?token=xyz", nil, "auth-required: token is malformed"},
		{"tampered", "?token=" + tampered, nil, "auth-required: "},
		{"another name", "?name=bob&token=" + token, nil, `auth-required: name "bob" is not the one your token is for, "alice"`},
		{"alg none", "?token=eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSIsImV4cCI6OTk5OTk5OTk5OX0.", nil, "auth-required: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := tryDial(addr, "/ws/chat"+tt.query, tt.header)
			if err != nil {
				t.Fatal(err)
			}
			c.t = t
			code, reason := c.expectClose()
			if code != closePolicyViolation || !strings.HasPrefix(reason, tt.reason) || reason == "" || strings.Contains(reason, token[:20]) {
				t.Errorf("got %d %q, want 1008 %q", code, reason, tt.reason)
			}
		})
	}
	// The token in a header, and the name it gives.
	c, resp, err := tryDial(addr, "/ws/chat", http.Header{"Authorization": {"Bearer " + token}})
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("with a Bearer header: %v %v", resp, err)
	}
	c.t = t
	if w := c.next(); w != "* welcome, alice! 1 online: alice" {
		t.Errorf("got %q, want alice's welcome", w)
	}
}

func TestTokenFromAnotherServiceAndItsExpiry(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(pub)
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600)
	cfg := testConfig()
	cfg.JWTKey, cfg.JWTIssuer = keyFile, "https://id.example"
	_, addr := startServer(t, cfg)

	sign := func(sub, iss string, exp time.Time) string {
		return signEdDSA(t, priv, fmt.Sprintf(`{"sub":%q,"iss":%q,"exp":%d}`, sub, iss, exp.Unix()))
	}
	for _, tt := range []struct{ name, token, reason string }{
		{"wrong issuer", sign("alice", "https://evil.example", time.Now().Add(time.Hour)), "auth-required: " + jwt.ErrIssuer.Error()},
		{"expired", sign("alice", "https://id.example", time.Now().Add(-time.Hour)), "token-expired: token expired: log in again"},
		{"HS256 with the public key", hs256(t, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), `{"sub":"alice","exp":9999999999}`), "auth-required: " + jwt.ErrAlgorithm.Error()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, addr, "/ws/chat?token="+tt.token)
			if code, reason := c.expectClose(); code != closePolicyViolation || !strings.HasPrefix(reason, tt.reason) {
				t.Errorf("got %d %q, want 1008 %q", code, reason, tt.reason)
			}
		})
	}

	// A connection lives no longer than its token, unless renewed.
	short := sign("alice", "https://id.example", time.Now().Add(2*time.Second))
	alice := joinWith(t, addr, short, "")
	bob := joinWith(t, addr, sign("bob", "https://id.example", time.Now().Add(2*time.Second)), "")
	bob.c.sendText("/token " + sign("bob", "https://id.example", time.Now().Add(time.Hour)))
	if m := bob.next(t); !strings.HasPrefix(m, "* token renewed: this connection lasts until ") {
		t.Errorf("got %q, want the renewal", m)
	}
	bob.c.sendText("/token " + sign("carol", "https://id.example", time.Now().Add(time.Hour)))
	bob.expect(t, "* token not taken: it is for another name")
	alice.expect(t, "* bob joined")
	alice.expect(t, "CLOSE 1008 token-expired: token expired: log in again")
	bob.expect(t, "* alice left")
	bob.quiet(t, "bob")
}

// signEdDSA signs claims with priv as a token from another service would be.
func signEdDSA(t testing.TB, priv ed25519.PrivateKey, claims string) string {
	t.Helper()
	input := b64(`{"alg":"EdDSA","typ":"JWT"}`) + "." + b64(claims)
	return input + "." + b64(string(ed25519.Sign(priv, []byte(input))))
}

// hs256 signs claims with secret as HS256, as an attacker would with a
// server's public key.
func hs256(t testing.TB, secret []byte, claims string) string {
	t.Helper()
	k, err := jwt.NewHMACKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Sub string `json:"sub"`
		Exp int64  `json:"exp"`
	}
	json.Unmarshal([]byte(claims), &c)
	tok, err := jwt.Sign(k, jwt.Claims{Subject: c.Sub, Expires: time.Unix(c.Exp, 0)})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestAccountsSeveralConnectionsAndMail(t *testing.T) {
	_, addr := startServer(t, accountsConfig(t))
	alice, bob, carol := register(t, addr, "alice"), register(t, addr, "bob"), register(t, addr, "carol")

	phone := joinWith(t, addr, alice, "")
	laptop := listen(dial(t, addr, "/ws/chat?token="+alice))
	laptop.expect(t, "* welcome, alice! 1 online: alice") // once, however many connections
	c := joinWith(t, addr, carol, "")
	phone.expect(t, "* carol joined")
	laptop.expect(t, "* carol joined")
	phone.say(t, "alice", "from my phone")
	laptop.expect(t, "alice: from my phone")
	c.expect(t, "alice: from my phone")

	// bob is offline: the message waits for him.
	phone.c.sendText("/msg bob see you later")
	phone.expect(t, "alice → bob: see you later")
	phone.expect(t, "* bob is offline: they will get your message when they next connect")
	laptop.expect(t, "alice → bob: see you later")

	laptop.c.writeFrame(true, opClose, closePayload(closeNormal, ""))
	laptop.expect(t, "CLOSE 1000 ")
	phone.say(t, "alice", "still here") // no leave notice while the phone is on
	c.expect(t, "alice: still here")

	b := listen(dial(t, addr, "/ws/chat?format=json&token="+bob))
	b.event(t)                                                     // welcome
	for _, want := range []string{"from my phone", "still here"} { // the room's history
		if e := b.event(t); e.Text != want {
			t.Fatalf("got %+v, want %q", e, want)
		}
	}
	if e := b.event(t); e.Type != "private" || !e.History || e.Name != "alice" || e.To != "bob" || e.Text != "see you later" || e.ID == "" {
		t.Errorf("got %+v, want alice's message from the mailbox", e)
	}
	b.c.sendText("/msg alice got it")
	if e := b.event(t); e.Type != "private" || e.History || e.Text != "got it" {
		t.Errorf("got %+v, want bob's reply", e)
	}
	phone.expectAll(t, "* bob joined", "bob → alice: got it") // the notice may wait a moment for others

	// carol's mailbox has none of it.
	c.expect(t, "* bob joined")
	c2 := listen(dial(t, addr, "/ws/chat?token="+carol))
	c2.expect(t, "* welcome, carol! 3 online: alice, carol, bob")
	c2.expect(t, "alice: from my phone")
	c2.expect(t, "alice: still here")
	c2.quiet(t, "carol")
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestTokensNeverAppearInTheLog(t *testing.T) {
	var logs syncBuffer
	s := newTestServer(t, accountsConfig(t), slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	hs := httptest.NewServer(s)
	defer hs.Close()
	defer s.Shutdown(t.Context())
	addr := strings.TrimPrefix(hs.URL, "http://")
	token := register(t, addr, "alice")
	apiCall(t, addr, "/api/login", `{"name":"alice","password":"correct horse"}`)
	apiCall(t, addr, "/api/login", `{"name":"alice","password":"wrong horse"}`)
	alice := joinWith(t, addr, token, "")
	alice.c.sendText("/token " + token)
	alice.next(t)
	bad := dial(t, addr, "/ws/chat?token="+token[:len(token)-2]+"xx")
	bad.expectClose()
	alice.c.writeFrame(true, opClose, closePayload(closeNormal, ""))
	alice.expect(t, "CLOSE 1000 ")
	sig := token[strings.LastIndex(token, ".")+1:]
	if out := logs.String(); strings.Contains(out, sig) || strings.Contains(out, "horse") {
		t.Errorf("the log shows a token or a password:\n%s", out)
	}
	if !strings.Contains(logs.String(), "msg=join name=alice") {
		t.Errorf("the log has no join line, so it shows nothing:\n%s", logs.String())
	}
}
