package multisig_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/nemiot/nemiot/multisig"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis/nistest"
)

// aheadKinds are liars that also claim a chain far higher than the truth
// (nistest HeightBoost), to drag the median height up so that honest
// answers look lagging. "truth" tells the real owners at a false height.
func aheadKinds(t *testing.T, d *device) []lieKind {
	kinds := lieKinds(t, d)
	truth := lieKind{"truth", func(int) nistest.Behavior { return nistest.Honest() }}
	ahead := func(k lieKind, boost int) lieKind {
		return lieKind{fmt.Sprintf("%s+%d", k.name, boost), func(i int) nistest.Behavior {
			b := k.make(i)
			b.HeightBoost = boost
			return b
		}}
	}
	const far, near = 1 << 20, 50 // far, and just beyond MaxLag 10
	return []lieKind{
		ahead(kinds[0], far), ahead(truth, far), // these two also go together
		ahead(kinds[2], far), ahead(kinds[4], far),
		ahead(kinds[0], near), ahead(truth, near),
	}
}

// checkNotBlamed fails t if the report of a failed quorum calls an answer
// at the true height lagging although the answers at the true height are
// at least as many as those claiming another height: liars must not push
// honest nodes out of sync by inflating their heights.
func checkNotBlamed(t *testing.T, what string, err error, height int64) {
	t.Helper()
	var qe *multisig.QuorumError
	if !errors.As(err, &qe) {
		t.Fatalf("%s: %v is not a *QuorumError", what, err)
	}
	var atTruth, elsewhere, blamed int
	for _, a := range qe.Answers {
		switch {
		case a.Answer == "": // no answer: not a height
		case a.Height == uint64(height):
			atTruth++
			if errors.Is(a.Err, multisig.ErrLagging) {
				blamed++
			}
		default:
			elsewhere++
		}
	}
	if blamed > 0 && atTruth >= elsewhere {
		t.Fatalf("%s: %d of %d answers at the true height %d called lagging (%d elsewhere): %v", what, blamed, atTruth, height, elsewhere, err)
	}
}

// TestOwnersLiarsAhead is TestOwnersByzantine with liars that also claim a
// much higher chain height: every set of at most Quorum-1 = 2 of 5 nodes
// (all sampled), colluding or not, lying about the owners or telling the
// truth at a false height, and every other case one more node failing.
// The answer is exactly the truth, dated at the true height, when 3 honest
// nodes answer; ErrNoQuorum otherwise, without blaming the honest nodes.
func TestOwnersLiarsAhead(t *testing.T) {
	const n = 5
	net, d := byzantineNetwork(t, n)
	kinds := aheadKinds(t, d)
	r := resolver(net)
	height := net.Height()
	cases, noQuorum := 0, 0
	for _, liars := range subsets(n, 2) {
		if len(liars) == 0 {
			continue
		}
		for _, assign := range assignments(len(liars), len(kinds)) {
			if len(assign) == 2 && assign[0] != assign[1] && assign[0]+assign[1] != 1 {
				continue // liars of one kind, or the far attacker with the far truth
			}
			desc, honest := liarScenario(t, net, liars, kinds, assign, cases)
			cases++
			what := fmt.Sprint(desc)
			o, err := r.Owners(ctxT(t), d.address(net))
			if honest >= 3 {
				checkOwners(t, what, o, err, net, d, 3)
				if o.Height != uint64(height) {
					t.Fatalf("%s: owners dated at height %d, chain at %d", what, o.Height, height)
				}
				continue
			}
			noQuorum++
			if !errors.Is(err, multisig.ErrNoQuorum) {
				t.Fatalf("%s: %d honest nodes: got %v, %v; want ErrNoQuorum", what, honest, o, err)
			}
			checkNotBlamed(t, what, err, height)
		}
	}
	t.Logf("%d cases (%d without an honest quorum), none wrong", cases, noQuorum)
	if cases != n*len(kinds)+10*(len(kinds)+2) || noQuorum == 0 {
		t.Fatalf("enumeration incomplete: %d cases, %d without quorum", cases, noQuorum)
	}
}

// On 8 nodes of which 5 are sampled, 2 colluding liars far ahead and 0 to 3
// failing nodes make the search widen; sampling varies with a seeded Rand.
// The truth wins at the true height whenever 3 honest nodes exist.
func TestOwnersLiarsAheadWidening(t *testing.T) {
	const n = 8
	net, d := byzantineNetwork(t, n)
	attacker := newKey(t).PublicKey()
	height := net.Height()
	liar := nistest.Lying([]nem.PublicKey{attacker}, 1)
	liar.HeightBoost = 1 << 20
	cases, widened := 0, 0
	for seed := range uint64(24) {
		liars := []int{int(seed) % n, int(seed+3) % n}
		fails := int(seed % 4)
		bs := make([]nistest.Behavior, n)
		desc := make([]string, n)
		for i := range desc {
			desc[i] = "honest"
		}
		for _, i := range liars {
			bs[i], desc[i] = liar, "ahead liar"
		}
		for k, i := 0, int(seed+1)%n; k < fails; i = (i + 1) % n {
			if slices.Contains(liars, i) {
				continue
			}
			f := failures[(int(seed)+k)%len(failures)]
			bs[i], desc[i] = f.b, f.name
			k++
		}
		for i, b := range bs {
			if err := net.Node(i).SetBehavior(b); err != nil {
				t.Fatal(err)
			}
		}
		r := resolver(net)
		r.Rand = seededRand(seed)
		cases++
		what := fmt.Sprint(desc)
		o, err := r.Owners(ctxT(t), d.address(net))
		checkOwners(t, what, o, err, net, d, 3) // at least 8-2-3 = 3 honest
		if o.Height != uint64(height) {
			t.Fatalf("%s: owners dated at height %d, chain at %d", what, o.Height, height)
		}
		if o.Asked > 5 {
			widened++
		}
	}
	t.Logf("%d cases (%d widened), none wrong", cases, widened)
	if widened == 0 {
		t.Fatal("the search never widened")
	}
}

// 3 liars far ahead and 3 honest nodes, all asked, 4 needed: a tie, so no
// quorum, and the report must not call the honest nodes lagging because
// the liars' heights are as many as theirs.
func TestOwnersLiarsAheadTie(t *testing.T) {
	net, d := byzantineNetwork(t, 6)
	liar := nistest.Lying([]nem.PublicKey{newKey(t).PublicKey()}, 1)
	liar.HeightBoost = 1 << 20
	for i := range 3 {
		net.Node(i).SetBehavior(liar)
	}
	r := resolver(net)
	r.Sample, r.Quorum = 6, 4
	_, err := r.Owners(ctxT(t), d.address(net))
	if !errors.Is(err, multisig.ErrNoQuorum) {
		t.Fatalf("3 liars ahead, 3 honest, quorum 4: %v", err)
	}
	checkNotBlamed(t, "3 ahead, 3 honest", err, net.Height())
}
