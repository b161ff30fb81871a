package multisig_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nemiot/nemiot/multisig"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis/nistest"
	"github.com/nemiot/nemiot/nem/tx"
)

func TestOwnersHonestNetwork(t *testing.T) {
	net := nistest.NewNetwork(t, 5, nil)
	r := resolver(net)
	for _, tc := range []struct{ min, n int }{
		{1, 1},  // one owner
		{2, 3},  // two of three
		{0, 2},  // min 0: all must sign
		{1, 2},  // either of two
		{3, 3},  // all of three, stated
		{5, 32}, // the most NIS1 allows
	} {
		t.Run(fmt.Sprintf("%d-of-%d", tc.min, tc.n), func(t *testing.T) {
			d := newDevice(t, net, tc.min, tc.n)
			o, err := r.Owners(ctxT(t), d.address(net))
			checkOwners(t, "Owners", o, err, net, d, 3)
			want := tc.min
			if want == 0 {
				want = tc.n
			}
			if o.Required() != want {
				t.Errorf("Required() = %d, want %d", o.Required(), want)
			}
			if o.Height != uint64(net.Height()) {
				t.Errorf("Height = %d, chain at %d", o.Height, net.Height())
			}
			for _, k := range d.owners {
				if !o.Has(k.PublicKey()) {
					t.Errorf("Has(owner %s) = false", k.PublicKey())
				}
			}
			if o.Has(d.key.PublicKey()) || o.Has(newKey(t).PublicKey()) {
				t.Error("Has is true for a key that is not an owner")
			}
		})
	}
}

func TestOwnersNotMultisig(t *testing.T) {
	net := nistest.NewNetwork(t, 5, nil)
	r := resolver(net)
	plain := net.NewAccount()
	// Signing something reveals the public key: still not multisig.
	if _, err := net.AddTransfer(plain, net.NewAccount().Address(net.NetworkID()), 1, tx.Message{}); err != nil {
		t.Fatal(err)
	}
	for name, a := range map[string]nem.Address{
		"plain":   plain.Address(net.NetworkID()),
		"unknown": newKey(t).Address(net.NetworkID()),
		"owner":   newDevice(t, net, 1, 1).owners[0].Address(net.NetworkID()), // a cosignatory, not multisig itself
	} {
		o, err := r.Owners(ctxT(t), a)
		if !errors.Is(err, multisig.ErrNotMultisig) || o != nil {
			t.Errorf("%s: Owners = %v, %v; want ErrNotMultisig", name, o, err)
		}
		if errors.Is(err, multisig.ErrNoQuorum) {
			t.Errorf("%s: not multisig reported as no quorum: %v", name, err)
		}
	}
}

func TestOwnersConfig(t *testing.T) {
	net := nistest.NewNetwork(t, 3, nil)
	d := newDevice(t, net, 1, 1)
	urls := net.URLs()
	for _, tc := range []struct {
		name string
		r    multisig.Resolver
	}{
		{"quorum not above half", multisig.Resolver{Nodes: urls, Sample: 4, Quorum: 2}},
		{"quorum above sample", multisig.Resolver{Nodes: urls, Sample: 3, Quorum: 4}},
		{"negative", multisig.Resolver{Nodes: urls, Sample: -1, Quorum: 1}},
		{"too few nodes", multisig.Resolver{Nodes: urls[:2]}},
		// One node listed three times is one node: no quorum of 3 from it.
		{"duplicates", multisig.Resolver{Nodes: []string{urls[0], urls[0] + "/", strings.ToUpper(urls[0])}}},
		{"empty", multisig.Resolver{Nodes: []string{}}},
	} {
		_, err := tc.r.Owners(ctxT(t), d.address(net))
		if !errors.Is(err, multisig.ErrConfig) {
			t.Errorf("%s: err = %v, want ErrConfig", tc.name, err)
		}
	}
	if _, err := resolver(net).Owners(ctxT(t), nem.Address{}); !errors.Is(err, multisig.ErrConfig) {
		t.Errorf("zero address: %v", err)
	}
	// A failing random source is an error, not a panic or a fixed pick.
	r := resolver(net)
	r.Rand = strings.NewReader("short")
	if _, err := r.Owners(ctxT(t), d.address(net)); err == nil || errors.Is(err, multisig.ErrNoQuorum) {
		t.Errorf("failing Rand: %v", err)
	}
	// Sample 3, Quorum 2 on three nodes works.
	r = &multisig.Resolver{Nodes: urls, Sample: 3, Quorum: 2}
	o, err := r.Owners(ctxT(t), d.address(net))
	checkOwners(t, "3 of 2", o, err, net, d, 2)
}

