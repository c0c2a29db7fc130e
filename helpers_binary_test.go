package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// This file holds the server as a process, as a person runs it: the
// binary built, started on free ports, stopped, killed and measured, and
// the external programs tests drive. See helpers_test.go for where the
// other helpers are.

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
// connections from one address: the tests that use it send faster than a
// person types, all from loopback. It returns the process with its
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

// runBinary runs bin with args until it exits and returns its exit code,
// standard output and standard error.
func runBinary(t testing.TB, bin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode(), stdout.String(), stderr.String()
	case err != nil:
		t.Fatalf("run %v: %v", args, err)
	}
	return 0, stdout.String(), stderr.String()
}

// stopBinary stops the server gracefully.
func stopBinary(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("stop: %v", err)
	}
}

// rssKiB is a process's resident set size, from /proc.
func rssKiB(b testing.TB, pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skipf("no /proc on this system: %v", err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

// needTool returns the path of an external program that a test drives,
// such as wscat or chromium. On a developer's machine without it the test
// is skipped with a note saying so; under CI (CI=true) a missing tool
// fails the test instead, so that the suite never passes by skipping.
// .ci/run installs every tool the tests need.
func needTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is needed by this test and is not installed: %v", name, err)
	}
	skip(t, "%s is not installed (%v): skipping; .ci/run installs it", name, err)
	return ""
}
