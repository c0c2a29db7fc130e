package redis

import (
	"context"
	"encoding/hex"
	"fmt"
)

// Built-in accounts on several nodes: every account is kept in
// wschat:accounts, its record (name and password hash, as package
// accounts writes it) under its key. The key that signs tokens is
// wschat:token-key: the first node to start puts its own there, and every
// node then signs and checks with that one, so that a token from one node
// is good on all.

const (
	accountsKey = "wschat:accounts"
	tokenKeyKey = "wschat:token-key"
)

// TokenKey returns the key every node signs tokens with: the one in
// Redis, or local, which becomes it, when there is none yet. It is at
// least minSize bytes.
func (e *Engine) TokenKey(ctx context.Context, local []byte, minSize int) ([]byte, error) {
	if _, err := e.do(ctx, "SET", tokenKeyKey, hex.EncodeToString(local), "NX"); err != nil {
		return nil, fmt.Errorf("share it through redis: %w", err)
	}
	v, err := e.do(ctx, "GET", tokenKeyKey)
	if err != nil {
		return nil, fmt.Errorf("share it through redis: %w", err)
	}
	key, err := hex.DecodeString(v.Str())
	if err != nil || len(key) < minSize {
		return nil, fmt.Errorf("%s in redis is not a key of at least %d bytes in hex", tokenKeyKey, minSize)
	}
	return key, nil
}

// Account returns the record of the account key, or nil if there is none.
func (e *Engine) Account(ctx context.Context, key string) ([]byte, error) {
	v, err := e.do(ctx, "HGET", accountsKey, key)
	if err != nil || v.IsNull() {
		return nil, err
	}
	return v.Bytes(), nil
}

// AddAccount keeps record as the account key's unless it has one, and
// reports whether it did.
func (e *Engine) AddAccount(ctx context.Context, key string, record []byte) (bool, error) {
	v, err := e.do(ctx, "HSETNX", accountsKey, key, string(record))
	return err == nil && v.Int() == 1, err
}