// lieKind makes the behavior of liar number i (its index in the network).
type lieKind struct {
	name string
	make func(i int) nistest.Behavior
}

func lieKinds(t *testing.T, d *device) []lieKind {
	attacker := newKey(t).PublicKey()
	own := make([]nem.PublicKey, 64)
	for i := range own {
		own[i] = newKey(t).PublicKey()
	}
	truth := d.ownerKeys()
	return []lieKind{
		// Every liar of this kind tells the same lie: collusion.
		{"attacker", func(int) nistest.Behavior { return nistest.Lying([]nem.PublicKey{attacker}, 1) }},
		{"superset", func(int) nistest.Behavior { return nistest.Lying(append(slices.Clone(truth), attacker), 1) }},
		{"notmultisig", func(int) nistest.Behavior { return nistest.Lying(nil, 0) }},
		{"othermin", func(int) nistest.Behavior { return nistest.Lying(truth, 1) }},
		// A lie of its own per liar.
		{"own", func(i int) nistest.Behavior { return nistest.Lying([]nem.PublicKey{own[i]}, 1) }},
	}
}

// liarScenario sets every node of net: liar liars[j] as kinds[assign[j]],
// in case number c (odd) one further node failing, rotating through the
// failures and the other nodes, and the rest honest. It returns what each
// node does and how many stay honest.
func liarScenario(t *testing.T, net *nistest.Network, liars []int, kinds []lieKind, assign []int, c int) (desc []string, honest int) {
	t.Helper()
	n := len(net.Nodes())
	bs := make([]nistest.Behavior, n)
	desc = make([]string, n)
	for i := range desc {
		desc[i] = "honest"
	}
	for j, i := range liars {
		bs[i], desc[i] = kinds[assign[j]].make(i), kinds[assign[j]].name
	}
	honest = n - len(liars)
	if c%2 == 1 {
		f := failures[(c/2)%len(failures)]
		var others []int
		for i := range n {
			if !slices.Contains(liars, i) {
				others = append(others, i)
			}
		}
		i := others[(c/2)%len(others)]
		bs[i], desc[i] = f.b, f.name
		honest--
	}
	for i, b := range bs {
		if err := net.Node(i).SetBehavior(b); err != nil {
			t.Fatal(err)
		}
	}
	return desc, honest
}

// failure is a node that gives no usable answer.
type failure struct {
	name string
	b    nistest.Behavior
}

var failures = []failure{
	{"down", nistest.Down()},
	{"malformed", nistest.Malformed()},
	{"oversized", nistest.Behavior{Oversized: 256 << 10}}, // 4 times the answer cap
	{"500", nistest.Error(http.StatusInternalServerError, "Internal Server Error")},
	{"503", nistest.Error(http.StatusServiceUnavailable, "NIS_ILLEGAL_STATE_NOT_BOOTED")},
	{"lagging", nistest.Lagging(60)}, // sees the owners before the last change
	{"proxy 502", nistest.HTMLError(http.StatusBadGateway)},
	{"mainnet", nistest.WrongNetwork(nem.Mainnet)},
}

// subsets returns every subset of 0..n-1 with at most k elements, in order.
func subsets(n, k int) [][]int {
	out := [][]int{{}}
	var rec func(start int, cur []int)
	rec = func(start int, cur []int) {
		if len(cur) == k {
			return
		}
		for i := start; i < n; i++ {
			next := append(slices.Clone(cur), i)
			out = append(out, next)
			rec(i+1, next)
		}
	}
	rec(0, nil)
	return out
}

