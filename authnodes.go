package main

import (
	"encoding/hex"
	"fmt"

	"wschat/internal/accounts"
)

// Built-in accounts on several nodes: with -redis, every account is kept
// in wschat:accounts (its name and password hash, as in the accounts
// file), and each node copies one into its own -data when it first meets
// it. The key that signs tokens is wschat:token-key: the first node to
// start puts its own there, and every node then signs and checks with
// that one, so a token from one node is good on all.

// accountsKey is the hash of the shared accounts, by folded name.
const accountsKey = "wschat:accounts"

// tokenKey returns the chat's token key: the one in Redis, or local,
// which becomes it, when there is none yet.
func (b *backplane) tokenKey(local []byte) ([]byte, error) {
	if _, err := b.do("SET", "wschat:token-key", hex.EncodeToString(local), "NX"); err != nil {
		return nil, fmt.Errorf("share it through redis: %w", err)
	}
	v, err := b.do("GET", "wschat:token-key")
	if err != nil {
		return nil, fmt.Errorf("share it through redis: %w", err)
	}
	key, err := hex.DecodeString(v.Str())
	if err != nil || len(key) < accounts.SecretSize {
		return nil, fmt.Errorf("wschat:token-key in redis is not a key of at least %d bytes in hex", accounts.SecretSize)
	}
	return key, nil
}

// exists reports whether the account key is registered, here or, with
// -redis, on another node, whose record it then keeps here.
func (a *auth) exists(key string) bool {
	if a.accounts.Exists(key) {
		return true
	}
	if a.shared == nil {
		return false
	}
	v, err := a.shared.do("HGET", accountsKey, key)
	if err != nil || v.IsNull() {
		return false
	}
	if err := a.accounts.Add(v.Bytes()); err != nil {
		a.log.Error("keep an account registered on another node", "name", key, "err", err)
		return false
	}
	return true
}

// share offers the account key, which logged in here, to the other nodes
// if they do not have it: one made with "wschat user add", say.
func (a *auth) share(key string) {
	if a.shared != nil {
		a.shared.do("HSETNX", accountsKey, key, string(a.accounts.Record(key)))
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
	if !a.shared.up.Load() {
		return errNoRedis
	}
	if err := a.accounts.Register(key, name, password); err != nil {
		return err
	}
	v, err := a.shared.do("HSETNX", accountsKey, key, string(a.accounts.Record(key)))
	if err != nil {
		return fmt.Errorf("share the account through redis: %w", err)
	}
	if v.Int() == 0 {
		a.log.Error("account registered on two nodes at once: the other node's holds", "name", name)
	}
	return nil
}
