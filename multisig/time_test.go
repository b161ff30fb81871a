package multisig_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nemiot/nemiot/multisig"
	"github.com/nemiot/nemiot/nem/nis/nistest"
)

// networkAt starts n nodes whose network time is an hour ahead of the
// local clock, so that a result near the local clock is plainly wrong.
func networkAt(t *testing.T, n int) *nistest.Network {
	return nistest.NewNetwork(t, n, &nistest.Options{Time: time.Now().Add(time.Hour)})
}

func near(got, want time.Time, tol time.Duration) bool {
	d := got.Sub(want)
	return d >= -tol && d <= tol
}

func TestNetworkTimeHonest(t *testing.T) {
	net := networkAt(t, 5)
	r := resolver(net)
	got, err := r.NetworkTime(ctxT(t), net.NetworkID())
	if err != nil {
		t.Fatal(err)
	}
	if want := net.Time(); !near(got, want, 250*time.Millisecond) {
		t.Fatalf("NetworkTime = %s, network at %s", got, want)
	}
	clock, err := r.Clock(ctxT(t), net.NetworkID())
	if err != nil {
		t.Fatal(err)
	}
	a := clock()
	time.Sleep(20 * time.Millisecond)
	if b := clock(); b.Sub(a) < 20*time.Millisecond || !near(b, net.Time(), 250*time.Millisecond) {
		t.Fatalf("Clock: %s then %s, network at %s", a, b, net.Time())
	}
}

// shiftedResolver sets node i's clock off by shifts[i] and returns a
// resolver over all the nodes.
func shiftedResolver(t *testing.T, net *nistest.Network, shifts []time.Duration) *multisig.Resolver {
	for i, s := range shifts {
		if err := net.Node(i).SetBehavior(nistest.TimeShifted(s)); err != nil {
			t.Fatal(err)
		}
	}
	return resolver(net)
}

func TestNetworkTimeMedianAndSpread(t *testing.T) {
	net := networkAt(t, 5)
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	for _, tc := range []struct {
		shifts []time.Duration
		want   time.Duration // offset of the answer from the true time
		ok     bool
	}{
		{ms(0, 200, 400, 600, 800), 400, true},                 // the median, not the mean or the first
		{ms(-800, -600, -400, -200, 0), -400, true},            // either way
		{ms(0, 0, 0, 0, 3_600_000), 0, true},                   // one liar an hour ahead
		{ms(-3_600_000, 0, 0, 0, 3_600_000), 0, true},          // two liars, apart
		{ms(0, 0, 0, 3_600_000, 3_600_000), 0, true},           // two liars, together
		{ms(-3000, -1500, 0, 1500, 3000), 0, false},            // spread beyond MaxSpread 2 s
		{ms(0, 0, 3_600_000, 3_600_000, -3_600_000), 0, false}, // only two agree
	} {
		t.Run(fmt.Sprint(tc.shifts), func(t *testing.T) {
			r := shiftedResolver(t, net, tc.shifts)
			r.Rand = seededRand(1)
			got, err := r.NetworkTime(ctxT(t), net.NetworkID())
			if !tc.ok {
				if !errors.Is(err, multisig.ErrNoQuorum) {
					t.Fatalf("got %s, %v; want ErrNoQuorum", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := net.Time().Add(tc.want * time.Millisecond); !near(got, want, 150*time.Millisecond) {
				t.Fatalf("got %s, want %s (off by %s)", got, want, got.Sub(want))
			}
		})
	}
}

func TestNetworkTimeTooFew(t *testing.T) {
	net := networkAt(t, 5)
	r := resolver(net)
	net.Node(0).SetBehavior(nistest.Down())
	net.Node(1).SetBehavior(nistest.Malformed())
	net.Node(2).SetBehavior(nistest.Error(503, "NIS_ILLEGAL_STATE_NOT_BOOTED"))
	_, err := r.NetworkTime(ctxT(t), net.NetworkID())
	var qe *multisig.QuorumError
	if !errors.As(err, &qe) || !errors.Is(err, multisig.ErrNoQuorum) || qe.What != "network time" || len(qe.Answers) != 5 {
		t.Fatalf("2 of 5 answering: %v", err)
	}
	// A third honest node is enough.
	net.Node(2).SetBehavior(nistest.Honest())
	if got, err := r.NetworkTime(ctxT(t), net.NetworkID()); err != nil || !near(got, net.Time(), 250*time.Millisecond) {
		t.Fatalf("3 of 5: %s, %v", got, err)
	}
	// Answers slower than MaxSpread do not count: with a round trip of
	// 300 ms the half-trip correction could be off by 150 ms.
	r.MaxSpread = 200 * time.Millisecond
	net.Node(2).SetBehavior(nistest.Slow(300 * time.Millisecond))
	if _, err := r.NetworkTime(ctxT(t), net.NetworkID()); !errors.Is(err, multisig.ErrNoQuorum) {
		t.Fatalf("2 fast of 5: %v", err)
	}
}

// A hung node holds the network time up for StallAfter at most.
func TestNetworkTimeHungNode(t *testing.T) {
	net := networkAt(t, 5)
	r := resolver(net)
	r.StallAfter = 100 * time.Millisecond
	net.Node(3).SetBehavior(nistest.Slow(time.Hour))
	start := time.Now()
	got, err := r.NetworkTime(ctxT(t), net.NetworkID())
	if err != nil || !near(got, net.Time(), 250*time.Millisecond) {
		t.Fatalf("one hung: %s, %v", got, err)
	}
	if took := time.Since(start); took < 100*time.Millisecond || took > 2*time.Second {
		t.Fatalf("one hung node, StallAfter 100 ms: took %s", took)
	}
}
