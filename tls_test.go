package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key
// into dir, and returns their files and a pool that trusts the
// certificate.
func selfSigned(t testing.TB, dir string) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "wschat test"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "PRIVATE KEY", keyDER)
	roots = x509.NewCertPool()
	roots.AddCert(cert)
	return certFile, keyFile, roots
}

func writePEM(t testing.TB, file, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// startTLS runs a server on loopback that serves https and wss, and
// returns its address and a client configuration that trusts it and
// offers HTTP/2 first, as browsers do.
func startTLS(t testing.TB) (string, *tls.Config) {
	t.Helper()
	cfg := testConfig()
	var roots *x509.CertPool
	cfg.TLSCert, cfg.TLSKey, roots = selfSigned(t, t.TempDir())
	_, addr := startHTTP(t, cfg)
	return addr, &tls.Config{RootCAs: roots, NextProtos: []string{"h2", "http/1.1"}}
}

// dialTLS opens a TLS connection to addr and checks it speaks HTTP/1.1.
func dialTLS(t testing.TB, addr string, conf *tls.Config) *tls.Conn {
	t.Helper()
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: testTimeout}, Config: conf}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("TLS dial: %v", err)
	}
	tc := nc.(*tls.Conn)
	if p := tc.ConnectionState().NegotiatedProtocol; p != "http/1.1" {
		t.Fatalf("ALPN chose %q, want http/1.1: a WebSocket upgrade needs it", p)
	}
	return tc
}

// joinTLS joins the chat as name over wss and reads the welcome.
func joinTLS(t testing.TB, addr string, conf *tls.Config, name string) *inbox {
	t.Helper()
	c, resp := handshakeOn(t, dialTLS(t, addr, conf), addr, "/ws/chat?name="+name)
	if c == nil {
		t.Fatalf("wss handshake: got %s, want 101", resp.Status)
	}
	in := listen(c)
	if w := in.next(t); !strings.HasPrefix(w, "* welcome, "+name+"!") {
		t.Fatalf("%s: got %q, want a welcome", name, w)
	}
	return in
}

func TestTLSServesChatOverWSS(t *testing.T) {
	addr, conf := startTLS(t)
	alice := joinTLS(t, addr, conf, "alice")
	bob := joinTLS(t, addr, conf, "bob")
	alice.expect(t, "* bob joined")
	bob.c.sendText("hello over TLS")
	alice.expect(t, "bob: hello over TLS")
	bob.expect(t, "bob: hello over TLS")

	// The server's close ends with TLS close_notify, which the client
	// reads as EOF.
	refused, _ := handshakeOn(t, dialTLS(t, addr, conf), addr, "/ws/chat?name=alice")
	if code, reason := refused.expectClose(); code != closePolicyViolation || reason != `name-taken: name "alice" is taken: choose another` {
		t.Fatalf("got close %d %q", code, reason)
	}
}

func TestTLSServesHTTPSOnTheSameAddress(t *testing.T) {
	addr, conf := startTLS(t)
	client := &http.Client{
		Timeout:   testTimeout,
		Transport: &http.Transport{TLSClientConfig: conf, ForceAttemptHTTP2: true},
	}
	defer client.CloseIdleConnections()
	resp, err := client.Get("https://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	page, _ := webFiles.ReadFile("web/index.html")
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, page) || resp.ProtoMajor != 1 {
		t.Fatalf("got %s %s, %d bytes; want HTTP/1.1 200 and the page", resp.Proto, resp.Status, len(body))
	}
}
