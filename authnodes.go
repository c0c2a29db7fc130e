package main

import (
	"context"
	"fmt"
	"time"

	"wschat/internal/accounts"
	"wschat/internal/engine"
)

// Built-in accounts on several nodes: with -redis, every account is kept
// in wschat:accounts (its name and password hash, as in the accounts
// file), and each node copies one into its own -data when it first meets
// it. The key that signs tokens is wschat:token-key: the first node to
// start puts its own there, and every node then signs and checks with
// that one, so a token from one node is good on all.

// sharedAccounts is where several nodes keep their built-in accounts and
// the key their tokens are signed with (the Redis engine).
type sharedAccounts interface {
	TokenKey(ctx context.Context, local []byte, minSize int) ([]byte, error)
	Account(ctx context.Context, key string) ([]byte, error)
	AddAccount(ctx context.Context, key string, record []byte) (bool, error)
	Up() bool
}

// redisTimeout bounds one call to Redis made on behalf of a request.
const redisTimeout = 2 * time.Second

// exists reports whether the account key is registered, here or, with
// -redis, on another node, whose record it then keeps here.
func (a *auth) exists(key string) bool {
	if a.accounts.Exists(key) {
		return true
	}
	if a.shared == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
	defer cancel()
	rec, err := a.shared.Account(ctx, key)
	if err != nil || rec == nil {
		return false
	}
	if err := a.accounts.Add(rec); err != nil {
		a.log.Error("keep an account registered on another node", "name", key, "err", err)
		return false
	}
	return true
}

// share offers the account key, which logged in here, to the other nodes
// if they do not have it: one made with "wschat user add", say.
func (a *auth) share(key string) {
	if a.shared != nil {
		ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
		defer cancel()
		a.shared.AddAccount(ctx, key, a.accounts.Record(key))
	}
}

// registerAccount registers an account here and, with -redis, for every node.
// Without Redis it refuses: the name may be taken elsewhere.
func (a *auth) registerAccount(key, name, password string) error {
	if a.shared == nil {
		return a.accounts.Register(key, name, password)
	}
	if a.exists(key) {
		return accounts.ErrTaken
	}
	if !a.shared.Up() {
		return engine.ErrUnavailable
	}
	if err := a.accounts.Register(key, name, password); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
	defer cancel()
	added, err := a.shared.AddAccount(ctx, key, a.accounts.Record(key))
	if err != nil {
		return fmt.Errorf("share the account through redis: %w", err)
	}
	if !added {
		a.log.Error("account registered on two nodes at once: the other node's holds", "name", name)
	}
	return nil
}
