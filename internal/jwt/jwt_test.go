package jwt

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testNow is the clock every Verifier in these tests reads.
var testNow = time.Unix(1_800_000_000, 0).UTC()

const (
	hsHeader = `{"alg":"HS256","typ":"JWT"}`
	goodBody = `{"sub":"alice","exp":1800003600,"iat":1800000000}`
)

// body returns claims for alice with extra members spliced in.
func body(extra string) string {
	return `{"sub":"alice","exp":1800003600` + extra + `}`
}

func TestVerify(t *testing.T) {
	k := newTestKeys(t)
	tests := []struct {
		name    string
		key     *Key
		token   func() string
		verify  func(v *Verifier) // adjusts the verifier
		wantErr error             // nil: accepted with sub "alice"
	}{
		{name: "HS256 signs and verifies", key: k.hsKey,
			token: func() string { return signed(t, k.secret, hsHeader, goodBody) }},
		{name: "RS256 signs and verifies", key: k.rsKey,
			token: func() string { return signed(t, k.rsa, `{"alg":"RS256"}`, goodBody) }},
		{name: "ES256 signs and verifies", key: k.esKey,
			token: func() string { return signed(t, k.ec, `{"alg":"ES256"}`, goodBody) }},
		{name: "EdDSA signs and verifies", key: k.edKey,
			token: func() string { return signed(t, k.ed, `{"alg":"EdDSA"}`, goodBody) }},
		{name: "ES256 signature in ASN.1 form", key: k.esKey, wantErr: ErrSignature,
			token: func() string {
				input := signingInput(`{"alg":"ES256"}`, goodBody)
				digest := sha256.Sum256([]byte(input))
				sig, err := ecdsa.SignASN1(rand.Reader, k.ec, digest[:])
				if err != nil {
					t.Fatal(err)
				}
				return input + "." + b64(sig)
			}},
		{name: "tampered header", key: k.hsKey, wantErr: ErrSignature,
			token: func() string {
				tok := signed(t, k.secret, hsHeader, goodBody)
				return b64([]byte(`{"alg":"HS256","kid":"x"}`)) + tok[strings.IndexByte(tok, '.'):]
			}},
		{name: "tampered payload", key: k.rsKey, wantErr: ErrSignature,
			token: func() string {
				parts := strings.Split(signed(t, k.rsa, `{"alg":"RS256"}`, goodBody), ".")
				parts[1] = b64([]byte(strings.Replace(goodBody, "alice", "admin", 1)))
				return strings.Join(parts, ".")
			}},
		{name: "tampered HS256 signature", key: k.hsKey, wantErr: ErrSignature,
			token: func() string { return flipSignatureBit(signed(t, k.secret, hsHeader, goodBody)) }},
		{name: "tampered ES256 signature", key: k.esKey, wantErr: ErrSignature,
			token: func() string { return flipSignatureBit(signed(t, k.ec, `{"alg":"ES256"}`, goodBody)) }},
		{name: "tampered EdDSA signature", key: k.edKey, wantErr: ErrSignature,
			token: func() string { return flipSignatureBit(signed(t, k.ed, `{"alg":"EdDSA"}`, goodBody)) }},
		{name: "truncated signature", key: k.rsKey, wantErr: ErrSignature,
			token: func() string {
				input := signingInput(`{"alg":"RS256"}`, goodBody)
				sig := signRaw(t, k.rsa, input)
				return input + "." + b64(sig[:len(sig)-1])
			}},
		{name: "signed by another key", key: k.edKey, wantErr: ErrSignature,
			token: func() string { return signed(t, newTestKeys(t).ed, `{"alg":"EdDSA"}`, goodBody) }},
		{name: "alg confusion: HS256 with the RSA public key PEM as secret", key: k.rsKey, wantErr: ErrAlgorithm,
			token: func() string { return signed(t, k.rsaPEM, hsHeader, goodBody) }},
		{name: "alg confusion: HS256 with the EC public key PEM as secret", key: k.esKey, wantErr: ErrAlgorithm,
			token: func() string { return signed(t, k.ecPEM, hsHeader, goodBody) }},
		{name: "RS256 header against an HMAC key", key: k.hsKey, wantErr: ErrAlgorithm,
			token: func() string { return signed(t, k.rsa, `{"alg":"RS256"}`, goodBody) }},
		{name: "alg none", key: k.hsKey, wantErr: ErrAlgorithm,
			token: func() string { return signingInput(`{"alg":"none"}`, goodBody) + "." }},
		{name: "alg NoNe", key: k.hsKey, wantErr: ErrAlgorithm,
			token: func() string { return signingInput(`{"alg":"NoNe"}`, goodBody) + "." }},
		{name: "alg missing", key: k.hsKey, wantErr: ErrAlgorithm,
			token: func() string { return signed(t, k.secret, `{"typ":"JWT"}`, goodBody) }},
		{name: "alg not a string", key: k.hsKey, wantErr: ErrMalformed,
			token: func() string { return signed(t, k.secret, `{"alg":["HS256"]}`, goodBody) }},
		{name: "alg in another case", key: k.hsKey, wantErr: ErrAlgorithm,
			token: func() string { return signed(t, k.secret, `{"alg":"hs256"}`, goodBody) }},
		{name: "crit header", key: k.hsKey, wantErr: ErrMalformed,
			token: func() string { return signed(t, k.secret, `{"alg":"HS256","crit":["exp"],"exp":1}`, goodBody) }},
		{name: "expired", key: k.hsKey, wantErr: ErrExpired,
			token: func() string { return signed(t, k.secret, hsHeader, `{"sub":"alice","exp":1799996400}`) }},
		{name: "expired within the default leeway", key: k.hsKey,
			token: func() string { return signed(t, k.secret, hsHeader, `{"sub":"alice","exp":1799999990}`) }},
		{name: "expired beyond the default leeway", key: k.hsKey, wantErr: ErrExpired,
			token: func() string { return signed(t, k.secret, hsHeader, `{"sub":"alice","exp":1799999969}`) }},
		{name: "expires now, no leeway", key: k.hsKey, wantErr: ErrExpired,
			token:  func() string { return signed(t, k.secret, hsHeader, `{"sub":"alice","exp":1800000000}`) },
			verify: func(v *Verifier) { v.Leeway = -1 }},
		{name: "expires in half a second, no leeway", key: k.hsKey,
			token:  func() string { return signed(t, k.secret, hsHeader, `{"sub":"alice","exp":1800000000.5}`) },
			verify: func(v *Verifier) { v.Leeway = -1 }},
		{name: "nbf in the future", key: k.hsKey, wantErr: ErrNotYetValid,
			token: func() string { return signed(t, k.secret, hsHeader, body(`,"nbf":1800000600`)) }},
		{name: "nbf within leeway", key: k.hsKey,
			token: func() string { return signed(t, k.secret, hsHeader, body(`,"nbf":1800000020`)) }},
		{name: "right issuer", key: k.hsKey,
			token:  func() string { return signed(t, k.secret, hsHeader, body(`,"iss":"https://id.example"`)) },
			verify: func(v *Verifier) { v.Issuer = "https://id.example" }},
		{name: "wrong issuer", key: k.hsKey, wantErr: ErrIssuer,
			token:  func() string { return signed(t, k.secret, hsHeader, body(`,"iss":"https://evil.example"`)) },
			verify: func(v *Verifier) { v.Issuer = "https://id.example" }},
		{name: "issuer required but absent", key: k.hsKey, wantErr: ErrIssuer,
			token:  func() string { return signed(t, k.secret, hsHeader, goodBody) },
			verify: func(v *Verifier) { v.Issuer = "https://id.example" }},
		{name: "audience as a string", key: k.hsKey,
			token:  func() string { return signed(t, k.secret, hsHeader, body(`,"aud":"chat"`)) },
			verify: func(v *Verifier) { v.Audience = "chat" }},
		{name: "audience array holding ours", key: k.hsKey,
			token:  func() string { return signed(t, k.secret, hsHeader, body(`,"aud":["mail","chat"]`)) },
			verify: func(v *Verifier) { v.Audience = "chat" }},
		{name: "wrong audience", key: k.hsKey, wantErr: ErrAudience,
			token:  func() string { return signed(t, k.secret, hsHeader, body(`,"aud":"mail"`)) },
			verify: func(v *Verifier) { v.Audience = "chat" }},
		{name: "audience array without ours", key: k.hsKey, wantErr: ErrAudience,
			token:  func() string { return signed(t, k.secret, hsHeader, body(`,"aud":["mail","Chat"]`)) },
			verify: func(v *Verifier) { v.Audience = "chat" }},
		{name: "audience required but absent", key: k.hsKey, wantErr: ErrAudience,
			token:  func() string { return signed(t, k.secret, hsHeader, goodBody) },
			verify: func(v *Verifier) { v.Audience = "chat" }},
		{name: "audience array holding a number", key: k.hsKey, wantErr: ErrMalformed,
			token: func() string { return signed(t, k.secret, hsHeader, body(`,"aud":["chat",1]`)) }},
		{name: "base64 padding", key: k.hsKey, wantErr: ErrMalformed,
			token: func() string {
				return b64([]byte(hsHeader)) + "=." + b64([]byte(goodBody)) + ".AAAA"
			}},
		{name: "base64 standard alphabet", key: k.hsKey, wantErr: ErrMalformed,
			token: func() string { return strings.Replace(signed(t, k.secret, hsHeader, goodBody), "e", "+", 1) }},
		{name: "line break inside a segment", key: k.hsKey, wantErr: ErrMalformed,
			token: func() string {
				tok := signed(t, k.secret, hsHeader, goodBody)
				return tok[:5] + "\n" + tok[5:]
			}},
		{name: "non-canonical trailing bits", key: k.hsKey, wantErr: ErrMalformed,
			token: func() string {
				tok := signed(t, k.secret, hsHeader, goodBody) // 32-byte MAC: 43 chars, 2 spare bits
				return tok[:len(tok)-1] + nextBase64(tok[len(tok)-1])
			}},
		{name: "header is not JSON", key: k.hsKey, wantErr: ErrMalformed,
			token: func() string { return signed(t, k.secret, `{"alg":"HS256"`, goodBody) }},
		{name: "claims are not JSON", key: k.hsKey, wantErr: ErrMalformed,
			token: func() string { return signed(t, k.secret, hsHeader, `{"sub":"alice",}`) }},
		{name: "claims are an array", key: k.hsKey, wantErr: ErrMalformed,
			token: func() string { return signed(t, k.secret, hsHeader, `["alice"]`) }},
		{name: "data after the claims", key: k.hsKey, wantErr: ErrMalformed,
			token: func() string { return signed(t, k.secret, hsHeader, goodBody+`{}`) }},
		{name: "claims not UTF-8", key: k.hsKey, wantErr: ErrMalformed,
			token: func() string { return signed(t, k.secret, hsHeader, body(`,"jti":"`+"\xff"+`"`)) }},
		{name: "duplicate sub", key: k.hsKey, wantErr: ErrMalformed,
			token: func() string { return signed(t, k.secret, hsHeader, body(`,"sub":"admin"`)) }},
		{name: "duplicate alg", key: k.hsKey, wantErr: ErrMalformed,
			token: func() string { return signed(t, k.secret, `{"alg":"none","alg":"HS256"}`, goodBody) }},
		{name: "exp as a string", key: k.hsKey, wantErr: ErrMalformed,
			token: func() string { return signed(t, k.secret, hsHeader, `{"sub":"alice","exp":"1800003600"}`) }},
		{name: "exp null", key: k.hsKey, wantErr: ErrMalformed,
			token: func() string { return signed(t, k.secret, hsHeader, `{"sub":"alice","exp":null}`) }},
		{name: "exp beyond year 9999", key: k.hsKey, wantErr: ErrMalformed,
			token: func() string { return signed(t, k.secret, hsHeader, `{"sub":"alice","exp":1e300}`) }},
		{name: "admin claim true", key: k.hsKey,
			token: func() string { return signed(t, k.secret, hsHeader, body(`,"admin":true`)) }},
		{name: "admin claim as a string", key: k.hsKey, wantErr: ErrMalformed,
			token: func() string { return signed(t, k.secret, hsHeader, body(`,"admin":"true"`)) }},
		{name: "admin claim null", key: k.hsKey, wantErr: ErrMalformed,
			token: func() string { return signed(t, k.secret, hsHeader, body(`,"admin":null`)) }},
		{name: "sub as a number", key: k.hsKey, wantErr: ErrMalformed,
			token: func() string { return signed(t, k.secret, hsHeader, `{"sub":7,"exp":1800003600}`) }},
		{name: "missing exp", key: k.hsKey, wantErr: ErrMissingClaim,
			token: func() string { return signed(t, k.secret, hsHeader, `{"sub":"alice"}`) }},
		{name: "missing sub", key: k.hsKey, wantErr: ErrMissingClaim,
			token: func() string { return signed(t, k.secret, hsHeader, `{"exp":1800003600}`) }},
		{name: "empty sub", key: k.hsKey, wantErr: ErrMissingClaim,
			token: func() string { return signed(t, k.secret, hsHeader, `{"sub":"","exp":1800003600}`) }},
		{name: "sub spelt in capitals", key: k.hsKey, wantErr: ErrMissingClaim,
			token: func() string { return signed(t, k.secret, hsHeader, `{"SUB":"alice","exp":1800003600}`) }},
		{name: "too big", key: k.hsKey, wantErr: ErrMalformed,
			token: func() string {
				return signed(t, k.secret, hsHeader, body(`,"pad":"`+strings.Repeat("x", MaxTokenSize)+`"`))
			}},
		{name: "two segments", key: k.hsKey, wantErr: ErrMalformed,
			token: func() string { return signingInput(hsHeader, goodBody) }},
		{name: "four segments", key: k.hsKey, wantErr: ErrMalformed,
			token: func() string { return signed(t, k.secret, hsHeader, goodBody) + ".AAAA" }},
		{name: "five segments (JWE)", key: k.hsKey, wantErr: ErrMalformed,
			token: func() string { return "eyJhbGciOiJkaXIifQ..AAAA.AAAA.AAAA" }},
		{name: "empty", key: k.hsKey, wantErr: ErrMalformed,
			token: func() string { return "" }},
		{name: "empty signature", key: k.hsKey, wantErr: ErrSignature,
			token: func() string { return signingInput(hsHeader, goodBody) + "." }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &Verifier{Key: tt.key, Now: func() time.Time { return testNow }}
			if tt.verify != nil {
				tt.verify(v)
			}
			token := tt.token()
			c, err := v.Verify(token)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("Verify = %v; want %v", err, tt.wantErr)
			}
			if err != nil {
				assertNoTokenIn(t, err.Error(), token)
				if !reflect.DeepEqual(c, Claims{}) {
					t.Errorf("refused token returned claims %+v", c)
				}
				return
			}
			if c.Subject != "alice" {
				t.Errorf("Subject = %q; want alice", c.Subject)
			}
		})
	}
}

