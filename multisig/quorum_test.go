package multisig

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nemiot/nemiot/nem"
)

// These tests drive the quorum engine with scripted node behaviours, without
// HTTP, so that every combination of liars can be tried quickly. The
// end-to-end tests on nistest are in resolver_test.go.

type behaviour int

const (
	honest  behaviour = iota
	liar              // answers lie (colluding: all liars tell the same lie)
	loner             // a liar with a lie of its own
	lagger            // an old, different answer at an old height
	failing           // an error
	hung              // never answers until the context ends
	booster           // a liar that also claims a much higher chain height
)

var (
	truth    = record{multisig: true, min: 2, keys: testKeys(3)}
	lie      = record{multisig: true, min: 1, keys: testKeys(1)}
	oldTruth = record{multisig: true, min: 1, keys: testKeys(2)}
)

func testKeys(n int) []nem.PublicKey {
	keys := make([]nem.PublicKey, n)
	for i := range keys {
		keys[i][0] = byte(i + 1)
	}
	return keys
}

const height = 1000

func scripted(behaviours []behaviour, asked *atomic.Int32) func(ctx context.Context, node string) vote[record] {
	return func(ctx context.Context, node string) vote[record] {
		asked.Add(1)
		var i int
		fmt.Sscanf(node, "n%d", &i)
		v := vote[record]{node: node, height: height}
		switch behaviours[i] {
		case honest:
			v.value = truth
		case liar:
			v.value = lie
		case loner:
			v.value = record{multisig: true, min: 1, keys: []nem.PublicKey{{0xee, byte(i)}}}
		case booster:
			v.value, v.height = lie, height+5000
		case lagger:
			v.value, v.height = oldTruth, height-200
		case failing:
			v.err = errors.New("connection refused")
			return v
		case hung:
			<-ctx.Done()
			v.err = ctx.Err()
			return v
		}
		v.key, v.sum = v.value.key(), v.value.summary()
		return v
	}
}

func testRound(behaviours []behaviour, asked *atomic.Int32, seed uint64) *round[record] {
	nodes := make([]string, len(behaviours))
	for i := range nodes {
		nodes[i] = fmt.Sprintf("n%d", i)
	}
	return &round[record]{
		nodes: nodes, sample: 5, quorum: 3, maxLag: 10, stall: 50 * time.Millisecond,
		rand: chachaReader(seed), what: "test", heights: true,
		ask: scripted(behaviours, asked),
	}
}

func runRound(ctx context.Context, r *round[record]) (record, int, int, error) {
	out, err := r.run(ctx)
	return out.value, out.asked, out.agreed, err
}

type chacha struct{ r *rand.ChaCha8 }

func (c chacha) Read(p []byte) (int, error) { return c.r.Read(p) }

func chachaReader(seed uint64) chacha {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	return chacha{rand.NewChaCha8(s)}
}

// With fewer than Quorum liars anywhere in the list — alone, colluding or
// boosting their height — the answer is the truth or no quorum, never a lie,
// whatever the order in which nodes are picked.
func TestQuorumNeverWrongWithFewerThanQuorumLiars(t *testing.T) {
	const n = 8
	kinds := []behaviour{liar, loner, booster}
	cases := 0
	for a := 0; a < n; a++ {
		for b := a; b < n; b++ { // b == a: a single liar
			for _, ka := range kinds {
				for _, kb := range kinds {
					for _, others := range []behaviour{honest, failing, lagger} {
						bs := make([]behaviour, n)
						for i := range bs {
							bs[i] = honest
						}
						// Some of the remaining nodes fail or lag, but
						// enough stay honest for a quorum.
						if others != honest {
							bs[(b+1)%n], bs[(b+2)%n] = others, others
						}
						bs[a], bs[b] = ka, kb
						for seed := uint64(0); seed < 3; seed++ {
							cases++
							var asked atomic.Int32
							got, _, _, err := runRound(context.Background(), testRound(bs, &asked, seed))
							if err != nil {
								if !errors.Is(err, ErrNoQuorum) {
									t.Fatalf("%v seed %d: error %v is not ErrNoQuorum", bs, seed, err)
								}
								continue
							}
							if got.key() != truth.key() {
								t.Fatalf("%v seed %d: accepted %s", bs, seed, got.summary())
							}
						}
					}
				}
			}
		}
	}
	t.Logf("%d scenarios, none wrong", cases)
}

