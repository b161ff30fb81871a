package multisig_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nemiot/nemiot/multisig"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis/nistest"
)

// These tests pin "one node, one vote" (issue 10, items 11 and 12): a node
// listed under several spellings or addresses, and the nodes of one
// operator, count once toward a quorum.

// port returns the port of a nistest node URL.
func port(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Port()
}

// testLookup resolves as a system resolver that reads shorthand IPv4
// (inet_aton: 127.1, 2130706433, 0x7f.1) does, sends every *.test name to
// 127.0.0.1, and asks the default resolver otherwise.
func testLookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if strings.HasSuffix(host, ".test") {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	if a, ok := inetAton(host); ok {
		return []netip.Addr{a}, nil
	}
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// inetAton parses the IPv4 forms of C's inet_aton: one to four parts,
// decimal, octal (leading 0) or hex (0x), the last part filling the rest.
func inetAton(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var v uint64
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 0, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		bits := 8
		if i == len(parts)-1 {
			bits = 8 * (4 - i)
		}
		if n >= 1<<bits {
			return netip.Addr{}, false
		}
		v = v<<bits | n
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// lookupHTTP is an HTTP client whose dialer resolves with lookup, as a
// vendor's client on its own resolver does.
func lookupHTTP(t *testing.T, lookup func(context.Context, string) ([]netip.Addr, error)) *http.Client {
	var d net.Dialer
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, p, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		ips, err := lookup(ctx, host)
		if err != nil || len(ips) == 0 {
			return nil, fmt.Errorf("lookup %s: %v", host, err)
		}
		return d.DialContext(ctx, network, net.JoinHostPort(ips[0].String(), p))
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

// liarNetwork starts nodes 0..liars-1 lying (one shared lie) and the rest
// honest, with a 1-of-3 device whose third owner was added last. The liars
// undo that addition, hiding it from the history they serve, so that their
// answers pass custody and only the vote counting can stop them.
func liarNetwork(t *testing.T, nodes, liars int) (*nistest.Network, *device) {
	t.Helper()
	net := nistest.NewNetwork(t, nodes, nil)
	d := newDevice(t, net, 1, 2)
	old := d.ownerKeys()
	y := newKey(t)
	if _, err := net.ModifyMultisig(d.key.PublicKey(), []nem.PublicKey{y.PublicKey()}, nil, 0, d.owners[0]); err != nil {
		t.Fatal(err)
	}
	d.owners = append(d.owners, y)
	lie := oldSetLiar(old, 1)
	for i := range liars {
		if err := net.Node(i).SetBehavior(lie); err != nil {
			t.Fatal(err)
		}
	}
	return net, d
}

// checkEverySeed runs Owners with several seeded draws and wants the true
// owners each time, agreed by exactly agreed answers.
func checkEverySeed(t *testing.T, r *multisig.Resolver, net *nistest.Network, d *device, agreed int) {
	t.Helper()
	for seed := range uint64(12) {
		r.Rand = seededRand(seed)
		o, err := r.Owners(ctxT(t), d.address(net))
		checkOwners(t, fmt.Sprintf("seed %d", seed), o, err, net, d, 3)
		if o.Agreed != agreed {
			t.Fatalf("seed %d: %d answers agreed, want %d (one per node): %v", seed, o.Agreed, agreed, o)
		}
	}
}

// duplicates returns how many answers of a failed quorum did not count as
// duplicates.
func duplicates(t *testing.T, what string, err error) int {
	t.Helper()
	var qe *multisig.QuorumError
	if !errors.As(err, &qe) {
		t.Fatalf("%s: %v, want a QuorumError", what, err)
	}
	n := 0
	for _, a := range qe.Answers {
		if errors.Is(a.Err, multisig.ErrDuplicate) {
			n++
		}
	}
	return n
}

// A lying node listed as 127.0.0.1, localhost and [::ffff:127.0.0.1] votes
// once: before, a sample holding its three spellings out-voted two honest
// nodes 3 to 2.
func TestOwnersOneNodeManySpellings(t *testing.T) {
	net, d := liarNetwork(t, 4, 1)
	p := port(t, net.URLs()[0])
	r := resolver(net)
	r.Nodes = append([]string{
		"http://127.0.0.1:" + p,
		"http://localhost:" + p,
		"http://[::ffff:127.0.0.1]:" + p + "/",
	}, net.URLs()[1:]...)
	checkEverySeed(t, r, net, d, 3)

	// Alone with two honest nodes, the liar's spellings give no quorum,
	// and the report says why they did not count.
	r.Nodes = r.Nodes[:5]
	r.Rand = nil
	_, err := r.Owners(ctxT(t), d.address(net))
	// [::ffff:127.0.0.1] is 127.0.0.1 before anything is asked.
	if dups := duplicates(t, "one liar under three names, two honest nodes", err); dups != 1 {
		t.Fatalf("%d answers marked duplicate, want 1: %v", dups, err)
	}
}

// Shorthand IPv4 spellings (127.1, 2130706433, 0x7f.1, 0177.0.0.1) reach
// the node wherever the system resolver reads them as addresses; the
// look-up before asking (Resolver.LookupIP, the resolver the HTTP client
// dials with) makes them one endpoint.
func TestOwnersShorthandIPv4Spellings(t *testing.T) {
	net, d := liarNetwork(t, 4, 1)
	p := port(t, net.URLs()[0])
	r := resolver(net)
	r.HTTP = lookupHTTP(t, testLookup)
	r.LookupIP = testLookup
	r.Nodes = append([]string{
		"http://127.1:" + p,
		"http://2130706433:" + p,
		"http://0x7f.1:" + p,
		"http://0177.0.0.1:" + p,
		"http://127.0.0.1:" + p,
	}, net.URLs()[1:]...)
	// Loopback counts by address and port, so the operator grouping does
	// not hide the spellings: only the look-up can.
	r.Operator = func(node string) string { return node }
	checkEverySeed(t, r, net, d, 3)
}

// forward returns a reverse proxy to the node at target.
func forward(t *testing.T, target string) *httputil.ReverseProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := httputil.NewSingleHostReverseProxy(u)
	p.ErrorLog = log.New(io.Discard, "", 0) // requests cancelled once a quorum is in
	return p
}

// proxy serves h on a new loopback port, or forwards to target when h is
// nil: another address for the same node.
func proxy(t *testing.T, target string, h http.Handler) string {
	t.Helper()
	if h == nil {
		h = forward(t, target)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// A lying node reachable at two more addresses (reverse proxies on other
// ports) tells the same /node/info identity key at each: one vote.
func TestOwnersIdentityKeyCountsOnce(t *testing.T) {
	net, d := liarNetwork(t, 4, 1)
	liar := net.URLs()[0]
	r := resolver(net)
	r.Nodes = append([]string{liar, proxy(t, liar, nil), proxy(t, liar, nil)}, net.URLs()[1:]...)
	checkEverySeed(t, r, net, d, 3)
}

// A node that refuses /node/info counts by its address: once, and still.
func TestOwnersWithoutNodeInfo(t *testing.T) {
	net := nistest.NewNetwork(t, 3, nil)
	d := newDevice(t, net, 1, 2)
	r := resolver(net)
	r.Nodes = nil
	for _, u := range net.URLs() {
		fwd := forward(t, u)
		r.Nodes = append(r.Nodes, proxy(t, "", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if req.URL.Path == "/node/info" {
				http.NotFound(w, req)
				return
			}
			fwd.ServeHTTP(w, req)
		})))
	}
	o, err := r.Owners(ctxT(t), d.address(net))
	checkOwners(t, "no /node/info", o, err, net, d, 3)
	if o.Agreed != 3 {
		t.Fatalf("agreed %d, want 3", o.Agreed)
	}
}

// A liar claiming an honest node's identity key does not take that node's
// vote for itself: the two answers disagree under one identity, and neither
// counts (whichever comes first). The quorum must then come from nodes
// whose identity nobody contests.
func TestOwnersContestedIdentity(t *testing.T) {
	net, d := liarNetwork(t, 5, 1)
	toLiar, toVictim := forward(t, net.URLs()[0]), forward(t, net.URLs()[1])
	clone := proxy(t, "", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/node/info" {
			toVictim.ServeHTTP(w, req)
			return
		}
		toLiar.ServeHTTP(w, req)
	}))
	r := resolver(net)
	r.Nodes, r.Sample, r.Quorum = []string{clone, net.URLs()[1], net.URLs()[2]}, 3, 3
	_, err := r.Owners(ctxT(t), d.address(net))
	if contested := duplicates(t, "clone, its victim and one honest node", err); contested != 2 {
		t.Fatalf("%d answers withdrawn, want the clone's and its victim's: %v", contested, err)
	}
	// With enough uncontested honest nodes the answer is right.
	r.Nodes, r.Sample, r.Quorum = append([]string{clone}, net.URLs()[1:]...), 5, 3
	o, err := r.Owners(ctxT(t), d.address(net))
	checkOwners(t, "clone among honest nodes", o, err, net, d, 3)
}

