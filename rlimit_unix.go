//go:build unix

package main

import (
	"math"
	"syscall"
)

// openFileLimit is the process's soft limit on open files, or 0 if there
// is none or it cannot be read.
func openFileLimit() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur > math.MaxInt32 {
		return 0
	}
	return int(lim.Cur)
}
