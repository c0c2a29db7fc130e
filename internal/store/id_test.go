package store

import (
	"testing"
	"time"
)

func TestParseID(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want ID
		ok   bool
	}{
		{"plain", "1700000000000-3", ID{1700000000000, 3}, true},
		{"zero", "0-0", ID{}, true},
		{"max", "18446744073709551615-18446744073709551615", ID{1<<64 - 1, 1<<64 - 1}, true},
		{"overflow ms", "18446744073709551616-0", ID{}, false},
		{"overflow seq", "1-18446744073709551616", ID{}, false},
		{"no dash", "1700000000000", ID{}, false},
		{"two dashes", "1-2-3", ID{}, false},
		{"empty", "", ID{}, false},
		{"empty ms", "-1", ID{}, false},
		{"empty seq", "1-", ID{}, false},
		{"plus sign", "+1-2", ID{}, false},
		{"minus seq", "1--2", ID{}, false},
		{"space", " 1-2", ID{}, false},
		{"trailing space", "1-2 ", ID{}, false},
		{"leading zero", "01-2", ID{}, false},
		{"hex", "0x1-2", ID{}, false},
		{"unicode digit", "١-2", ID{}, false},
		{"redis wildcard", "1-*", ID{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseID(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("ParseID(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
			}
			if tt.ok && got.String() != tt.in {
				t.Errorf("String() = %q, want %q", got.String(), tt.in)
			}
		})
	}
}

func TestIDOrderAndTime(t *testing.T) {
	tests := []struct {
		name string
		a, b ID
		less bool
	}{
		{"earlier ms", ID{1, 9}, ID{2, 0}, true},
		{"same ms lower seq", ID{5, 1}, ID{5, 2}, true},
		{"equal", ID{5, 2}, ID{5, 2}, false},
		{"later", ID{6, 0}, ID{5, 9}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Less(tt.b); got != tt.less {
				t.Errorf("%v.Less(%v) = %v", tt.a, tt.b, got)
			}
		})
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	if got := (ID{Ms: uint64(at.UnixMilli())}).Time(); !got.Equal(at) || got.Location() != time.UTC {
		t.Errorf("Time() = %v, want %v", got, at)
	}
}

func TestNextID(t *testing.T) {
	now := time.UnixMilli(1000)
	tests := []struct {
		name string
		last ID
		want ID
	}{
		{"first", ID{}, ID{1000, 0}},
		{"clock moved on", ID{999, 7}, ID{1000, 0}},
		{"same millisecond", ID{1000, 0}, ID{1000, 1}},
		{"clock went back", ID{5000, 3}, ID{5000, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := next(tt.last, now); got != tt.want {
				t.Errorf("next(%v) = %v, want %v", tt.last, got, tt.want)
			}
		})
	}
}