// flipSignatureBit changes one bit of the first signature byte.
func flipSignatureBit(token string) string {
	i := strings.LastIndexByte(token, '.') + 1
	return token[:i] + nextBase64(token[i]) + token[i+1:]
}

// nextBase64 returns the base64url character after c, so that a bit of
// the value it encodes changes.
func nextBase64(c byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	return string(alphabet[(strings.IndexByte(alphabet, c)+1)%64])
}

// assertNoTokenIn fails if msg repeats any segment of token.
func assertNoTokenIn(t *testing.T, msg, token string) {
	t.Helper()
	for _, seg := range strings.Split(token, ".") {
		if len(seg) >= 8 && strings.Contains(msg, seg) {
			t.Errorf("error %q repeats part of the token", msg)
		}
	}
	if strings.Contains(msg, "alice") {
		t.Errorf("error %q repeats a claim", msg)
	}
}

func TestVerifyErrorsReadable(t *testing.T) {
	for err, want := range map[error]string{
		ErrMalformed: "token is malformed",
		ErrSignature: "token signature is invalid",
		ErrExpired:   "token expired",
	} {
		if err.Error() != want {
			t.Errorf("%v; want %q", err, want)
		}
	}
}

func TestVerifyWithoutKey(t *testing.T) {
	for _, v := range []*Verifier{{}, {Key: &Key{}}} {
		if _, err := v.Verify("a.b.c"); err == nil {
			t.Errorf("Verify with key %v accepted a token", v.Key)
		}
	}
}