// Quorum liars colluding can win: this is the bound the design states, and
// the test shows the engine is not accidentally stricter or looser.
func TestQuorumLiarsAtQuorumCanWinOnlyWhenTheyOutnumber(t *testing.T) {
	bs := []behaviour{liar, liar, liar, honest, honest}
	var asked atomic.Int32
	got, _, _, err := runRound(context.Background(), testRound(bs, &asked, 1))
	if err == nil && got.key() != lie.key() {
		t.Fatalf("unexpected %s", got.summary())
	}
	// All honest: the truth, from exactly Quorum agreeing answers at best.
	bs = []behaviour{honest, honest, honest, honest, honest, honest}
	asked.Store(0)
	got, total, agreed, err := runRound(context.Background(), testRound(bs, &asked, 2))
	if err != nil || got.key() != truth.key() || agreed < 3 || total > 6 {
		t.Fatalf("honest: %v %d %d %v", got.summary(), total, agreed, err)
	}
}

func TestQuorumHungNodeDoesNotDelay(t *testing.T) {
	bs := []behaviour{hung, honest, honest, honest, honest}
	for seed := uint64(0); seed < 10; seed++ {
		var asked atomic.Int32
		r := testRound(bs, &asked, seed)
		r.stall = time.Hour // only the quorum itself may end the wait
		start := time.Now()
		got, _, _, err := runRound(context.Background(), r)
		if err != nil || got.key() != truth.key() {
			t.Fatalf("seed %d: %v %v", seed, got.summary(), err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("seed %d: took %s with one hung node", seed, d)
		}
	}
}

func TestQuorumWidensAndFailsWithReport(t *testing.T) {
	// Only two honest nodes: no quorum possible; every node gets asked.
	bs := []behaviour{honest, failing, honest, lagger, failing, failing, loner}
	var asked atomic.Int32
	_, _, _, err := runRound(context.Background(), testRound(bs, &asked, 3))
	var qe *QuorumError
	if !errors.As(err, &qe) || !errors.Is(err, ErrNoQuorum) {
		t.Fatalf("err = %v", err)
	}
	if int(asked.Load()) != len(bs) || qe.Asked != len(bs) || len(qe.Answers) != len(bs) {
		t.Fatalf("asked %d, report %d answers", asked.Load(), len(qe.Answers))
	}
	var lag, fail int
	for _, a := range qe.Answers {
		switch {
		case errors.Is(a.Err, ErrLagging):
			lag++
		case a.Err != nil:
			fail++
		}
	}
	if lag != 1 || fail != 3 {
		t.Fatalf("report: %d lagging, %d failed: %v", lag, fail, err)
	}

	// Widening: the first five all fail, the rest are honest.
	bs = []behaviour{failing, failing, failing, failing, failing, honest, honest, honest}
	asked.Store(0)
	r := testRound(bs, &asked, 4)
	r.rand = nil // crypto/rand
	got, _, _, err := runRound(context.Background(), r)
	if err != nil || got.key() != truth.key() {
		t.Fatalf("widening: %v %v", got.summary(), err)
	}
}

func TestQuorumContextEndsSearch(t *testing.T) {
	bs := []behaviour{hung, hung, hung, hung, hung, hung}
	var asked atomic.Int32
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, _, _, err := runRound(ctx, testRound(bs, &asked, 5))
	if !errors.Is(err, ErrNoQuorum) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}

func TestShuffleUniformAndNotPrefix(t *testing.T) {
	const n, runs = 30, 3000
	firsts := make([]int, n)
	picked := make([]int, n)
	for i := 0; i < runs; i++ {
		p, err := shuffle(nil, n)
		if err != nil {
			t.Fatal(err)
		}
		firsts[p[0]]++
		for _, x := range p[:5] {
			picked[x]++
		}
	}
	for i := range n {
		// Each node leads about runs/n = 100 times; 30 and 200 are > 7 sigma away.
		if firsts[i] < 30 || firsts[i] > 200 || picked[i] == 0 {
			t.Fatalf("node %d first %d times, in the sample %d times (of %d runs)", i, firsts[i], picked[i], runs)
		}
	}
	if _, err := shuffle(chacha{}, 0); err != nil {
		t.Fatal(err)
	}
}

// Fewer than Quorum liars claiming a much higher chain neither drag the
// agreed height up (an owner cache would then refuse honest answers as
// rollbacks) nor get honest nodes reported lagging when the answers split
// evenly between the true height and theirs.
func TestQuorumBoostersDoNotDragHeight(t *testing.T) {
	const n = 8
	cases, failed := 0, 0
	for a := 0; a < n; a++ {
		for fails := 0; fails <= 4; fails++ {
			bs := make([]behaviour, n)
			bs[a], bs[(a+3)%n] = booster, booster
			for k, i := 0, (a+1)%n; k < fails; i = (i + 1) % n {
				if bs[i] == honest {
					bs[i] = failing
					k++
				}
			}
			for seed := uint64(0); seed < 4; seed++ {
				cases++
				var asked atomic.Int32
				out, err := testRound(bs, &asked, seed).run(context.Background())
				if err != nil {
					failed++
					var qe *QuorumError
					if !errors.As(err, &qe) || fails < 4 {
						t.Fatalf("%v seed %d: %v", bs, seed, err)
					}
					for _, ans := range qe.Answers {
						if ans.Height == height && errors.Is(ans.Err, ErrLagging) {
							t.Fatalf("%v seed %d: an honest node blamed: %v", bs, seed, err)
						}
					}
					continue
				}
				if out.value.key() != truth.key() || out.height != height {
					t.Fatalf("%v seed %d: %s at height %d", bs, seed, out.value.summary(), out.height)
				}
			}
		}
	}
	t.Logf("%d scenarios (%d without quorum), none dragged", cases, failed)
	if failed == 0 {
		t.Fatal("no scenario without a quorum: the report went untested")
	}
}

// v is a scripted vote for the decide and reachable tests.
func v(node string, rec record, h uint64) vote[record] {
	return vote[record]{node: node, height: h, value: rec, key: rec.key(), sum: rec.summary()}
}

// The rule of DESIGN §3 "Heights and rollbacks", on the votes of issue 10
// item 1: two liars repeat the old owner set at the current height, a node
// 3 blocks behind (within MaxLag) still sees it, two honest nodes report
// the truth. The old set has 3 votes against 2, but its group is dated by
// its lowest member and an answer that disagrees is higher: it cannot win,
// the answers still to come could only decide for the truth, and the
// report says why.
func TestQuorumGroupHeldBackByHigherDissent(t *testing.T) {
	r := testRound(nil, nil, 0)
	const h = height
	old := oldTruth
	votes := []vote[record]{v("liar1", old, h), v("liar2", old, h), v("lagging", old, h-3), v("honest1", truth, h), v("honest2", truth, h)}
	if out, ok := r.decide(votes); ok {
		t.Fatalf("decided %s at height %d", out.value.summary(), out.height)
	}
	if r.reachable(votes, 1) {
		t.Fatal("one more answer reported reachable: the truth needs two more")
	}
	if !r.reachable(votes, 2) {
		t.Fatal("two more answers for the truth (4 against 3) reported unreachable: the round would not widen")
	}
	out, ok := r.decide(append(votes, v("honest3", truth, h), v("honest4", truth, h)))
	if !ok || out.value.key() != truth.key() || out.agreed != 4 || out.height != h {
		t.Fatalf("after widening: %s, %d agreed at height %d, %v", out.value.summary(), out.agreed, out.height, ok)
	}

	err := r.fail(votes, nil)
	var qe *QuorumError
	if !errors.As(err, &qe) || !qe.Superseded || !errors.Is(err, ErrSuperseded) || !errors.Is(err, ErrNoQuorum) {
		t.Fatalf("report: %v", err)
	}
	for _, a := range qe.Answers {
		if held := errors.Is(a.Err, ErrSuperseded); held != (a.Answer == old.summary()) {
			t.Fatalf("answer %s: superseded %v: %v", a, held, err)
		}
	}
}

// An agreeing group is dated by its lowest member; a disagreeing answer at
// or below that height does not hold it back.
func TestQuorumGroupHeight(t *testing.T) {
	r := testRound(nil, nil, 0)
	const h = height
	for _, tc := range []struct {
		name   string
		votes  []vote[record]
		ok     bool
		height uint64
	}{
		{"unanimous at one height", []vote[record]{v("a", truth, h), v("b", truth, h), v("c", truth, h)}, true, h},
		{"unanimous, mixed heights", []vote[record]{v("a", truth, h), v("b", truth, h-2), v("c", truth, h+1)}, true, h - 2},
		{"old set alone", []vote[record]{v("a", oldTruth, h), v("b", oldTruth, h), v("c", oldTruth, h-3)}, true, h - 3},
		{"dissent at the same height", []vote[record]{v("a", truth, h), v("b", truth, h), v("c", truth, h), v("d", lie, h), v("e", lie, h)}, true, h},
		{"dissent lower", []vote[record]{v("a", truth, h), v("b", truth, h), v("c", truth, h), v("d", oldTruth, h-3)}, true, h},
		{"dissent one block higher", []vote[record]{v("a", truth, h), v("b", truth, h), v("c", truth, h), v("d", lie, h+1)}, false, 0},
		{"dissent above the lowest member only", []vote[record]{v("a", truth, h+2), v("b", truth, h+2), v("c", truth, h), v("d", lie, h+1)}, false, 0},
		{"dissent out of sync does not count", []vote[record]{v("a", truth, h), v("b", truth, h), v("c", truth, h), v("d", lie, h+500)}, true, h},
	} {
		out, ok := r.decide(tc.votes)
		if ok != tc.ok || ok && (out.value.key() != tc.votes[0].key || out.height != tc.height) {
			t.Errorf("%s: decided %v, %s at height %d; want %v at height %d", tc.name, ok, out.value.summary(), out.height, tc.ok, tc.height)
		}
	}
}

// A group held back for good fails the round, with a report that says so:
// the votes of issue 10 item 1, two liars and a node 3 blocks behind for
// the old set, two nodes for the truth at the current height. The old-set
// nodes answer once the round has the truth answers, so that no scheduling
// lets the old set win before a disagreeing answer is in.
func TestQuorumHeldBackFailsWithReport(t *testing.T) {
	nodes := []string{"n0", "n1", "n2", "n3", "n4"}
	var asked atomic.Int32
	var mu sync.Mutex
	truthLeft, truthDone := 2, make(chan struct{})
	hook := func(node string) {
		mu.Lock()
		defer mu.Unlock()
		if node == "n3" || node == "n4" {
			if truthLeft--; truthLeft == 0 {
				close(truthDone)
			}
		}
	}
	voteHook.Store(&hook)
	defer voteHook.Store(nil)
	r := &round[record]{
		nodes: nodes, sample: len(nodes), quorum: 3, maxLag: 10, stall: time.Hour,
		rand: chachaReader(7), what: "test", heights: true,
		ask: func(ctx context.Context, node string) vote[record] {
			asked.Add(1)
			var i int
			fmt.Sscanf(node, "n%d", &i)
			if i >= 3 {
				return v(node, truth, height)
			}
			<-truthDone // the round has both truth answers
			return v(node, oldTruth, height-uint64(i/2)*3)
		},
	}
	_, err := r.run(context.Background())
	if !errors.Is(err, ErrNoQuorum) || !errors.Is(err, ErrSuperseded) {
		t.Fatalf("err = %v", err)
	}
	if asked.Load() != int32(len(nodes)) {
		t.Fatalf("asked %d of %d nodes", asked.Load(), len(nodes))
	}
}
