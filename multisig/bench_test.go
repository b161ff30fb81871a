package multisig_test

import (
	"context"
	"testing"
	"time"

	"github.com/nemiot/nemiot/multisig"
	"github.com/nemiot/nemiot/nem/nis/nistest"
)

func benchOwners(b *testing.B, setup func(net *nistest.Network, r *multisig.Resolver)) {
	net := nistest.NewNetwork(b, 5, nil)
	d := newDevice(b, net, 2, 3)
	r := resolver(net)
	setup(net, r)
	ctx := context.Background()
	if _, err := r.Owners(ctx, d.address(net)); err != nil { // warm the connections
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.Owners(ctx, d.address(net)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/op")
}

// An honest 5-node local network: the cost of one quorum search (15 HTTP
// requests over loopback: account, chain height and node info per node; 3
// answers needed).
func BenchmarkOwners(b *testing.B) {
	benchOwners(b, func(*nistest.Network, *multisig.Resolver) {})
}

// One of the 5 sampled nodes hung: about the same as BenchmarkOwners.
func BenchmarkOwnersOneHung(b *testing.B) {
	benchOwners(b, func(net *nistest.Network, r *multisig.Resolver) {
		net.Node(4).SetBehavior(nistest.Slow(time.Hour))
		r.StallAfter = time.Hour
	})
}

// Nodes answering after 10, 20, 30 and 40 ms and one hung: an answer at
// the third-fastest node's 30 ms (ms/op), not at the hung node's timeout.
func BenchmarkOwnersOneHungStaggered(b *testing.B) {
	benchOwners(b, func(net *nistest.Network, r *multisig.Resolver) {
		for i := range 4 {
			net.Node(i).SetBehavior(nistest.Slow(time.Duration(i+1) * 10 * time.Millisecond))
		}
		net.Node(4).SetBehavior(nistest.Slow(time.Hour))
		r.StallAfter = time.Hour
	})
}

// The device's hot path: an owner check answered from memory.
func BenchmarkOwnerCacheIsOwner(b *testing.B) {
	net := nistest.NewNetwork(b, 5, nil)
	d := newDevice(b, net, 2, 3)
	c := &multisig.OwnerCache{Resolver: resolver(net), Account: d.address(net)}
	defer c.Close()
	ctx := context.Background()
	key := d.owners[2].PublicKey()
	if ok, err := c.IsOwner(ctx, key); !ok || err != nil {
		b.Fatal(ok, err)
	}
	for b.Loop() {
		if ok, err := c.IsOwner(ctx, key); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
