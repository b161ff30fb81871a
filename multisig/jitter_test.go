package multisig

import (
	"testing"
	"time"
)

// TestJitterSpreads: jittered periods stay within their bounds and are
// spread across them, so a fleet booted together drifts apart.
func TestJitterSpreads(t *testing.T) {
	const d = 100 * time.Second
	lo, hi := d, d
	for range 1000 {
		j := jitter(d, 0.2)
		if j < 80*time.Second || j > 120*time.Second {
			t.Fatalf("jitter(100s, 0.2) = %s, outside [80s, 120s]", j)
		}
		lo, hi = min(lo, j), max(hi, j)
	}
	if lo > 85*time.Second || hi < 115*time.Second {
		t.Errorf("1000 jittered periods span only [%s, %s]", lo, hi)
	}
	if got := jitter(d, 0); got != d {
		t.Errorf("jitter(d, 0) = %s", got)
	}
}

// TestBackoffGrowsJittered: the n-th retry waits within [e/2, e], e
// doubling from min up to max, and the waits are spread.
func TestBackoffGrowsJittered(t *testing.T) {
	minB, maxB := 10*time.Second, 5*time.Minute
	for attempt, e := range []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 160 * time.Second, 5 * time.Minute, 5 * time.Minute} {
		seen := map[time.Duration]bool{}
		for range 200 {
			b := backoff(minB, maxB, attempt)
			if b < e/2 || b > e {
				t.Fatalf("backoff attempt %d = %s, outside [%s, %s]", attempt, b, e/2, e)
			}
			seen[b] = true
		}
		if len(seen) < 100 {
			t.Errorf("attempt %d: only %d distinct waits in 200", attempt, len(seen))
		}
	}
	if got := backoff(minB, maxB, 1000); got > maxB {
		t.Errorf("backoff after 1000 failures = %s, above max", got)
	}
}
