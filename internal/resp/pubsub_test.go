package resp

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"wschat/internal/resp/resptest"
)

// expectEvent waits for the subscription's next event and compares it.
func expectEvent(t *testing.T, s *Subscription, want Event) {
	t.Helper()
	select {
	case got, ok := <-s.Events():
		if !ok {
			t.Fatalf("events closed, want %+v", want)
		}
		if got.Kind != want.Kind || got.Channel != want.Channel || !bytes.Equal(got.Payload, want.Payload) {
			t.Fatalf("got event %+v, want %+v", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no event within 10 s, want %+v", want)
	}
}

// TestPubSub checks delivery in order on several channels, as RESP3
// pushes and as RESP2 arrays, with binary payloads.
func TestPubSub(t *testing.T) {
	for _, proto := range []int{3, 2} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			var extra []string
			if proto == 2 {
				extra = []string{"--rename-command", "HELLO", ""}
			}
			srv := resptest.Start(t, extra...)
			c := dial(t, srv.URL("", ""), Options{})
			if got := c.State().Protocol; got != proto {
				t.Fatalf("protocol %d, want %d", got, proto)
			}
			s, err := c.Subscribe(ctxT(t), "room:a", "room:b", "room:a")
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			msgs := []struct{ channel, payload string }{
				{"room:a", "hello"},
				{"room:b", "bin\r\n\x00"},
				{"room:a", ""},
				{"room:a", strings.Repeat("x", 100000)},
			}
			for _, m := range msgs {
				if n := do(t, c, "PUBLISH", m.channel, m.payload).Int(); n != 1 {
					t.Fatalf("PUBLISH reached %d subscribers, want 1", n)
				}
			}
			do(t, c, "PUBLISH", "room:other", "not for us")
			for _, m := range msgs {
				expectEvent(t, s, Event{Kind: EventMessage, Channel: m.channel, Payload: []byte(m.payload)})
			}
		})
	}
}

// TestSlowConsumer floods a subscriber that reads nothing. The client
// holds no more than its buffer; Redis drops the connection at its
// output-buffer limit; the subscription reconnects and reports the gap.
func TestSlowConsumer(t *testing.T) {
	srv := resptest.Start(t, "--client-output-buffer-limit", "pubsub", "256kb", "0", "0")
	c := dial(t, srv.URL("", ""), Options{EventBuffer: 4})
	s, err := c.Subscribe(ctxT(t), "flood")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	payload := strings.Repeat("m", 16<<10)
	sent := 0
	for ; sent < 20000; sent++ {
		if do(t, c, "PUBLISH", "flood", strconv.Itoa(sent)+" "+payload).Int() == 0 {
			break // Redis dropped the subscriber
		}
	}
	if sent == 20000 {
		t.Fatal("Redis never dropped the slow subscriber")
	}
	received := 0
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-s.Events():
			if ev.Kind == EventReconnected {
				t.Logf("published %d, received %d before the gap", sent, received)
				if received >= sent {
					t.Errorf("received %d of %d, yet a gap was reported", received, sent)
				}
				do(t, c, "PUBLISH", "flood", "after")
				expectEvent(t, s, Event{Kind: EventMessage, Channel: "flood", Payload: []byte("after")})
				return
			}
			if want := strconv.Itoa(received) + " "; !strings.HasPrefix(string(ev.Payload), want) {
				t.Fatalf("message %d starts %q", received, ev.Payload[:10])
			}
			received++
		case <-deadline:
			t.Fatalf("no EventReconnected after %d messages", received)
		}
	}
}

// TestEarlyMessages checks that messages arriving between the
// confirmations of a SUBSCRIBE are kept, in order, and bounded.
func TestEarlyMessages(t *testing.T) {
	push := func(kind, channel, data string) string {
		return ">3\r\n+" + kind + "\r\n+" + channel + "\r\n$" + strconv.Itoa(len(data)) + "\r\n" + data + "\r\n"
	}
	fake := startFake(t, func(cmd []Value) string {
		if cmd[0].Str() != "SUBSCRIBE" {
			return okServer(cmd)
		}
		return push("subscribe", "a", "1") + push("message", "a", "m1") +
			push("message", "a", "m2") + push("subscribe", "b", "2")
	})
	tests := []struct {
		name    string
		buffer  int
		wantErr string
	}{
		{"room for both", 2, ""},
		{"more than the buffer", 1, "too many messages"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, fake.url(), Options{EventBuffer: tt.buffer})
			s, err := c.Subscribe(ctxT(t), "a", "b")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error about %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			expectEvent(t, s, Event{Kind: EventMessage, Channel: "a", Payload: []byte("m1")})
			expectEvent(t, s, Event{Kind: EventMessage, Channel: "a", Payload: []byte("m2")})
		})
	}
}