// Three lying nodes of one operator (a.evil.test, b.evil.test,
// c.evil.test) count as one vote against three honest operators: before,
// a sample holding all three out-voted two honest nodes 3 to 2.
func TestOwnersOneVotePerOperator(t *testing.T) {
	net, d := liarNetwork(t, 6, 3)
	name := []string{"a.evil.test", "b.evil.test", "c.evil.test", "one.test", "two.test", "three.test"}
	r := resolver(net)
	r.HTTP = lookupHTTP(t, testLookup)
	r.LookupIP = testLookup // no DNS query leaves the machine
	r.Nodes = nil
	for i, u := range net.URLs() {
		r.Nodes = append(r.Nodes, "http://"+name[i]+":"+port(t, u))
	}
	checkEverySeed(t, r, net, d, 3)

	// A list of one operator's nodes cannot give a quorum: a configuration
	// error, before anything is asked.
	before := requests(net)
	r.Nodes = r.Nodes[:3]
	r.Sample, r.Quorum = 3, 2
	if _, err := r.Owners(ctxT(t), d.address(net)); !errors.Is(err, multisig.ErrConfig) {
		t.Fatalf("three nodes of one operator: %v, want ErrConfig", err)
	}
	if requests(net) != before {
		t.Fatal("a list that cannot give a quorum was asked")
	}
	// Resolver.Operator can say otherwise (here: each node its own).
	r.Operator = func(node string) string { return node }
	r.Nodes = append(r.Nodes, "http://one.test:"+port(t, net.URLs()[3]))
	if _, err := r.Owners(ctxT(t), d.address(net)); errors.Is(err, multisig.ErrConfig) {
		t.Fatalf("own operator grouping: %v", err)
	}
}

