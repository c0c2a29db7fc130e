package jwt

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fuzzSecret signs the seed tokens in testdata/fuzz/FuzzVerify.
const fuzzSecret = "wschat-fuzz-secret-0123456789abc"

// FuzzVerify feeds arbitrary tokens to Verify. Each input is tried as
// given and again with a good HS256 signature over its first two
// segments, so that the claims parser is reached too. Verify must never
// panic; a refusal must carry one of the package's errors and no claims;
// an accepted token must verify again to the same claims, and signing
// those claims must give a token that verifies to them.
func FuzzVerify(f *testing.F) {
	f.Add("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIiwiZXhwIjoxODAwMDAzNjAwfQ.x")
	f.Add("a.b.c")
	key, err := NewHMACKey([]byte(fuzzSecret))
	if err != nil {
		f.Fatal(err)
	}
	v := &Verifier{Key: key, Now: func() time.Time { return testNow }}
	f.Fuzz(func(t *testing.T, token string) {
		checkVerify(t, v, token)
		if i := strings.LastIndexByte(token, '.'); i >= 0 && i < MaxTokenSize {
			input := token[:i]
			checkVerify(t, v, input+"."+b64(key.mac([]byte(input))))
		}
	})
}

var sentinels = []error{ErrMalformed, ErrAlgorithm, ErrSignature, ErrExpired,
	ErrNotYetValid, ErrIssuer, ErrAudience, ErrMissingClaim}

func checkVerify(t *testing.T, v *Verifier, token string) {
	c, err := v.Verify(token)
	if err != nil {
		if !slicesContainsIs(sentinels, err) {
			t.Fatalf("Verify error %v is none of the package's errors", err)
		}
		if !reflect.DeepEqual(c, Claims{}) {
			t.Fatalf("refused token returned claims %+v", c)
		}
		return
	}
	again, err := v.Verify(token)
	if err != nil || !reflect.DeepEqual(again, c) {
		t.Fatalf("second Verify = %+v, %v; first gave %+v", again, err, c)
	}
	if !wholeSeconds(c) {
		return // Sign writes whole seconds, which may move exp past now
	}
	resigned, err := Sign(v.Key, c)
	if err != nil {
		t.Fatalf("Sign(accepted claims) = %v", err)
	}
	round, err := v.Verify(resigned)
	if err != nil || !reflect.DeepEqual(round, c) {
		t.Fatalf("Verify(Sign(c)) = %+v, %v; want %+v", round, err, c)
	}
}

func slicesContainsIs(targets []error, err error) bool {
	for _, target := range targets {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

func wholeSeconds(c Claims) bool {
	for _, t := range []time.Time{c.Expires, c.NotBefore, c.IssuedAt} {
		if t.Nanosecond() != 0 {
			return false
		}
	}
	return true
}
