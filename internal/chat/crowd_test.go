package chat

import "testing"

func TestCountedSaysHowManyAreHere(t *testing.T) {
	for _, tt := range []struct {
		n          int
		text, json string
	}{
		{1, "* 1 person here", `{"type":"count","room":"lobby","count":1}`},
		{2, "* 2 people here", `{"type":"count","room":"lobby","count":2}`},
		{999, "* 999 people here", `{"type":"count","room":"lobby","count":999}`},
		{1000, "* 1,000 people here", `{"type":"count","room":"lobby","count":1000}`},
		{123456, "* 123,456 people here", `{"type":"count","room":"lobby","count":123456}`},
		{1234567, "* 1,234,567 people here", `{"type":"count","room":"lobby","count":1234567}`},
	} {
		p := counted("lobby", tt.n)
		if string(p.text) != tt.text || string(p.json) != tt.json {
			t.Errorf("counted(%d) = %q, %s; want %q, %s", tt.n, p.text, p.json, tt.text, tt.json)
		}
	}
}