// assignments returns every way of giving each of m liars one of k kinds.
func assignments(m, k int) [][]int {
	out := [][]int{{}}
	for range m {
		var next [][]int
		for _, a := range out {
			for j := range k {
				next = append(next, append(slices.Clone(a), j))
			}
		}
		out = next
	}
	return out
}

// byzantineNetwork returns a network whose device changed owners 100
// blocks before the end, so that lagging nodes report the old owners.
func byzantineNetwork(t *testing.T, n int) (*nistest.Network, *device) {
	net := nistest.NewNetwork(t, n, nil)
	d := newDevice(t, net, 2, 3)
	net.Advance(100, 0)
	added := newKey(t)
	if _, err := net.ModifyMultisig(d.key.PublicKey(), []nem.PublicKey{added.PublicKey()}, nil, 0, d.owners[0], d.owners[1]); err != nil {
		t.Fatal(err)
	}
	d.owners = append(d.owners, added)
	net.Advance(5, 0)
	return net, d
}

// TestOwnersByzantine tries every set of at most Quorum-1 = 2 lying nodes
// among 5 nodes all sampled, with every combination of lies (colluding on
// one lie or each with its own), and in turn one further node failing in
// each of the ways a node can fail. The answer must be exactly the truth
// when at least Quorum honest nodes answer, and ErrNoQuorum otherwise:
// never a lie.
func TestOwnersByzantine(t *testing.T) {
	const n = 5
	net, d := byzantineNetwork(t, n)
	kinds := lieKinds(t, d)
	r := resolver(net) // Sample 5, Quorum 3: every node is asked
	cases, noQuorum := 0, 0
	for _, liars := range subsets(n, 2) {
		for _, assign := range assignments(len(liars), len(kinds)) {
			desc, honest := liarScenario(t, net, liars, kinds, assign, cases)
			cases++
			o, err := r.Owners(ctxT(t), d.address(net))
			if honest >= 3 {
				checkOwners(t, fmt.Sprint(desc), o, err, net, d, 3)
				continue
			}
			noQuorum++
			if !errors.Is(err, multisig.ErrNoQuorum) {
				t.Fatalf("%v: %d honest nodes: got %v, %v; want ErrNoQuorum", desc, honest, o, err)
			}
		}
	}
	t.Logf("%d cases (%d without an honest quorum), none wrong", cases, noQuorum)
	if cases != 1+n*len(kinds)+10*len(kinds)*len(kinds) || noQuorum == 0 {
		t.Fatalf("enumeration incomplete: %d cases, %d without quorum", cases, noQuorum)
	}
}

// TestOwnersByzantineWidening does the same on 8 nodes of which 5 are
// sampled at first: every set of at most 2 liars (colluding or not),
// together with 0 to 4 failing nodes, so that the search has to widen past
// the first sample; sampling varies with a seeded Rand. The answer is the
// truth when at least 3 honest nodes exist, ErrNoQuorum otherwise.
func TestOwnersByzantineWidening(t *testing.T) {
	const n = 8
	net, d := byzantineNetwork(t, n)
	kinds := lieKinds(t, d)
	pick := []lieKind{kinds[0], kinds[4]} // colluding, and each its own
	cases, noQuorum, widened := 0, 0, 0
	for _, liars := range subsets(n, 2) {
		for _, assign := range assignments(len(liars), len(pick)) {
			if len(assign) == 2 && assign[0] != assign[1] {
				continue // mixed kinds were covered on 5 nodes
			}
			bs := make([]nistest.Behavior, n)
			desc := make([]string, n)
			for i := range desc {
				desc[i] = "honest"
			}
			for j, i := range liars {
				bs[i], desc[i] = pick[assign[j]].make(i), pick[assign[j]].name
			}
			fails := cases % 5
			honest := n - len(liars)
			for k, i := 0, (cases*3)%n; k < fails; i = (i + 1) % n {
				if slices.Contains(liars, i) {
					continue
				}
				f := failures[(cases+k)%len(failures)]
				bs[i], desc[i] = f.b, f.name
				honest--
				k++
			}
			for i, b := range bs {
				if err := net.Node(i).SetBehavior(b); err != nil {
					t.Fatal(err)
				}
			}
			r := resolver(net)
			r.Rand = seededRand(uint64(cases))
			cases++
			o, err := r.Owners(ctxT(t), d.address(net))
			if honest >= 3 {
				checkOwners(t, fmt.Sprint(desc), o, err, net, d, 3)
				if o.Asked > 5 {
					widened++
				}
				continue
			}
			noQuorum++
			var qe *multisig.QuorumError
			if !errors.As(err, &qe) || !errors.Is(err, multisig.ErrNoQuorum) {
				t.Fatalf("%v: %d honest nodes: got %v, %v; want ErrNoQuorum", desc, honest, o, err)
			}
			if qe.Asked != n {
				t.Fatalf("%v: gave up after %d of %d nodes", desc, qe.Asked, n)
			}
		}
	}
	t.Logf("%d cases (%d widened, %d without an honest quorum), none wrong", cases, widened, noQuorum)
	if widened == 0 || noQuorum == 0 {
		t.Fatal("the enumeration never widened or never lacked a quorum")
	}
}

