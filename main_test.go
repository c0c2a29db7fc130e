package main

import (
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

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
