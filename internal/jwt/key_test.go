package jwt

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"
)

func TestParseKey(t *testing.T) {
	k := newTestKeys(t)
	secret := strings.Repeat("s", 32)
	tests := []struct {
		name    string
		data    func() []byte
		wantAlg string
		wantErr string // part of the error message; "" when accepted
	}{
		{name: "HMAC secret with a trailing newline", wantAlg: HS256,
			data: func() []byte { return []byte(secret + "\r\n\n") }},
		{name: "HMAC secret too short", wantErr: "at least 32",
			data: func() []byte { return []byte(strings.Repeat("s", 31) + "\n") }},
		{name: "RSA PKIX public key", wantAlg: RS256,
			data: func() []byte { return k.rsaPEM }},
		{name: "RSA PKCS #1 public key", wantAlg: RS256,
			data: func() []byte {
				return pemBlock("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey))
			}},
		{name: "ECDSA P-256 public key", wantAlg: ES256,
			data: func() []byte { return k.ecPEM }},
		{name: "Ed25519 public key", wantAlg: EdDSA,
			data: func() []byte { return publicPEM(t, k.ed.Public()) }},
		{name: "certificate", wantAlg: EdDSA,
			data: func() []byte { return selfSignedPEM(t, k.ed) }},
		{name: "certificate then its private key", wantErr: "give the public key",
			data: func() []byte {
				der, err := x509.MarshalPKCS8PrivateKey(k.ed)
				if err != nil {
					t.Fatal(err)
				}
				return append(selfSignedPEM(t, k.ed), pemBlock("PRIVATE KEY", der)...)
			}},
		{name: "PKCS #8 private key", wantErr: "give the public key",
			data: func() []byte {
				der, err := x509.MarshalPKCS8PrivateKey(k.rsa)
				if err != nil {
					t.Fatal(err)
				}
				return pemBlock("PRIVATE KEY", der)
			}},
		{name: "EC private key", wantErr: "give the public key",
			data: func() []byte {
				der, err := x509.MarshalECPrivateKey(k.ec)
				if err != nil {
					t.Fatal(err)
				}
				return pemBlock("EC PRIVATE KEY", der)
			}},
		{name: "RSA key of 1024 bits", wantErr: "at least 2048",
			data: func() []byte {
				small, err := rsa.GenerateKey(rand.Reader, 1024)
				if err != nil {
					t.Fatal(err)
				}
				return publicPEM(t, &small.PublicKey)
			}},
		{name: "ECDSA P-384 key", wantErr: "only P-256",
			data: func() []byte {
				p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
				if err != nil {
					t.Fatal(err)
				}
				return publicPEM(t, &p384.PublicKey)
			}},
		{name: "PEM of another type", wantErr: "is not a key",
			data: func() []byte { return pemBlock("CERTIFICATE REQUEST", []byte{1, 2, 3}) }},
		{name: "PEM with a corrupt body", wantErr: "parse PUBLIC KEY",
			data: func() []byte { return pemBlock("PUBLIC KEY", []byte{0x30, 0x03, 1, 2, 3}) }},
		{name: "binary secret starting with a brace", wantAlg: HS256,
			data: func() []byte { return append([]byte("{"), bytes.Repeat([]byte{0xfe}, 40)...) }},
		{name: "JSON Web Key", wantErr: "JSON Web Key",
			data: func() []byte {
				return []byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`)
			}},
		{name: "OpenSSH public key", wantErr: "OpenSSH",
			data: func() []byte {
				return []byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host\n")
			}},
		{name: "PEM armour without a block", wantErr: "no valid PEM block",
			data: func() []byte { return []byte("-----BEGIN PUBLIC KEY-----\nnot base64!\n") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := ParseKey(tt.data())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseKey error = %v; want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if key.Algorithm() != tt.wantAlg {
				t.Errorf("Algorithm() = %s; want %s", key.Algorithm(), tt.wantAlg)
			}
		})
	}
}

// TestParseKeyTrimsSecret checks that a token signed with the secret as
// written, without its newline, verifies with the key read from the file.
func TestParseKeyTrimsSecret(t *testing.T) {
	secret := []byte(strings.Repeat("k", 40))
	key := mustKey(t, append(secret, '\n'))
	token := signed(t, secret, hsHeader, goodBody)
	v := &Verifier{Key: key, Now: func() time.Time { return testNow }}
	if _, err := v.Verify(token); err != nil {
		t.Fatalf("Verify = %v", err)
	}
}

func TestNewHMACKeyCopies(t *testing.T) {
	secret := []byte(strings.Repeat("k", 32))
	key, err := NewHMACKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	token := signed(t, []byte(strings.Repeat("k", 32)), hsHeader, goodBody)
	secret[0] = 'x'
	v := &Verifier{Key: key, Now: func() time.Time { return testNow }}
	if _, err := v.Verify(token); err != nil {
		t.Fatalf("changing the caller's slice changed the key: %v", err)
	}
	if _, err := NewHMACKey(secret[:31]); err == nil {
		t.Error("NewHMACKey accepted a 31-byte secret")
	}
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func selfSignedPEM(t *testing.T, priv ed25519.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "id.example"},
		NotBefore:    testNow,
		NotAfter:     testNow.Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, priv.Public(), priv)
	if err != nil {
		t.Fatal(err)
	}
	return pemBlock("CERTIFICATE", der)
}