// With Quorum colluding liars and nobody else answering, the liars win on
// the quorum alone (SkipCustody): the bound is tight, and the test shows
// the nistest lie reaches the resolver (so that the tests above are not
// passing vacuously). With custody, the attacker's key is not where their
// histories lead: no quorum, each liar reported with ErrCustody.
func TestOwnersQuorumOfLiarsWins(t *testing.T) {
	net, d := byzantineNetwork(t, 5)
	attacker := newKey(t).PublicKey()
	for i := range 3 {
		net.Node(i).SetBehavior(nistest.Lying([]nem.PublicKey{attacker}, 1))
	}
	net.Node(3).SetBehavior(nistest.Down())
	net.Node(4).SetBehavior(nistest.Down())
	r := resolver(net)
	r.SkipCustody = true
	o, err := r.Owners(ctxT(t), d.address(net))
	if err != nil || !slices.Equal(o.Cosignatories, []nem.PublicKey{attacker}) {
		t.Fatalf("3 colluding liars alone, without custody: %v, %v", o, err)
	}
	o, err = resolver(net).Owners(ctxT(t), d.address(net))
	var qe *multisig.QuorumError
	if o != nil || !errors.As(err, &qe) {
		t.Fatalf("3 colluding liars alone, with custody: %v, %v", o, err)
	}
	forged := 0
	for _, a := range qe.Answers {
		if errors.Is(a.Err, multisig.ErrCustody) && strings.Contains(a.Answer, attacker.String()[:8]) {
			forged++
		}
	}
	if forged != 3 {
		t.Fatalf("%d answers refused for custody, want the 3 liars': %v", forged, err)
	}
}

// The error of a failed quorum says what every node said, and why the
// ones that did not count did not.
func TestOwnersNoQuorumReport(t *testing.T) {
	net, d := byzantineNetwork(t, 5)
	// The liar undoes the last addition (a lie that custody cannot see):
	// its answer counts, and names the owners from before it.
	var old []nem.PublicKey
	for _, o := range d.owners[:3] {
		old = append(old, o.PublicKey())
	}
	net.Node(0).SetBehavior(oldSetLiar(old, 2))
	attacker := sortedKeys(old)[0]
	net.Node(1).SetBehavior(nistest.Down())
	net.Node(2).SetBehavior(nistest.Malformed())
	net.Node(3).SetBehavior(nistest.Lagging(60))
	// Node 4 is honest: alone, not a quorum.
	_, err := resolver(net).Owners(ctxT(t), d.address(net))
	var qe *multisig.QuorumError
	if !errors.As(err, &qe) || !errors.Is(err, multisig.ErrNoQuorum) {
		t.Fatalf("err = %v", err)
	}
	if qe.Asked != 5 || qe.Needed != 3 || len(qe.Answers) != 5 {
		t.Fatalf("report: asked %d, needed %d, %d answers", qe.Asked, qe.Needed, len(qe.Answers))
	}
	byNode := map[string]multisig.NodeAnswer{}
	for _, a := range qe.Answers {
		byNode[a.Node] = a
	}
	urls := net.URLs()
	check := func(i int, ok func(a multisig.NodeAnswer) bool, what string) {
		t.Helper()
		a, found := byNode[urls[i]]
		if !found || !ok(a) {
			t.Errorf("node %d (%s): reported %+v", i, what, a)
		}
	}
	check(0, func(a multisig.NodeAnswer) bool {
		return a.Err == nil && strings.Contains(a.Answer, attacker.String()[:8])
	}, "liar")
	check(1, func(a multisig.NodeAnswer) bool { return a.Err != nil && a.Answer == "" }, "down")
	check(2, func(a multisig.NodeAnswer) bool { return a.Err != nil }, "malformed")
	check(3, func(a multisig.NodeAnswer) bool { return errors.Is(a.Err, multisig.ErrLagging) }, "lagging")
	check(4, func(a multisig.NodeAnswer) bool { return a.Err == nil && a.Height == uint64(net.Height()) }, "honest")
	msg := err.Error()
	for _, u := range urls {
		if !strings.Contains(msg, u) {
			t.Errorf("message does not name %s: %s", u, msg)
		}
	}
}

