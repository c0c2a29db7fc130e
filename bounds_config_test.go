package main

import (
	"strings"
	"testing"
	"time"

	"wschat/internal/store"
)

// The flags' bounds of history and mail, as the engines get them: the
// totals' defaults follow where things are kept.
func TestBoundsFromFlags(t *testing.T) {
	cfg := Config{HistoryRoomBytes: 8 << 20, HistoryShare: 16 << 20, HistoryAge: time.Hour,
		MailBox: 1 << 20, MailShare: 4 << 20, MailAge: time.Minute}
	for _, tt := range []struct {
		name          string
		data, redis   string
		history, mail int64
	}{
		{"in memory", "", "", defaultHistoryMemory, defaultMailMemory},
		{"with -data", "/d", "", defaultHistoryDisk, defaultMailDisk},
		{"with -redis, which keeps them in memory", "/d", "redis://x", defaultHistoryMemory, defaultMailMemory},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := cfg
			c.DataDir, c.Redis = tt.data, tt.redis
			if got, want := c.historyBounds(), (store.Bounds{RoomBytes: 8 << 20, MaxAge: time.Hour, Total: tt.history, Share: 16 << 20}); got != want {
				t.Errorf("history: %+v, want %+v", got, want)
			}
			if got, want := c.mailBounds(), (store.Bounds{RoomBytes: 1 << 20, RoomShare: 512 << 10, MaxAge: time.Minute, Total: tt.mail, Share: 4 << 20}); got != want {
				t.Errorf("mail: %+v, want %+v", got, want)
			}
		})
	}
	c := cfg
	c.HistoryBytes, c.MailBytes = 1<<20, 2<<20
	if c.historyBounds().Total != 1<<20 || c.mailBounds().Total != 2<<20 {
		t.Errorf("totals given: %+v, %+v", c.historyBounds(), c.mailBounds())
	}
}

func TestBoundFlagsRefuseNegatives(t *testing.T) {
	for _, tt := range []struct {
		name string
		set  func(*Config)
		want string
	}{
		{"rooms", func(c *Config) { c.RoomsEach = -1 }, "-rooms-per-participant"},
		{"room notices", func(c *Config) { c.RoomNotices = -1 }, "-room-notices"},
		{"history", func(c *Config) { c.HistoryAge = -time.Second }, "-history-age"},
		{"mail", func(c *Config) { c.MailShare = -1 }, "-mail-share"},
		{"files", func(c *Config) { c.FilesShare = -1 }, "-files-share"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.HandshakeTimeout, cfg.MessageTimeout, cfg.MaxReassembly = time.Second, time.Second, 1
			tt.set(&cfg)
			if err := checkLimits(cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error naming %s", err, tt.want)
			}
		})
	}
}
