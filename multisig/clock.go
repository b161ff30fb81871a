package multisig

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nemiot/nemiot/nem"
)

// ErrNoNetworkTime is what [NetworkClock.Ready] returns until a quorum of
// nodes has told the time once: a device without a real-time clock must
// not judge dates before then.
var ErrNoNetworkTime = errors.New("multisig: no quorum network time yet")

// NetworkClock is a device clock that follows the network time a quorum of
// NIS nodes agrees on ([Resolver.NetworkTime]), for a device without a
// real-time clock (a Raspberry Pi boots at the epoch, or at whatever
// fake-hwclock saved). Use [NetworkClock.Now] as command.Opener.Clock and
// [NetworkClock.Ready] as command.Opener.ClockReady, and run
// [NetworkClock.Run] in its own goroutine.
//
// Between syncs the clock runs on the local monotonic clock, so a step of
// the system's wall clock (NTP, fake-hwclock, a user's date -s) does not
// move it. The first quorum sets it wherever the quorum says; later syncs
// move it at most MaxStep each, toward the quorum's time: a quorum of
// lying nodes can then move a running device's clock only slowly, and each
// clamped step is reported to OnSync. Until the first quorum, Ready
// returns an error wrapping [ErrNoNetworkTime] and Now reads the local
// clock, which must not be trusted.
//
// Set the fields before first use; a NetworkClock is safe for concurrent
// use.
type NetworkClock struct {
	Resolver *Resolver
	Network  nem.Network // selects the default node list when Resolver.Nodes is nil

	// MaxStep bounds how far one sync after the first may move the clock;
	// 0 means 5 s. A local clock drifts far less in RefreshEvery.
	MaxStep time.Duration
	// RefreshEvery is Run's period between syncs, jittered by up to a
	// fifth either way; 0 means 1 hour. A failed sync is retried sooner,
	// with jittered backoff from 10 s up to RefreshEvery.
	RefreshEvery time.Duration
	// OnSync, if set, is called after every sync with what happened (for
	// logs and metrics); it must not block.
	OnSync func(ClockSync)

	mu     sync.Mutex
	synced bool
	ref    time.Time // local instant of the last sync, with its monotonic reading
	at     time.Time // network time at ref (no monotonic reading)
	last   error
}

// ClockSync describes one sync of a [NetworkClock].
type ClockSync struct {
	Err     error         // the quorum's failure; the clock is unchanged
	First   bool          // the first successful sync: the clock was set
	Offset  time.Duration // the quorum's time less the clock's reading before the sync
	Applied time.Duration // how far the clock moved (Offset, or ±MaxStep when clamped)
	Clamped bool          // |Offset| > MaxStep: the clock moved only MaxStep
}

func (c *NetworkClock) maxStep() time.Duration { return orDefault(c.MaxStep, 5*time.Second) }
func (c *NetworkClock) period() time.Duration  { return orDefault(c.RefreshEvery, time.Hour) }

// Now returns the network time as the clock keeps it; before the first
// sync, the local clock (check [NetworkClock.Ready]).
func (c *NetworkClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *NetworkClock) nowLocked() time.Time {
	if !c.synced {
		return time.Now()
	}
	return c.at.Add(time.Since(c.ref))
}

// Ready returns nil once a quorum has set the clock, else an error wrapping
// [ErrNoNetworkTime] (and the last sync's failure, if any).
func (c *NetworkClock) Ready() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.synced {
		return nil
	}
	if c.last != nil {
		return fmt.Errorf("%w: %w", ErrNoNetworkTime, c.last)
	}
	return ErrNoNetworkTime
}

// Sync asks a quorum for the network time once and moves the clock toward
// it (all the way the first time, at most MaxStep later).
func (c *NetworkClock) Sync(ctx context.Context) (ClockSync, error) {
	if c.Resolver == nil {
		return ClockSync{}, fmt.Errorf("%w: NetworkClock needs a Resolver", ErrConfig)
	}
	offset, err := c.Resolver.timeOffset(ctx, c.Network)
	local := time.Now()
	c.mu.Lock()
	var s ClockSync
	if err != nil {
		c.last = err
		s.Err = err
	} else {
		network := local.Round(0).Add(offset)
		before := local
		if c.synced {
			before = c.at.Add(local.Sub(c.ref))
		}
		s.Offset = network.Sub(before)
		s.Applied = s.Offset
		if !c.synced {
			s.First = true
		} else if step := c.maxStep(); s.Offset > step || s.Offset < -step {
			s.Clamped = true
			s.Applied = step
			if s.Offset < 0 {
				s.Applied = -step
			}
		}
		c.at = before.Round(0).Add(s.Applied)
		c.ref = local
		c.synced, c.last = true, nil
	}
	c.mu.Unlock()
	if c.OnSync != nil {
		c.OnSync(s)
	}
	return s, err
}

// Run syncs at once and then every RefreshEvery (jittered), retrying a
// failed sync with jittered backoff, until ctx ends. Run it in its own
// goroutine.
func (c *NetworkClock) Run(ctx context.Context) {
	failures := 0
	for {
		_, err := c.Sync(ctx)
		wait := jitter(c.period(), 0.2)
		if err != nil {
			wait = backoff(10*time.Second, c.period(), failures)
			failures++
		} else {
			failures = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