// Lagging nodes whose old answer differs do not count, and a node lagging
// a little (within MaxLag) still does.
func TestOwnersLagging(t *testing.T) {
	net, d := byzantineNetwork(t, 5)
	net.Node(0).SetBehavior(nistest.Lagging(60))
	net.Node(1).SetBehavior(nistest.Lagging(60))
	r := resolver(net)
	o, err := r.Owners(ctxT(t), d.address(net))
	checkOwners(t, "2 lagging", o, err, net, d, 3)

	// Two lag 3 blocks, within MaxLag (and after the last change): with
	// one honest node they make a quorum.
	net.Node(0).SetBehavior(nistest.Lagging(3))
	net.Node(1).SetBehavior(nistest.Lagging(3))
	net.Node(2).SetBehavior(nistest.Down())
	net.Node(3).SetBehavior(nistest.Down())
	o, err = r.Owners(ctxT(t), d.address(net))
	checkOwners(t, "2 slightly lagging + 1 honest", o, err, net, d, 3)

	// MaxLag 2 splits them from the honest node (which is then out of
	// sync with the median of the answers): no quorum left.
	r.MaxLag = 2
	_, err = r.Owners(ctxT(t), d.address(net))
	var qe *multisig.QuorumError
	if !errors.As(err, &qe) {
		t.Fatalf("MaxLag 2: %v", err)
	}
	lagging := 0
	for _, a := range qe.Answers {
		if errors.Is(a.Err, multisig.ErrLagging) {
			lagging++
		}
	}
	if lagging == 0 {
		t.Fatalf("MaxLag 2: no answer reported lagging: %v", err)
	}
}

// One of 5 sampled nodes hung: Owners answers when the third-fastest node
// does, not when the hung one gives up.
func TestOwnersHungNodeLatency(t *testing.T) {
	net := nistest.NewNetwork(t, 5, nil)
	d := newDevice(t, net, 2, 3)
	delays := []time.Duration{40, 80, 120, 160}
	for i, ms := range delays {
		net.Node(i).SetBehavior(nistest.Slow(ms * time.Millisecond))
	}
	net.Node(4).SetBehavior(nistest.Slow(time.Hour))
	r := resolver(net)
	r.StallAfter = time.Hour // no replacement node: only the quorum ends the wait
	for range 3 {
		start := time.Now()
		o, err := r.Owners(ctxT(t), d.address(net))
		took := time.Since(start)
		checkOwners(t, "one hung", o, err, net, d, 3)
		// The third-fastest answer comes after 120 ms; a generous bound
		// for a loaded machine above it.
		if took < 120*time.Millisecond || took > 2*time.Second {
			t.Fatalf("Owners took %s with answers at 40/80/120/160 ms and one node hung", took)
		}
		t.Logf("one hung node: answered in %s (third-fastest node: 120 ms)", took.Round(time.Millisecond))
	}
}

