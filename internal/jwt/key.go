package jwt

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Algorithm names (RFC 7518 §3.1, RFC 8037 §3.1).
const (
	HS256 = "HS256"
	RS256 = "RS256"
	ES256 = "ES256"
	EdDSA = "EdDSA"
)

// Smallest accepted key sizes.
const (
	// MinHMACSecret is the shortest HMAC secret accepted: RFC 7518 §3.2
	// requires a key at least as long as the hash output (256 bits).
	MinHMACSecret = 32
	// MinRSABits is the smallest RSA modulus accepted (RFC 7518 §3.3).
	MinRSABits = 2048
)

// Key is what tokens are checked (and, for HMAC, signed) with. The
// algorithm follows the key, never the token's header: HS256 for a secret,
// RS256 for an RSA public key of at least 2048 bits, ES256 for an ECDSA
// P-256 public key, EdDSA for an Ed25519 public key.
type Key struct {
	alg    string
	secret []byte           // HS256
	public crypto.PublicKey // RS256, ES256, EdDSA
}

// Algorithm reports the one JWS "alg" value this key accepts.
func (k *Key) Algorithm() string { return k.alg }

// NewHMACKey returns an HS256 key for secret, which must be at least
// MinHMACSecret bytes. The secret is copied.
func NewHMACKey(secret []byte) (*Key, error) {
	if len(secret) < MinHMACSecret {
		return nil, fmt.Errorf("jwt: HMAC secret is %d bytes; it must be at least %d (256 bits, RFC 7518 §3.2)", len(secret), MinHMACSecret)
	}
	return &Key{alg: HS256, secret: bytes.Clone(secret)}, nil
}

// ParseKey reads a key file's contents. PEM blocks of type "PUBLIC KEY"
// (PKIX), "RSA PUBLIC KEY" (PKCS #1) and "CERTIFICATE" give a public key;
// the first block is used. A file holding any private key is refused, so
// that a signing key is never deployed where only checking is needed.
// Anything that is not PEM is an HMAC secret: trailing newlines are
// trimmed (so a random binary secret should not end in CR or LF; text such
// as `openssl rand -base64 48` is safest), and at least MinHMACSecret bytes
// must remain. Public keys in other forms (a JWK, an OpenSSH public key)
// are refused rather than taken for a secret, since anyone could sign
// with a secret that is public.
func ParseKey(data []byte) (*Key, error) {
	if !bytes.Contains(data, []byte("-----BEGIN ")) {
		if err := notPublicKeyText(data); err != nil {
			return nil, err
		}
		return NewHMACKey(bytes.TrimRight(data, "\r\n"))
	}
	first, err := firstPublicBlock(data)
	if err != nil {
		return nil, err
	}
	pub, err := parsePublicBlock(first)
	if err != nil {
		return nil, err
	}
	return newPublicKey(pub)
}

// notPublicKeyText refuses secrets that are public keys in a form other
// than PEM.
func notPublicKeyText(data []byte) error {
	text := bytes.TrimSpace(data)
	switch {
	case bytes.HasPrefix(text, []byte("{")) && json.Valid(text):
		return errors.New("jwt: the key file looks like a JSON Web Key; give a PEM public key or an HMAC secret")
	case bytes.HasPrefix(text, []byte("ssh-")), bytes.HasPrefix(text, []byte("ecdsa-sha2-")), bytes.HasPrefix(text, []byte("sk-")):
		return errors.New("jwt: the key file looks like an OpenSSH public key; convert it to PEM (ssh-keygen -e -m PKCS8 -f FILE)")
	}
	return nil
}

// firstPublicBlock returns the file's first PEM block after making sure
// none of its blocks is a private key.
func firstPublicBlock(data []byte) (*pem.Block, error) {
	var first *pem.Block
	for rest := data; ; {
		block, next := pem.Decode(rest)
		if block == nil {
			break
		}
		if strings.Contains(block.Type, "PRIVATE KEY") {
			return nil, fmt.Errorf("jwt: the key file holds a %s; give the public key instead (openssl pkey -pubout)", block.Type)
		}
		if first == nil {
			first = block
		}
		rest = next
	}
	if first == nil {
		return nil, errors.New("jwt: the key file looks like PEM but holds no valid PEM block")
	}
	return first, nil
}

func parsePublicBlock(block *pem.Block) (crypto.PublicKey, error) {
	switch block.Type {
	case "PUBLIC KEY":
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("jwt: parse PUBLIC KEY: %w", err)
		}
		return pub, nil
	case "RSA PUBLIC KEY":
		pub, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("jwt: parse RSA PUBLIC KEY: %w", err)
		}
		return pub, nil
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("jwt: parse CERTIFICATE: %w", err)
		}
		return cert.PublicKey, nil
	}
	return nil, fmt.Errorf("jwt: PEM block %q is not a key; want PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE", block.Type)
}

func newPublicKey(pub crypto.PublicKey) (*Key, error) {
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		if pub.N.BitLen() < MinRSABits {
			return nil, fmt.Errorf("jwt: RSA key is %d bits; RS256 needs at least %d (RFC 7518 §3.3)", pub.N.BitLen(), MinRSABits)
		}
		return &Key{alg: RS256, public: pub}, nil
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() {
			return nil, fmt.Errorf("jwt: ECDSA key is on curve %s; only P-256 (ES256) is supported", pub.Curve.Params().Name)
		}
		return &Key{alg: ES256, public: pub}, nil
	case ed25519.PublicKey:
		return &Key{alg: EdDSA, public: pub}, nil
	}
	return nil, fmt.Errorf("jwt: unsupported public key type %T; want RSA, ECDSA P-256 or Ed25519", pub)
}

// verify checks sig over the JWS Signing Input (RFC 7515 §5.2 step 8)
// with the key's own algorithm.
func (k *Key) verify(input, sig []byte) bool {
	digest := sha256.Sum256(input)
	switch k.alg {
	case HS256: // RFC 7518 §3.2: compare MACs in constant time
		return hmac.Equal(k.mac(input), sig)
	case RS256: // RFC 7518 §3.3
		return rsa.VerifyPKCS1v15(k.public.(*rsa.PublicKey), crypto.SHA256, digest[:], sig) == nil
	case ES256: // RFC 7518 §3.4: R || S, 32 octets each, not ASN.1
		if len(sig) != 64 {
			return false
		}
		r := new(big.Int).SetBytes(sig[:32])
		s := new(big.Int).SetBytes(sig[32:])
		return ecdsa.Verify(k.public.(*ecdsa.PublicKey), digest[:], r, s)
	case EdDSA: // RFC 8037 §3.1
		return ed25519.Verify(k.public.(ed25519.PublicKey), input, sig)
	}
	return false
}

// mac computes the HS256 MAC of input (RFC 7518 §3.2).
func (k *Key) mac(input []byte) []byte {
	m := hmac.New(sha256.New, k.secret)
	m.Write(input)
	return m.Sum(nil)
}
