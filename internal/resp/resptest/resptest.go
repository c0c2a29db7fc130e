// Package resptest runs a redis-server of a test's own, on a free
// loopback port, with no persistence, in a temporary directory, for the
// tests of the Redis client and of the servers that use it. Without
// redis-server a test that asks for one skips, or fails when CI=true.
package resptest

import (
	"bufio"
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
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Server is a redis-server process of the test's own, on a free
// loopback port, with no persistence, in a temporary directory.
type Server struct {
	t     testing.TB
	path  string
	port  int
	dir   string
	extra []string
	TLS   *tls.Config // set to serve TLS only; the config is the client's
	cmd   *exec.Cmd
	exit  chan struct{} // closed when cmd has been waited for
}

// Start starts a redis-server with extra configuration arguments and
// stops it when the test ends. With "TLS" as the first argument, it serves
// TLS only, with a certificate of its own for 127.0.0.1. Without redis-server it skips the test, or
// fails it when CI=true.
func Start(t testing.TB, extra ...string) *Server {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server is required in CI: %v", err)
		}
		t.Skipf("redis-server is not installed (apt-get install redis-server): %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &Server{t: t, path: path, port: port, dir: t.TempDir(), extra: extra}
	if len(extra) > 0 && extra[0] == "TLS" {
		s.extra = s.certificate(extra[1:])
	}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// certificate writes a self-signed certificate for 127.0.0.1, sets s.TLS
// to a client configuration that trusts it, and returns extra with the
// arguments that make redis-server use it.
func (s *Server) certificate(extra []string) []string {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		s.t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "resp test"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		s.t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		s.t.Fatal(err)
	}
	cert := filepath.Join(s.dir, "cert.pem")
	keyFile := filepath.Join(s.dir, "key.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(cert, certPEM, 0o600); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		s.t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	s.TLS = &tls.Config{RootCAs: pool}
	return append([]string{"--tls-cert-file", cert, "--tls-key-file", keyFile,
		"--tls-ca-cert-file", cert, "--tls-auth-clients", "no"}, extra...)
}

// Pid is the server's process id, while it runs.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// URL returns a redis:// URL of the server with the given user info and
// path, such as "alice:secret@" and "/2".
func (s *Server) URL(userinfo, path string) string {
	return "redis://" + userinfo + s.Addr() + path
}

// Start runs the server and waits until it says it is ready and answers
// PING (PONG, or NOAUTH when it requires a password).
func (s *Server) Start() {
	s.t.Helper()
	ports := []string{"--port", strconv.Itoa(s.port)}
	if s.TLS != nil {
		ports = []string{"--port", "0", "--tls-port", strconv.Itoa(s.port)}
	}
	args := append(ports, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", s.dir)
	args = append(args, s.extra...)
	s.cmd = exec.Command(s.path, args...)
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	ready, exit := make(chan struct{}), make(chan struct{})
	s.exit = exit
	var log strings.Builder
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if log.Len() < 1<<16 {
				log.WriteString(sc.Text() + "\n")
			}
			if strings.Contains(sc.Text(), "Ready to accept connections") {
				close(ready)
			}
		}
		s.cmd.Wait()
		close(exit)
	}()
	select {
	case <-ready:
	case <-exit:
		s.t.Fatalf("redis-server exited:\n%s", log.String())
	case <-time.After(10 * time.Second):
		s.Stop()
		s.t.Fatal("redis-server not ready within 10 s")
	}
	s.ping(5 * time.Second)
}

// ping checks that the server answers PING within the deadline.
func (s *Server) ping(within time.Duration) {
	s.t.Helper()
	var nc net.Conn
	var err error
	if s.TLS != nil {
		nc, err = tls.DialWithDialer(&net.Dialer{Timeout: within}, "tcp", s.Addr(), s.TLS)
	} else {
		nc, err = net.DialTimeout("tcp", s.Addr(), within)
	}
	if err != nil {
		s.t.Fatalf("redis-server does not accept connections: %v", err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(within))
	if _, err := io.WriteString(nc, "*1\r\n$4\r\nPING\r\n"); err != nil {
		s.t.Fatal(err)
	}
	line, err := bufio.NewReader(nc).ReadString('\n')
	if err != nil || (line != "+PONG\r\n" && !strings.HasPrefix(line, "-NOAUTH")) {
		s.t.Fatalf("PING: got %q, %v", line, err)
	}
}

// Stop kills the server (a crash, as far as clients can tell) and waits
// for it to exit.
func (s *Server) Stop() {
	select {
	case <-s.exit:
		return
	default:
	}
	s.cmd.Process.Kill()
	<-s.exit
}
