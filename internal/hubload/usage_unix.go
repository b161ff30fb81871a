//go:build unix

package hubload

import (
	"os"
	"runtime"
	"syscall"
	"time"
)

// SelfUsage is what this process has used so far: CPU time and peak
// resident set, from getrusage(2).
func SelfUsage() (Usage, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return Usage{}, false
	}
	return fromRusage(&ru), true
}

// ProcessUsage is what an exited child process used, from its
// os.ProcessState (wait4(2)'s rusage).
func ProcessUsage(ps *os.ProcessState) (Usage, bool) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil {
		return Usage{CPU: ps.UserTime() + ps.SystemTime()}, false
	}
	return fromRusage(ru), true
}

func fromRusage(ru *syscall.Rusage) Usage {
	rss := int64(ru.Maxrss)
	if runtime.GOOS != "darwin" && runtime.GOOS != "ios" {
		rss *= 1024 // kilobytes elsewhere
	}
	return Usage{
		CPU:     time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		PeakRSS: rss,
	}
}
