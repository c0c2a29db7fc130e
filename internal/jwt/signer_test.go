package jwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"testing"
)

// testKeys are one key pair per algorithm, made fresh for a test, and the
// verifying Keys parsed from their public halves.
type testKeys struct {
	secret                     []byte
	rsa                        *rsa.PrivateKey
	ec                         *ecdsa.PrivateKey
	ed                         ed25519.PrivateKey
	rsaPEM, ecPEM              []byte
	hsKey, rsKey, esKey, edKey *Key
}

func newTestKeys(t testing.TB) *testKeys {
	t.Helper()
	k := &testKeys{secret: make([]byte, 32)}
	rand.Read(k.secret)
	var err error
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	if _, k.ed, err = ed25519.GenerateKey(rand.Reader); err != nil {
		t.Fatal(err)
	}
	k.rsaPEM = publicPEM(t, &k.rsa.PublicKey)
	k.ecPEM = publicPEM(t, &k.ec.PublicKey)
	if k.hsKey, err = NewHMACKey(k.secret); err != nil { // random bytes: ParseKey might trim a final '\n'
		t.Fatal(err)
	}
	k.rsKey = mustKey(t, k.rsaPEM)
	k.esKey = mustKey(t, k.ecPEM)
	k.edKey = mustKey(t, publicPEM(t, k.ed.Public()))
	return k
}

func publicPEM(t testing.TB, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func mustKey(t testing.TB, data []byte) *Key {
	t.Helper()
	k, err := ParseKey(data)
	if err != nil {
		t.Fatalf("ParseKey: %v", err)
	}
	return k
}

func b64(s []byte) string { return base64.RawURLEncoding.EncodeToString(s) }

// signingInput encodes a header and claims given as raw JSON.
func signingInput(header, payload string) string {
	return b64([]byte(header)) + "." + b64([]byte(payload))
}

// signRaw is the test's own JWS signer (RFC 7515 §5.1): priv is an HMAC
// secret ([]byte) or a private key.
func signRaw(t testing.TB, priv any, input string) []byte {
	t.Helper()
	digest := sha256.Sum256([]byte(input))
	switch priv := priv.(type) {
	case []byte:
		m := hmac.New(sha256.New, priv)
		m.Write([]byte(input))
		return m.Sum(nil)
	case *rsa.PrivateKey:
		sig, err := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		return sig
	case *ecdsa.PrivateKey: // RFC 7518 §3.4: R || S, 32 bytes each
		r, s, err := ecdsa.Sign(rand.Reader, priv, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig
	case ed25519.PrivateKey:
		return ed25519.Sign(priv, []byte(input))
	}
	t.Fatalf("signRaw: unknown key type %T", priv)
	return nil
}

// signed makes a token from raw JSON header and claims.
func signed(t testing.TB, priv any, header, payload string) string {
	t.Helper()
	input := signingInput(header, payload)
	return input + "." + b64(signRaw(t, priv, input))
}
