package multisig

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"sync/atomic"
	"time"
)

// voteHook, when set (by tests only), is called by every round with the
// node of each answer it receives, before it counts it.
var voteHook atomic.Pointer[func(node string)]

// vote is one node's answer in a quorum round.
type vote[T any] struct {
	node   string
	height uint64 // chain height the node reported with its answer
	key    string // canonical form: votes agree when their keys are equal
	value  T
	sum    string // summary for error reports
	err    error  // set when the node gave no usable answer
	id     string // the node's identity key from /node/info, if it told it
	op     string // the node's operator group (Resolver.Operator)
}

// round runs one quorum search: it asks nodes in a random order, sample at a
// time, widening on failures, disagreement and stalls, and returns the first
// value that quorum in-sync nodes agree on while they outnumber every
// dissenting in-sync answer.
type round[T any] struct {
	nodes   []string
	sample  int
	quorum  int
	maxLag  uint64
	stall   time.Duration
	rand    io.Reader
	what    string
	ask     func(ctx context.Context, node string) vote[T]
	heights bool // whether answers carry chain heights to compare
	// ops is the operator group of each node (nil: each node its own):
	// the draw spreads over groups, and a group's answers count once.
	ops []string
	// lookup resolves node host names to the addresses the HTTP client
	// dials, so that one endpoint is asked once (nil: net.DefaultResolver).
	lookup func(ctx context.Context, host string) ([]netip.Addr, error)
	// waitAll decides only once every node asked has answered, or when
	// silent nodes stall the search: for a median of all the answers
	// rather than of the fastest.
	waitAll bool
	// onErr, when set, is told of every answer received that carries an
	// error, except a node skipped as a duplicate address (not its fault).
	onErr func(node string, err error)

	// agree, when set, replaces the rule "identical keys" for deciding: it
	// returns the agreed value and the number of answers behind it.
	agree func(valid []vote[T]) (T, int, bool)
}

// outcome is the result of a decided round.
type outcome[T any] struct {
	value  T
	asked  int    // nodes asked in all, including those still in flight
	agreed int    // answers behind value
	height uint64 // lowest chain height among the agreeing answers (heights rounds)
}

func (r *round[T]) run(ctx context.Context) (outcome[T], error) {
	order, err := draw(r.rand, r.ops, len(r.nodes))
	if err != nil {
		return outcome[T]{}, err
	}
	asked := &claims{lookup: r.lookup}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the requests still in flight once an answer is chosen

	results := make(chan vote[T], len(r.nodes)) // buffered: late senders never block
	next, inflight := 0, 0
	var votes []vote[T]
	launch := func() bool {
		for ; next < len(order); next++ {
			i := order[next]
			op := "node " + r.nodes[i]
			if r.ops != nil {
				op = r.ops[i]
			}
			// An operator that answered already has its vote (or lost it
			// by contradicting itself): another of its nodes adds nothing.
			if slices.ContainsFunc(votes, func(v vote[T]) bool { return v.err == nil && v.op == op }) {
				continue
			}
			node := r.nodes[i]
			next++
			inflight++
			go func() {
				if other := asked.claim(ctx, node); other != "" {
					results <- vote[T]{node: node, op: op, err: fmt.Errorf("%w: same address as %s", ErrDuplicate, other)}
					return
				}
				v := r.ask(ctx, node)
				v.node, v.op = node, op
				results <- v
			}()
			return true
		}
		return false
	}
	for range r.sample {
		launch()
	}
	stall := time.NewTimer(r.stall)
	defer stall.Stop()
	for {
		if inflight == 0 && !launch() {
			return outcome[T]{asked: len(votes)}, r.fail(counted(votes), nil)
		}
		select {
		case v := <-results:
			inflight--
			votes = append(votes, v)
			if r.onErr != nil && v.err != nil && !errors.Is(v.err, ErrDuplicate) {
				r.onErr(v.node, v.err)
			}
			if h := voteHook.Load(); h != nil {
				(*h)(v.node) // tests: order answers by what the round has received
			}
			if !r.waitAll || inflight == 0 {
				if out, ok := r.decide(counted(votes)); ok {
					out.asked = len(votes) + inflight
					return out, nil
				}
			}
			// Widen while the answers still expected could not decide even
			// if they all agreed with the leading answer: failures, lies and
			// lag are outvoted by fresh random nodes.
			for !r.reachable(counted(votes), inflight) && launch() {
			}
			stall.Reset(r.stall)
		case <-stall.C:
			if r.waitAll {
				if out, ok := r.decide(counted(votes)); ok {
					out.asked = len(votes) + inflight
					return out, nil
				}
			}
			launch() // a hung node must not hold the answer up
			stall.Reset(r.stall)
		case <-ctx.Done():
			return outcome[T]{asked: len(votes) + inflight}, r.fail(counted(votes), ctx.Err())
		}
	}
}

// decide applies the quorum rule to the votes so far. In a heights round
// an agreeing group is dated by its lowest member, and it cannot win while
// an in-sync answer that disagrees with it reports a higher height: liars
// agreeing with a lagging honest node must not pass an old answer off as
// current (DESIGN §3, heights and rollbacks).
func (r *round[T]) decide(votes []vote[T]) (outcome[T], bool) {
	valid := r.inSync(votes)
	if r.agree != nil {
		val, n, ok := r.agree(valid)
		return outcome[T]{value: val, agreed: n}, ok
	}
	for _, g := range groupVotes(valid) {
		if g.n >= r.quorum && g.n > len(valid)-g.n && g.above == 0 {
			return outcome[T]{value: g.first.value, agreed: g.n, height: g.low}, true
		}
	}
	return outcome[T]{}, false
}

