package multisig_test

import (
	"errors"
	"testing"
	"time"

	"github.com/nemiot/nemiot/multisig"
	"github.com/nemiot/nemiot/nem/nis/nistest"
)

// TestNetworkClockRefusesUntilQuorum: before any quorum, and after a sync
// that found none, Ready says the clock is not set; the first quorum sets
// it wherever the network is (here an hour from the local clock).
func TestNetworkClockRefusesUntilQuorum(t *testing.T) {
	net := networkAt(t, 3)
	c := &multisig.NetworkClock{Resolver: resolver(net), Network: net.NetworkID()}
	if err := c.Ready(); !errors.Is(err, multisig.ErrNoNetworkTime) {
		t.Fatalf("Ready before any sync = %v, want ErrNoNetworkTime", err)
	}
	for i := range 3 {
		if err := net.Node(i).SetBehavior(nistest.Down()); err != nil {
			t.Fatal(err)
		}
	}
	var seen []multisig.ClockSync
	c.OnSync = func(s multisig.ClockSync) { seen = append(seen, s) }
	if _, err := c.Sync(ctxT(t)); !errors.Is(err, multisig.ErrNoQuorum) {
		t.Fatalf("Sync with every node down = %v, want ErrNoQuorum", err)
	}
	if err := c.Ready(); !errors.Is(err, multisig.ErrNoNetworkTime) || !errors.Is(err, multisig.ErrNoQuorum) {
		t.Fatalf("Ready after a failed sync = %v, want ErrNoNetworkTime and ErrNoQuorum", err)
	}
	for i := range 3 {
		if err := net.Node(i).SetBehavior(nistest.Honest()); err != nil {
			t.Fatal(err)
		}
	}
	s, err := c.Sync(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ready(); err != nil {
		t.Fatalf("Ready after a quorum = %v", err)
	}
	if !s.First || s.Clamped || s.Offset < 59*time.Minute {
		t.Errorf("first sync = %+v, want the whole hour applied", s)
	}
	if !near(c.Now(), net.Time(), 250*time.Millisecond) {
		t.Errorf("Now = %s, network at %s", c.Now(), net.Time())
	}
	if len(seen) != 2 || seen[0].Err == nil || !seen[1].First {
		t.Errorf("OnSync saw %+v", seen)
	}
}

// TestNetworkClockStepBound: once set, a sync moves the clock at most
// MaxStep toward the quorum's time, however far that is, and the clock
// runs on between syncs.
func TestNetworkClockStepBound(t *testing.T) {
	net := networkAt(t, 3)
	c := &multisig.NetworkClock{Resolver: resolver(net), Network: net.NetworkID(), MaxStep: 2 * time.Second}
	if _, err := c.Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	a := c.Now()
	time.Sleep(20 * time.Millisecond)
	if b := c.Now(); b.Sub(a) < 20*time.Millisecond {
		t.Errorf("clock does not run: %s then %s", a, b)
	}
	for _, jump := range []time.Duration{time.Hour, -3 * time.Hour} {
		before := c.Now()
		net.SetTime(net.Time().Add(jump))
		s, err := c.Sync(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		want := 2 * time.Second
		if jump < 0 {
			want = -want
		}
		if s.First || !s.Clamped || s.Applied != want {
			t.Errorf("network stepped %s: sync = %+v, want clamped to %s", jump, s, want)
		}
		if moved := c.Now().Sub(before); moved < want-250*time.Millisecond || moved > want+250*time.Millisecond {
			t.Errorf("network stepped %s: clock moved %s, want about %s", jump, moved, want)
		}
	}
	// A small correction is taken whole.
	net.SetTime(c.Now().Add(time.Second))
	if s, err := c.Sync(ctxT(t)); err != nil || s.Clamped {
		t.Errorf("a 1 s correction: %+v, %v; want it unclamped", s, err)
	}
	if !near(c.Now(), net.Time(), 250*time.Millisecond) {
		t.Errorf("after a small correction Now = %s, network at %s", c.Now(), net.Time())
	}
}
