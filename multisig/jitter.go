package multisig

import (
	"math/rand/v2"
	"time"
)

// Jittered waits keep a fleet that boots together (after a power cut) from
// asking the nodes in lockstep. They need no unpredictability, only
// spread, so they use math/rand/v2.

// jitter returns d moved uniformly by up to frac·d either way.
func jitter(d time.Duration, frac float64) time.Duration {
	if d <= 0 || frac <= 0 {
		return d
	}
	spread := float64(d) * frac
	return d + time.Duration((rand.Float64()*2-1)*spread)
}

// backoff is the wait after the attempt-th consecutive failure (from 0):
// uniform in [e/2, e], where e = min(maxB, minB·2^attempt) ("equal
// jitter": spread like full jitter, but never a retry at once).
func backoff(minB, maxB time.Duration, attempt int) time.Duration {
	e := minB
	for i := 0; i < attempt && e < maxB; i++ {
		e *= 2
	}
	e = min(e, maxB)
	if e <= 0 {
		return 0
	}
	return e/2 + rand.N(e/2+1)
}
