package multisig_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"

	"github.com/nemiot/nemiot/multisig"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis/nistest"
)

// ordered is an HTTP transport that holds every request to the nodes in
// hold until the quorum round has received the answers of need of the
// nodes in first, so that it counts those answers first whatever the
// scheduling. It orders answers with channels, not with delays.
type ordered struct {
	hold, first map[string]bool // hosts; base URLs
	mu          sync.Mutex
	seen        map[string]bool // first nodes whose answer the round has
	left        int             // first nodes still to answer
	done        chan struct{}
}

func newOrdered(t *testing.T, first []*nistest.Node, need int, hold []*nistest.Node) *ordered {
	o := &ordered{hold: map[string]bool{}, first: map[string]bool{}, seen: map[string]bool{}, left: need, done: make(chan struct{})}
	for _, nd := range first {
		o.first[nd.URL()] = true
	}
	for _, nd := range hold {
		o.hold[host(nd)] = true
	}
	t.Cleanup(multisig.OnVote(o.received))
	return o
}

func host(nd *nistest.Node) string {
	u, err := url.Parse(nd.URL())
	if err != nil {
		panic(err)
	}
	return u.Host
}

// received is called by the round with each answer it receives.
func (o *ordered) received(node string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.first[node] || o.seen[node] || o.left == 0 {
		return
	}
	o.seen[node] = true
	if o.left--; o.left == 0 {
		close(o.done)
	}
}

func (o *ordered) RoundTrip(req *http.Request) (*http.Response, error) {
	if o.hold[req.URL.Host] {
		select {
		case <-o.done:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	return http.DefaultTransport.RoundTrip(req)
}

// removedOwnerNetwork is the scenario of a removed owner coming back, on n
// nodes: a 1-of-2 account owned by A and X, X removed 3 blocks before the
// current height, nodes 0 and 1 lying with the old set {A, X} at the
// current height, node 2 honest but lagging 3 blocks (so it still sees the
// old set, within MaxLag), the others honest.
func removedOwnerNetwork(t *testing.T, n int) (net *nistest.Network, d *device, x nem.PublicKey, liars, lagger, honest []*nistest.Node) {
	t.Helper()
	net = nistest.NewNetwork(t, n, nil)
	d = newDevice(t, net, 1, 2)
	x = d.owners[1].PublicKey()
	net.Advance(20, 0)
	if _, err := net.ModifyMultisig(d.key.PublicKey(), nil, []nem.PublicKey{x}, 0, d.owners[0]); err != nil {
		t.Fatal(err)
	}
	net.Advance(2, 0) // the removal is in block height-2: a node 3 blocks behind predates it
	d.owners = d.owners[:1]
	nodes := net.Nodes()
	liars, lagger, honest = nodes[:2], nodes[2:3], nodes[3:]
	old := []nem.PublicKey{d.owners[0].PublicKey(), x}
	for _, nd := range liars {
		if err := nd.SetBehavior(oldSetLiar(old, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := lagger[0].SetBehavior(nistest.Lagging(3)); err != nil {
		t.Fatal(err)
	}
	// The lagging node is honest about its chain: it still lists X.
	a, err := lagger[0].Client().Account(ctxT(t), d.address(net))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(a.CosignatoryKeys(), x) {
		t.Fatalf("the node lagging 3 blocks does not see the removed owner: %v", a.CosignatoryKeys())
	}
	return net, d, x, liars, lagger, honest
}

// oldSetLiar is a node that undoes the latest change of the owners: it
// reports the set from before it (old, min) and hides the modification
// from its history, so that the history it serves leads to its lie and
// custody alone cannot catch it (DESIGN §3: liars can hide changes).
func oldSetLiar(old []nem.PublicKey, min int) nistest.Behavior {
	b := nistest.Lying(old, min)
	b.History = &nistest.History{HideModifications: 1}
	return b
}

// Issue 10 item 1: with every answer in, the old set {A, X} has 3 votes
// (two liars at the current height and the lagging node 3 blocks behind)
// against 2 for the truth {A}. Dated by its lowest member it is older than
// the honest answers that disagree with it, so it cannot win; with no node
// left to ask, the round fails and says why.
func TestOwnersRemovedOwnerComesBack(t *testing.T) {
	net, d, x, liars, lagger, honest := removedOwnerNetwork(t, 5)
	r := resolver(net)
	r.HTTP = &http.Client{Transport: newOrdered(t, honest, 2, append(liars, lagger...)), Timeout: testHTTP.Timeout}
	o, err := r.Owners(ctxT(t), d.address(net))
	if o != nil && o.Has(x) {
		t.Fatalf("the removed owner is back: %v (height %d, chain at %d)", o, o.Height, net.Height())
	}
	if !errors.Is(err, multisig.ErrNoQuorum) || !errors.Is(err, multisig.ErrSuperseded) {
		t.Fatalf("Owners = %v, %v; want ErrNoQuorum and ErrSuperseded", o, err)
	}
	var qe *multisig.QuorumError
	if !errors.As(err, &qe) || !qe.Superseded || qe.Asked != 5 {
		t.Fatalf("QuorumError %+v", qe)
	}
	held := 0
	for _, a := range qe.Answers {
		if errors.Is(a.Err, multisig.ErrSuperseded) {
			held++
		}
	}
	if held != 3 {
		t.Fatalf("%d answers marked superseded, want the 3 that name the old set: %v", held, err)
	}

	// With the lagging node caught up, the truth has the majority again.
	lagger[0].SetBehavior(nistest.Honest())
	o, err = r.Owners(ctxT(t), d.address(net))
	checkOwners(t, "lagging node caught up", o, err, net, d, 3)
	if o.Height != uint64(net.Height()) {
		t.Fatalf("Height %d, chain at %d", o.Height, net.Height())
	}
}

// The same liars and lagging node among 7 nodes, 5 sampled: when the
// sample holds all three and the honest answers come first, the old set is
// held back, the round widens to the two nodes not yet asked, and the truth
// wins 4-3. Whichever 5 are sampled, the answer is the truth at the
// current height.
func TestOwnersRemovedOwnerWidens(t *testing.T) {
	net, d, x, liars, lagger, honest := removedOwnerNetwork(t, 7)
	widened := 0
	for seed := range uint64(40) {
		r := resolver(net)
		r.Rand = seededRand(seed)
		// Every sample of 5 holds at least 2 of the 4 honest nodes.
		r.HTTP = &http.Client{Transport: newOrdered(t, honest, 2, append(liars, lagger...)), Timeout: testHTTP.Timeout}
		o, err := r.Owners(ctxT(t), d.address(net))
		if err == nil && o.Has(x) {
			t.Fatalf("seed %d: the removed owner is back: %v", seed, o)
		}
		checkOwners(t, fmt.Sprintf("seed %d", seed), o, err, net, d, 3)
		if o.Height != uint64(net.Height()) {
			t.Fatalf("seed %d: Height %d, chain at %d", seed, o.Height, net.Height())
		}
		if o.Asked == 7 {
			widened++
		}
	}
	if widened == 0 {
		t.Fatal("no sample held all three old-set nodes: the test proves nothing")
	}
}
