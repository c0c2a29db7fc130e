package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
)

// go test ./... shows nothing of a package that passes but its "ok"
// line, so a test skipped for want of a tool (wscat, Chromium, Node.js),
// a permission or -short would pass unseen. The tests skip through skip,
// which notes the test and the reason; at the end of the run TestMain
// lists them on the terminal, past go test's buffering, or on standard
// error where there is no terminal (shown with -v, or when a test fails).

// skipLog is the tests skipped in this run, with why.
type skipLog struct {
	mu    sync.Mutex
	names map[string][]string // by reason, the tests skipped for it
	order []string            // the reasons, in the order first met
}

// skipped is the one piece of state the tests share: the skips the
// helpers record for TestMain to list.
var skipped skipLog

// skip skips t, noting why for the list at the end of the run.
func skip(t testing.TB, format string, args ...any) {
	t.Helper()
	why, _, _ := strings.Cut(fmt.Sprintf(format, args...), "\n")
	skipped.mu.Lock()
	if skipped.names == nil {
		skipped.names = map[string][]string{}
	}
	if _, ok := skipped.names[why]; !ok {
		skipped.order = append(skipped.order, why)
	}
	skipped.names[why] = append(skipped.names[why], t.Name())
	skipped.mu.Unlock()
	t.Skipf(format, args...)
}

// report writes the list to w, by reason, if any test skipped.
func (s *skipLog) report(w io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, names := range s.names {
		n += len(names)
	}
	if n == 0 {
		return
	}
	fmt.Fprintf(w, "wschat: %d tests skipped\n", n)
	for _, why := range s.order {
		fmt.Fprintf(w, "  %s:\n    %s\n", why, strings.Join(s.names[why], ", "))
	}
}

// childMains are the entry points of the child processes that tests
// start by running the test binary again, by the environment variable
// that asks for each: TestMain runs one instead of the tests when its
// variable is set, and exits with the code it returns. Each registers
// itself in an init function.
var childMains = map[string]func(spec string) int{}

func TestMain(m *testing.M) {
	for env, main := range childMains {
		if spec := os.Getenv(env); spec != "" {
			os.Exit(main(spec))
		}
	}
	code := m.Run()
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		skipped.report(tty)
		tty.Close()
	} else {
		skipped.report(os.Stderr)
	}
	os.Exit(code)
}
