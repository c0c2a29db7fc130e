package resp

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		want    endpoint
		auth    string // authArgs joined by spaces
		wantErr string
	}{
		{"host and port", "redis://127.0.0.1:6380", endpoint{addr: "127.0.0.1:6380", host: "127.0.0.1"}, "", ""},
		{"default port", "redis://localhost", endpoint{addr: "localhost:6379", host: "localhost"}, "", ""},
		{"IPv6", "redis://[::1]:7000/2", endpoint{addr: "[::1]:7000", host: "::1", db: 2}, "", ""},
		{"password alone", "redis://:pw@h:1", endpoint{addr: "h:1", host: "h"}, "AUTH pw", ""},
		{"ACL user", "redis://alice:pw@h:1/0", endpoint{addr: "h:1", host: "h", user: "alice"}, "AUTH alice pw", ""},
		{"escaped password", "redis://:p%40ss%3A@h", endpoint{addr: "h:6379", host: "h"}, "AUTH p@ss:", ""},
		{"TLS", "rediss://h:6380", endpoint{addr: "h:6380", host: "h", tls: true}, "", ""},
		{"user without password", "redis://alice@h", endpoint{addr: "h:6379", host: "h", user: "alice"}, "", ""},
		{"wrong scheme", "http://h", endpoint{}, "", "scheme"},
		{"no host", "redis:///3", endpoint{}, "", "no host"},
		{"database not a number", "redis://h/abc", endpoint{}, "", "not a number"},
		{"negative database", "redis://h/-1", endpoint{}, "", "not a number"},
		{"query", "redis://h?db=1", endpoint{}, "", "must be"},
		{"malformed, password hidden", "redis://:secret@h:port", endpoint{}, "", "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseURL(tt.url)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "secret") {
					t.Fatalf("got %v, want an error about %q without the password", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.addr != tt.want.addr || got.host != tt.want.host || got.tls != tt.want.tls ||
				got.user != tt.want.user || got.db != tt.want.db {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if strings.Contains(fmt.Sprintf("%+v", got), "pw") {
				t.Errorf("printing the endpoint shows the password: %+v", got)
			}
			if auth := strings.Join(got.authArgs(), " "); auth != tt.auth {
				t.Errorf("AUTH command %q, want %q", auth, tt.auth)
			}
		})
	}
}

// TestBackoff checks that waits double from the minimum, stay within the
// cap and are jittered within the upper half.
func TestBackoff(t *testing.T) {
	lo, hi := 50*time.Millisecond, 5*time.Second
	tests := []struct {
		name    string
		attempt int
		max     time.Duration
	}{
		{"first", 0, lo},
		{"second", 1, 2 * lo},
		{"fifth", 4, 16 * lo},
		{"capped", 10, hi},
		{"far past the cap", 1000, hi},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 100 {
				d := backoff(tt.attempt, lo, hi)
				if d < tt.max/2 || d > tt.max {
					t.Fatalf("backoff(%d) = %v, want within [%v, %v]", tt.attempt, d, tt.max/2, tt.max)
				}
			}
		})
	}
}
