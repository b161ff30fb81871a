package hubload

import "time"

// Usage is what a process used: CPU time (user and system) and its peak
// resident set, in bytes. Where only the CPU time is known, SelfUsage and
// ProcessUsage say false and PeakRSS is 0.
type Usage struct {
	CPU     time.Duration
	PeakRSS int64
}
