package main

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds the server as a user would, into a temporary folder.
func buildBinary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "wschat")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// startBinary starts the server binary on free loopback ports, its
// metrics listener included, without a rate limit or a limit of
// connections from one address: the tests that use it send faster than
// a person types, all from loopback. It returns the process with its
// address, read from its start-up log line, and its log as it goes on.
func startBinary(t testing.TB, bin string, args ...string) (*exec.Cmd, string, *syncBuffer) {
	t.Helper()
	return startBinaryDefaults(t, bin, append([]string{"-rate", "0", "-max-conns-per-ip", "0"}, args...)...)
}

// startBinaryDefaults is startBinary with the binary's own rate limit.
func startBinaryDefaults(t testing.TB, bin string, args ...string) (*exec.Cmd, string, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0", "-metrics-addr", "127.0.0.1:0"}, args...)...)
	// A pipe of the test's own: Wait closes the ones StderrPipe makes,
	// maybe before the last lines are read.
	stderr, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = w
	err = cmd.Start()
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stderr.Close() })
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	logs := new(syncBuffer)
	addrRE := regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		logs.Write([]byte(sc.Text() + "\n"))
		if m := addrRE.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(logs, stderr)
			return cmd, m[1], logs
		}
	}
	t.Fatalf("the server printed no address: %v", sc.Err())
	return nil, "", nil
}

// metricsAddr is the address of the metrics listener a binary started
// by startBinary logged.
func metricsAddr(t testing.TB, logs *syncBuffer) string {
	t.Helper()
	m := regexp.MustCompile(`metrics=http://(127\.0\.0\.1:\d+)/metrics`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("the server logged no metrics address:\n%s", logs)
	}
	return m[1]
}

func TestBinaryShutsDownGracefullyOnSignal(t *testing.T) {
	if testing.Short() {
		skip(t, "-short: it builds the binary")
	}
	bin := buildBinary(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd, addr, logs := startBinary(t, bin)
			alice := join(t, addr, "alice")
			bob := join(t, addr, "bob")
			alice.expect(t, "* bob joined")
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			for _, in := range []*inbox{alice, bob} {
				in.expect(t, "CLOSE 1001 server shutting down")
				in.expect(t, "EOF")
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			select {
			case err := <-exited:
				var exit *exec.ExitError
				if errors.As(err, &exit) {
					t.Fatalf("exit status %d, want 0\n%s", exit.ExitCode(), logs)
				}
			case <-time.After(testTimeout):
				t.Fatalf("still running %v after %v\n%s", sig, testTimeout, logs)
			}
			// The log copier may still be reading the last lines.
			if !eventually(func() bool { return strings.Contains(logs.String(), "msg=stopped") }) {
				t.Errorf("log has no stopped line:\n%s", logs)
			}
		})
	}
}
