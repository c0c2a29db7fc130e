package main

import (
	"os"
	"os/exec"
	"testing"
)

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
