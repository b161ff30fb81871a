package multisig

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/nemiot/nemiot/nem"
)

// NetworkTime returns the current NEM network time as a quorum of nodes
// tells it, for a device without a real-time clock. Each sampled node's
// /time-sync/network-time is corrected for half its round trip, and answers
// that took longer than MaxSpread are dropped. The answers that count are
// those within MaxSpread/2 of the median of all answers, so that no two of
// them differ by more than MaxSpread; the result is their median. It needs
// Quorum such answers, outnumbering the rest: fewer answers, or answers
// spread wider than the bound, give an error wrapping [ErrNoQuorum] (with
// the search widened to further nodes first, as for [Resolver.Owners]).
// Unlike Owners, it waits for every sampled node (a silent one for at most
// StallAfter), so that the median is over all of their answers.
// network selects the default node list when Nodes is nil.
//
// Use [Resolver.Clock] to keep the result as a running clock.
func (r *Resolver) NetworkTime(ctx context.Context, network nem.Network) (time.Time, error) {
	offset, err := r.timeOffset(ctx, network)
	if err != nil {
		return time.Time{}, err
	}
	return time.Now().Add(offset), nil
}

// Clock asks a quorum for the network time once and returns a clock that
// runs from it on the local monotonic clock, ready for command.Opener.Clock.
// Call it again from time to time (hours) to correct drift.
func (r *Resolver) Clock(ctx context.Context, network nem.Network) (func() time.Time, error) {
	offset, err := r.timeOffset(ctx, network)
	if err != nil {
		return nil, err
	}
	return func() time.Time { return time.Now().Add(offset) }, nil
}

// timeOffset returns how far the network's clock is ahead of the local one.
func (r *Resolver) timeOffset(ctx context.Context, network nem.Network) (time.Duration, error) {
	nodes, sample, quorum, err := r.config(network)
	if err != nil {
		return 0, err
	}
	spread := orDefault(r.MaxSpread, 2*time.Second)
	rd := &round[time.Duration]{
		nodes: nodes, sample: sample, quorum: quorum,
		stall: orDefault(r.StallAfter, 1500*time.Millisecond),
		rand:  r.Rand, what: "network time", waitAll: true,
		ops: r.operators(nodes), lookup: r.LookupIP, onErr: r.OnNodeError,
		ask: func(ctx context.Context, node string) vote[time.Duration] {
			v := vote[time.Duration]{node: node}
			c := r.client(node)
			id := identity(ctx, c)
			start := time.Now()
			nt, err := c.NetworkTime(ctx)
			rtt := time.Since(start)
			v.id = <-id
			switch {
			case err != nil:
				v.err = err
			case rtt > spread:
				v.err = fmt.Errorf("answer took %s, more than %s", rtt.Round(time.Millisecond), spread)
			default:
				local := start.Add(rtt / 2)
				v.value = nt.Sub(local)
				v.sum = fmt.Sprintf("offset %s", v.value.Round(time.Millisecond))
			}
			return v
		},
		agree: func(valid []vote[time.Duration]) (time.Duration, int, bool) {
			if len(valid) < quorum {
				return 0, 0, false
			}
			offs := make([]time.Duration, len(valid))
			for i, v := range valid {
				offs[i] = v.value
			}
			slices.Sort(offs)
			med := offs[len(offs)/2]
			var near []time.Duration
			for _, o := range offs {
				if o >= med-spread/2 && o <= med+spread/2 {
					near = append(near, o)
				}
			}
			if len(near) < quorum || len(near) <= len(offs)-len(near) {
				return 0, 0, false
			}
			return near[len(near)/2], len(near), true
		},
	}
	out, err := rd.run(ctx)
	return out.value, err
}