// A hung node is replaced after StallAfter when the others cannot make a
// quorum without it.
func TestOwnersStallWidens(t *testing.T) {
	net := nistest.NewNetwork(t, 6, nil)
	d := newDevice(t, net, 1, 2)
	r := resolver(net)
	r.StallAfter = 100 * time.Millisecond
	r.Rand = seededRand(7)
	for i := range 6 {
		net.Node(i).SetBehavior(nistest.Honest())
	}
	// Hang three nodes: whichever 5 are sampled, at most 3 answer, and
	// only a quorum with the sixth can decide.
	for i := range 3 {
		net.Node(i).SetBehavior(nistest.Slow(time.Hour))
	}
	start := time.Now()
	o, err := r.Owners(ctxT(t), d.address(net))
	checkOwners(t, "3 hung of 6", o, err, net, d, 3)
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("took %s", took)
	}
	// With a context shorter than any stall, the search ends with it.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	for i := range 6 {
		net.Node(i).SetBehavior(nistest.Slow(time.Hour))
	}
	_, err = r.Owners(ctx, d.address(net))
	if !errors.Is(err, multisig.ErrNoQuorum) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("all hung, short context: %v", err)
	}
}

// Over many calls every node gets picked, and the sample is not a fixed
// prefix of the list.
func TestOwnersRandomSelection(t *testing.T) {
	const n, calls = 10, 100
	net := nistest.NewNetwork(t, n, nil)
	d := newDevice(t, net, 1, 1)
	// No answer arrives before all 5 nodes of a sample were asked.
	rec := &recorder{barrier: 5}
	r := resolver(net) // crypto/rand
	r.HTTP = &http.Client{Transport: rec}
	r.StallAfter = time.Hour
	urls := net.URLs()
	call := 0
	sample := func() []int {
		t.Helper()
		call++
		o, err := r.Owners(withCall(ctxT(t), call), d.address(net))
		checkOwners(t, "random", o, err, net, d, 3)
		asked := rec.take(call)
		var set []int
		for i, u := range urls {
			if asked[u] {
				set = append(set, i)
			}
		}
		return set
	}
	picked := make([]int, n)
	sets := map[string]int{}
	for range calls {
		set := sample()
		if len(set) != 5 {
			t.Fatalf("a call asked %d nodes: %v", len(set), set)
		}
		for _, i := range set {
			picked[i]++
		}
		sets[fmt.Sprint(set)]++
	}
	for i, p := range picked {
		// Each node is in half the samples: about 50 of 100. 10 is far out.
		if p < 10 {
			t.Errorf("node %d picked in %d of %d calls", i, p, calls)
		}
	}
	if len(sets) < 10 {
		t.Errorf("only %d distinct samples in %d calls: %v", len(sets), calls, sets)
	}
	// The same seeded Rand picks the same nodes: Rand is what decides.
	for seed := range uint64(3) {
		r.Rand = seededRand(seed)
		first := sample()
		r.Rand = seededRand(seed)
		if again := sample(); !slices.Equal(first, again) {
			t.Errorf("seed %d picked %v, then %v", seed, first, again)
		}
	}
}

// The embedded lists are well-formed, distinct node URLs: as many as the
// research names (27 mainnet hosts), on the NIS ports.
func TestDefaultNodeLists(t *testing.T) {
	for name, tc := range map[string]struct {
		nodes []string
		min   int
	}{"mainnet": {multisig.MainnetNodes, 27}, "testnet": {multisig.TestnetNodes, 10}} {
		seen := map[string]bool{}
		for _, n := range tc.nodes {
			u, err := url.Parse(n)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Path != "" || (u.Port() != "7890" && u.Port() != "7891") {
				t.Errorf("%s: bad node URL %q", name, n)
				continue
			}
			if seen[u.Host] {
				t.Errorf("%s: %s listed twice", name, u.Host)
			}
			seen[u.Host] = true
		}
		if len(seen) < tc.min || len(seen) > 40 {
			t.Errorf("%s: %d nodes", name, len(seen))
		}
	}
}