func TestVerifyReturnsClaims(t *testing.T) {
	k := newTestKeys(t)
	token := signed(t, k.ed, `{"alg":"EdDSA"}`,
		`{"sub":"alice","iss":"id","aud":["a","b"],"exp":1800003600.25,"nbf":1799999000,"iat":1799999000,"jti":"n1","role":"x"}`)
	v := &Verifier{Key: k.edKey, Now: func() time.Time { return testNow }}
	got, err := v.Verify(token)
	if err != nil {
		t.Fatal(err)
	}
	want := Claims{
		Subject:   "alice",
		Issuer:    "id",
		Audience:  []string{"a", "b"},
		Expires:   time.Unix(1800003600, 250e6).UTC(),
		NotBefore: time.Unix(1799999000, 0).UTC(),
		IssuedAt:  time.Unix(1799999000, 0).UTC(),
		ID:        "n1",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("claims = %+v\nwant %+v", got, want)
	}
}

func TestSignRoundTrip(t *testing.T) {
	k := newTestKeys(t)
	tests := []struct {
		name   string
		claims Claims
	}{
		{"minimal", Claims{Subject: "alice", Expires: testNow.Add(time.Hour)}},
		{"one audience", Claims{Subject: "bob", Audience: []string{"chat"}, Expires: testNow.Add(time.Hour)}},
		{"every claim", Claims{
			Subject: "Ünïcode", Issuer: "wschat", Audience: []string{"chat", "files"},
			Expires: testNow.Add(time.Hour), NotBefore: testNow, IssuedAt: testNow, ID: "42", Admin: true,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, err := Sign(k.hsKey, tt.claims)
			if err != nil {
				t.Fatal(err)
			}
			v := &Verifier{Key: k.hsKey, Now: func() time.Time { return testNow }}
			got, err := v.Verify(token)
			if err != nil {
				t.Fatalf("Verify(Sign(c)) = %v", err)
			}
			if !reflect.DeepEqual(got, tt.claims) {
				t.Errorf("claims = %+v\nwant %+v", got, tt.claims)
			}
		})
	}
}

func TestSignRefuses(t *testing.T) {
	k := newTestKeys(t)
	good := Claims{Subject: "alice", Expires: testNow}
	tests := []struct {
		name    string
		key     *Key
		claims  Claims
		wantErr error
	}{
		{"RSA public key", k.rsKey, good, nil},
		{"Ed25519 public key", k.edKey, good, nil},
		{"no key", nil, good, nil},
		{"no sub", k.hsKey, Claims{Expires: testNow}, ErrMissingClaim},
		{"no exp", k.hsKey, Claims{Subject: "alice"}, ErrMissingClaim},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, err := Sign(tt.key, tt.claims)
			if err == nil || token != "" {
				t.Fatalf("Sign = %q, %v; want an error", token, err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Sign error %v; want %v", err, tt.wantErr)
			}
		})
	}
}
