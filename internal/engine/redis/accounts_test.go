package redis

import (
	"errors"
	"testing"

	"wschat/internal/accounts"
	"wschat/internal/resp/resptest"
)

// TestAccountRecords: a key is reserved by one registration at a time and
// not at all once it has an account; what is put is read back by every
// node.
func TestAccountRecords(t *testing.T) {
	srv := resptest.Start(t)
	open := func() accounts.Records {
		e, err := Open(Options{URL: srv.URL("", "")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		return e.Accounts()
	}
	a, b := open(), open()
	ctx := t.Context()
	release, err := a.Reserve(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Reserve(ctx, "alice"); !errors.Is(err, accounts.ErrTaken) {
		t.Fatalf("a second reservation on another node: %v, want ErrTaken", err)
	}
	if err := a.Put(ctx, "alice", []byte(`{"k":1}`)); err != nil {
		t.Fatal(err)
	}
	release()
	if _, err := b.Reserve(ctx, "alice"); !errors.Is(err, accounts.ErrTaken) {
		t.Fatalf("reserving a key with an account: %v, want ErrTaken", err)
	}
	if rec, err := b.Get(ctx, "alice"); err != nil || string(rec) != `{"k":1}` {
		t.Fatalf("the other node reads %q, %v", rec, err)
	}
	if rec, err := b.Get(ctx, "bob"); err != nil || rec != nil {
		t.Fatalf("no account: %q, %v", rec, err)
	}
	if err := b.Put(ctx, "alice", []byte(`{"k":2}`)); !errors.Is(err, accounts.ErrTaken) {
		t.Fatalf("putting over an account: %v, want ErrTaken", err)
	}
	release, err = b.Reserve(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	release() // given back unused: free again
	if release, err = a.Reserve(ctx, "bob"); err != nil {
		t.Fatalf("after a reservation was given back: %v", err)
	}
	release()
}
