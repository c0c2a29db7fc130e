package main

import (
	"os"
	"os/exec"
	"testing"
)

// needTool returns the path of the program name, looked up in PATH (or
// taken as a path when it has a slash). When it is missing the test is
// skipped on a developer's machine, and fails under CI (CI=true), where
// every tool the tests use must be installed.
func needTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is needed and CI=true: %v", name, err)
	}
	t.Skipf("skipping: %s is not installed (%v)", name, err)
	return ""
}
