//go:build !unix

package hubload

import "os"

// SelfUsage is not measured on this system.
func SelfUsage() (Usage, bool) { return Usage{}, false }

// ProcessUsage is the CPU time an exited child process used; its peak
// resident set is not known on this system.
func ProcessUsage(ps *os.ProcessState) (Usage, bool) {
	return Usage{CPU: ps.UserTime() + ps.SystemTime()}, false
}