// A node that is not an http(s) URL is a configuration error.
func TestOwnersNodeNotURL(t *testing.T) {
	net := nistest.NewNetwork(t, 3, nil)
	d := newDevice(t, net, 1, 1)
	for _, bad := range []string{"127.0.0.1:7890", "ftp://127.0.0.1:7890", "http://", "://x"} {
		r := resolver(net)
		r.Nodes = append(slices.Clone(net.URLs()), bad)
		if _, err := r.Owners(ctxT(t), d.address(net)); !errors.Is(err, multisig.ErrConfig) {
			t.Errorf("node %q: %v, want ErrConfig", bad, err)
		}
	}
}

// Network time: a node whose clock is off, listed under three spellings,
// gives one answer to the median, not three.
func TestNetworkTimeOneNodeManySpellings(t *testing.T) {
	net := networkAt(t, 5)
	if err := net.Node(0).SetBehavior(nistest.TimeShifted(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	p := port(t, net.URLs()[0])
	r := resolver(net)
	r.Nodes = append([]string{"http://127.0.0.1:" + p, "http://localhost:" + p, "http://[::ffff:7f00:1]:" + p}, net.URLs()[1:]...)
	for seed := range uint64(12) {
		r.Rand = seededRand(seed)
		got, err := r.NetworkTime(ctxT(t), net.NetworkID())
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if want := net.Time(); !near(got, want, time.Second) {
			t.Fatalf("seed %d: NetworkTime %s, network at %s: the shifted node voted more than once", seed, got, want)
		}
	}
}
