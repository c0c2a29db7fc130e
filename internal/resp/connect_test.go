package resp

import (
	"errors"
	"strings"
	"testing"

	"wschat/internal/resp/resptest"
)

// TestAuth checks AUTH with a password alone and with an ACL user, and
// that a refusal is clear and never shows the password.
func TestAuth(t *testing.T) {
	srv := resptest.Start(t, "--requirepass", "s3cret-pw",
		"--user", "alice", "on", ">al1ce-pw", "~*", "&*", "+@all")
	tests := []struct {
		name     string
		userinfo string
		wantErr  string // "" for success
	}{
		{"password", ":s3cret-pw@", ""},
		{"ACL user", "alice:al1ce-pw@", ""},
		{"wrong password", ":hunter2-wrong@", "WRONGPASS"},
		{"wrong user password", "alice:hunter2-wrong@", "WRONGPASS"},
		{"no password", "", "NOAUTH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Dial(ctxT(t), srv.URL(tt.userinfo, ""), Options{})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				defer c.Close()
				if got := do(t, c, "PING").Str(); got != "PONG" {
					t.Errorf("PING: %q", got)
				}
				return
			}
			if err == nil {
				c.Close()
				t.Fatal("Dial succeeded")
			}
			var rerr *Error
			if !errors.As(err, &rerr) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got %v, want an *Error %s", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

// TestTLS connects with rediss:// to a server that speaks TLS only, and
// checks that a certificate the client does not trust is refused.
func TestTLS(t *testing.T) {
	srv := resptest.Start(t, "TLS", "--requirepass", "pw")
	url := "rediss://:pw@" + srv.Addr() + "/1"
	c := dial(t, url, Options{TLSConfig: srv.TLS})
	do(t, c, "SET", "k", "over TLS")
	if got := do(t, c, "GET", "k").Str(); got != "over TLS" {
		t.Errorf("GET: %q", got)
	}
	sub, err := c.Subscribe(ctxT(t), "ch")
	if err != nil {
		t.Fatal(err)
	}
	do(t, c, "PUBLISH", "ch", "m")
	expectEvent(t, sub, Event{Kind: EventMessage, Channel: "ch", Payload: []byte("m")})

	_, err = Dial(ctxT(t), url, Options{})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted certificate: got %v", err)
	}
}

// TestDialFailures checks what Dial says when it cannot connect.
func TestDialFailures(t *testing.T) {
	srv := resptest.Start(t)
	addr := srv.Addr()
	srv.Stop()
	tests := []struct {
		name, url, want string
	}{
		{"nothing listening", "redis://" + addr, "connection refused"},
		{"malformed URL", "redis://:hunter2@[::1", "malformed URL"},
		{"wrong scheme", "http://" + addr, "scheme"},
		{"bad database", "redis://" + addr + "/x", "database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Dial(ctxT(t), tt.url, Options{})
			if err == nil {
				c.Close()
				t.Fatal("Dial succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("got %q, want it to say %q and not the password", err, tt.want)
			}
		})
	}
}
