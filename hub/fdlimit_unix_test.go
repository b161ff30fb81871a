//go:build unix

package hub_test

import "syscall"

// fdLimit returns how many files this process may open. (Go raises the
// soft limit to the hard one when a program starts.)
func fdLimit() (int, bool) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, false
	}
	return int(min(l.Cur, 1<<30)), true
}
