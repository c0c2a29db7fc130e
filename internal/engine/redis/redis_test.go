package redis

import (
	"strconv"
	"testing"

	"wschat/internal/engine"
	"wschat/internal/engine/enginetest"
	"wschat/internal/resp/resptest"
)

func TestContract(t *testing.T) {
	srv := resptest.Start(t, "--databases", "64")
	db := 0
	enginetest.Run(t, func(t *testing.T, h engine.Handler, limits enginetest.Limits) enginetest.Engine {
		limits = limits.WithDefaults()
		db++ // a database of each test's own: keys do not carry over
		e, err := Open(Options{URL: srv.URL("", "/"+strconv.Itoa(db)), Keep: limits.Keep,
			History: limits.History, Mail: limits.Mail, Mailboxes: limits.Mailboxes})
		if err != nil {
			t.Fatal(err)
		}
		e.Attach(h)
		t.Cleanup(func() { e.Close() })
		return e
	})
}

func TestDirectoryContract(t *testing.T) {
	srv := resptest.Start(t, "--databases", "64")
	db := 0
	enginetest.RunDirectory(t, func(t *testing.T, b engine.DirectoryBounds) engine.Directory {
		db++
		e, err := Open(Options{URL: srv.URL("", "/"+strconv.Itoa(db))})
		if err != nil {
			t.Fatal(err)
		}
		e.Attach(enginetest.NewRecorder())
		t.Cleanup(func() { e.Close() })
		return e.Directory(b)
	})
}
