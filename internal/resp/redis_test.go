package resp

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// redisServer is a redis-server process of the test's own, on a free
// loopback port, with no persistence, in a temporary directory.
type redisServer struct {
	t     testing.TB
	path  string
	port  int
	dir   string
	extra []string
	tls   *tls.Config // set to serve TLS only; the config is the client's
	cmd   *exec.Cmd
	exit  chan struct{} // closed when cmd has been waited for
}

// startRedis starts a redis-server with extra configuration arguments and
// stops it when the test ends. With "TLS" as the first argument, it serves
// TLS only, with a certificate of its own for 127.0.0.1. Without redis-server it skips the test, or
// fails it when CI=true.
func startRedis(t testing.TB, extra ...string) *redisServer {
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
	s := &redisServer{t: t, path: path, port: port, dir: t.TempDir(), extra: extra}
	if len(extra) > 0 && extra[0] == "TLS" {
		s.extra = s.certificate(extra[1:])
	}
	s.start()
	t.Cleanup(s.stop)
	return s
}

// certificate writes a self-signed certificate for 127.0.0.1, sets s.tls
// to a client configuration that trusts it, and returns extra with the
// arguments that make redis-server use it.
func (s *redisServer) certificate(extra []string) []string {
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
	s.tls = &tls.Config{RootCAs: pool}
	return append([]string{"--tls-cert-file", cert, "--tls-key-file", keyFile,
		"--tls-ca-cert-file", cert, "--tls-auth-clients", "no"}, extra...)
}

func (s *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// url returns a redis:// URL of the server with the given user info and
// path, such as "alice:secret@" and "/2".
func (s *redisServer) url(userinfo, path string) string {
	return "redis://" + userinfo + s.addr() + path
}

// start runs the server and waits until it says it is ready and answers
// PING (PONG, or NOAUTH when it requires a password).
func (s *redisServer) start() {
	s.t.Helper()
	ports := []string{"--port", strconv.Itoa(s.port)}
	if s.tls != nil {
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
		s.stop()
		s.t.Fatal("redis-server not ready within 10 s")
	}
	s.ping(5 * time.Second)
}

// ping checks that the server answers PING within the deadline.
func (s *redisServer) ping(within time.Duration) {
	s.t.Helper()
	var nc net.Conn
	var err error
	if s.tls != nil {
		nc, err = tls.DialWithDialer(&net.Dialer{Timeout: within}, "tcp", s.addr(), s.tls)
	} else {
		nc, err = net.DialTimeout("tcp", s.addr(), within)
	}
	if err != nil {
		s.t.Fatalf("redis-server does not accept connections: %v", err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(within))
	if _, err := nc.Write(AppendCommand(nil, "PING")); err != nil {
		s.t.Fatal(err)
	}
	v, err := NewReader(nc, Limits{}).ReadValue()
	if err != nil || (v.Str() != "PONG" && !strings.HasPrefix(v.Str(), "NOAUTH")) {
		s.t.Fatalf("PING: got %q, %v", v.Str(), err)
	}
}

// stop kills the server (a crash, as far as clients can tell) and waits
// for it to exit.
func (s *redisServer) stop() {
	select {
	case <-s.exit:
		return
	default:
	}
	s.cmd.Process.Kill()
	<-s.exit
}

// dial connects a Client that the test closes at its end.
func dial(t *testing.T, url string, opts Options) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, url, opts)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitFor polls cond, for states no event announces (such as the number
// of goroutines), until it holds or the deadline passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(within)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("still not %s after %v", what, within)
		}
	}
}

// goroutinesBack waits until no more goroutines run than before.
func goroutinesBack(t *testing.T, before int) {
	t.Helper()
	waitFor(t, 5*time.Second, "back to "+strconv.Itoa(before)+" goroutines", func() bool {
		return runtime.NumGoroutine() <= before
	})
}
