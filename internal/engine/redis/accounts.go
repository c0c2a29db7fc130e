package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"wschat/internal/accounts"
)

// Built-in accounts on several nodes: every account is kept in
// wschat:accounts, its record (name and password hash, as package
// accounts writes it) under its key, and nowhere else. The key that signs tokens is
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

// reserveScript claims a key for a registration, unless it has an
// account: KEYS[1] the accounts, KEYS[2] the key's claim; ARGV: the key,
// the claimant, the claim's expiry in ms. It returns 1 when claimed.
const reserveScript = `if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then return 1 end
return 0`

// unreserveScript gives a claim back if it is still the claimant's:
// KEYS[1] the claim; ARGV[1] the claimant.
const unreserveScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

// reserveFor is how long a registration's claim lasts: longer than a
// hash waits and runs, so that a node that dies mid-registration frees
// the name soon after.
const reserveFor = 30 * time.Second

// Accounts returns the built-in accounts every node shares: an account is
// created in Redis, and only there, by the one registration that first
// claims its key (wschat:registering:KEY, before any password is hashed).
func (e *Engine) Accounts() accounts.Records { return accountRecords{e} }

// accountRecords is accounts.Records in Redis.
type accountRecords struct{ e *Engine }

// Get implements accounts.Records.
func (r accountRecords) Get(ctx context.Context, key string) ([]byte, error) {
	v, err := r.e.do(ctx, "HGET", accountsKey, key)
	if err != nil || v.IsNull() {
		return nil, err
	}
	return v.Bytes(), nil
}

// Reserve implements accounts.Records.
func (r accountRecords) Reserve(ctx context.Context, key string) (func(), error) {
	claim, who := "wschat:registering:"+key, rand.Text()
	v, err := r.e.do(ctx, "EVAL", reserveScript, "2", accountsKey, claim, key, who, strconv.FormatInt(reserveFor.Milliseconds(), 10))
	if err != nil {
		return nil, err
	}
	if v.Int() != 1 {
		return nil, accounts.ErrTaken
	}
	return func() { r.e.background("give a registration's claim back", "EVAL", unreserveScript, "1", claim, who) }, nil
}

// Put implements accounts.Records.
func (r accountRecords) Put(ctx context.Context, key string, rec []byte) error {
	v, err := r.e.do(ctx, "HSETNX", accountsKey, key, string(rec))
	if err == nil && v.Int() == 0 {
		err = accounts.ErrTaken
	}
	return err
}