// group is the in-sync answers of a round that agree (equal keys).
type group[T any] struct {
	first vote[T] // the first answer of the group
	n     int     // answers in the group
	low   uint64  // the lowest height among them: the group's height
	// above is the highest height of a disagreeing in-sync answer when it
	// is higher than low (the group cannot win then), else 0.
	above uint64
}

// groupVotes splits in-sync votes into groups of agreeing answers, in the
// order of their first answers.
func groupVotes[T any](valid []vote[T]) []group[T] {
	var gs []group[T]
	at := map[string]int{}
	for _, v := range valid {
		i, ok := at[v.key]
		if !ok {
			i = len(gs)
			at[v.key] = i
			gs = append(gs, group[T]{first: v, low: v.height})
		}
		gs[i].n++
		gs[i].low = min(gs[i].low, v.height)
	}
	for i := range gs {
		for _, v := range valid {
			if v.key != gs[i].first.key && v.height > gs[i].low {
				gs[i].above = max(gs[i].above, v.height)
			}
		}
	}
	return gs
}

// reachable reports whether inflight more answers could still bring a
// decision: enough of them agreeing with a group that no higher disagreeing
// answer holds back, or all of them agreeing on an answer not seen yet.
// Answers already in never leave a round, so a group held back stays held
// back; the round widens to outvote it instead.
func (r *round[T]) reachable(votes []vote[T], inflight int) bool {
	valid := r.inSync(votes)
	if r.agree != nil {
		return len(valid)+inflight >= r.quorum
	}
	if inflight >= r.quorum && inflight > len(valid) {
		return true
	}
	for _, g := range groupVotes(valid) {
		n := g.n + inflight
		if g.above == 0 && n >= r.quorum && n > len(valid)-g.n {
			return true
		}
	}
	return false
}

// inSync returns the answered votes whose height is within maxLag of the
// median height of all answered votes.
func (r *round[T]) inSync(votes []vote[T]) []vote[T] {
	var ok []vote[T]
	for _, v := range votes {
		if v.err == nil {
			ok = append(ok, v)
		}
	}
	if !r.heights || len(ok) == 0 {
		return ok
	}
	med := medianHeight(ok)
	out := ok[:0:0]
	for _, v := range ok {
		if v.height+r.maxLag >= med && v.height <= med+r.maxLag {
			out = append(out, v)
		}
	}
	return out
}

func medianHeight[T any](votes []vote[T]) uint64 {
	hs := make([]uint64, len(votes))
	for i, v := range votes {
		hs[i] = v.height
	}
	slices.Sort(hs)
	return hs[len(hs)/2]
}

// fail reports a failed round. An answer is reported lagging only when it
// is out of sync with both middle heights of the answers: with an even
// number of answers split in two, nobody can tell which half is behind, and
// liars claiming a higher chain must not get honest nodes blamed.
func (r *round[T]) fail(votes []vote[T], cause error) error {
	e := &QuorumError{What: r.what, Asked: len(votes), Needed: r.quorum, Cause: cause}
	var lo, hi uint64
	if r.heights {
		var hs []uint64
		for _, v := range votes {
			if v.err == nil {
				hs = append(hs, v.height)
			}
		}
		if len(hs) > 0 {
			slices.Sort(hs)
			lo, hi = hs[(len(hs)-1)/2], hs[len(hs)/2]
		}
	}
	near := func(h, med uint64) bool { return h+r.maxLag >= med && h <= med+r.maxLag }
	// A group with the votes to win that a higher disagreeing answer held
	// back: say so on each of its answers.
	var held *group[T]
	if r.heights && r.agree == nil {
		valid := r.inSync(votes)
		for _, g := range groupVotes(valid) {
			if g.n >= r.quorum && g.n > len(valid)-g.n && g.above != 0 {
				held = &g
			}
		}
	}
	for _, v := range votes {
		a := NodeAnswer{Node: v.node, Height: v.height, Answer: v.sum, Err: v.err}
		switch {
		case v.err != nil || !r.heights:
		case !near(v.height, lo) && !near(v.height, hi):
			a.Err = fmt.Errorf("%w: height %d, median %d", ErrLagging, v.height, hi)
		case held != nil && v.key == held.first.key:
			a.Err = fmt.Errorf("%w: %d answers agree, the lowest at height %d, but one that disagrees reports height %d", ErrSuperseded, held.n, held.low, held.above)
			e.Superseded = true
		}
		e.Answers = append(e.Answers, a)
	}
	return e
}

// shuffle returns a uniformly random permutation of 0..n-1 drawn from rand
// (Fisher-Yates with rejection sampling, so no index is favoured).
func shuffle(rand io.Reader, n int) ([]int, error) {
	if rand == nil {
		rand = cryptoRand
	}
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	var buf [8]byte
	for i := n - 1; i > 0; i-- {
		bound := uint64(i + 1)
		limit := ^uint64(0) - (^uint64(0)%bound+1)%bound // largest multiple of bound, minus 1
		for {
			if _, err := io.ReadFull(rand, buf[:]); err != nil {
				return nil, fmt.Errorf("multisig: reading randomness to pick nodes: %w", err)
			}
			x := binary.LittleEndian.Uint64(buf[:])
			if x <= limit {
				p[i], p[int(x%bound)] = p[int(x%bound)], p[i]
				break
			}
		}
	}
	return p, nil
}

var cryptoRand io.Reader = rand.Reader
