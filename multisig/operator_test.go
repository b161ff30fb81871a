package multisig

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestNodeOperator(t *testing.T) {
	for node, want := range map[string]string{
		"http://hugealice.nem.ninja:7890":     "nem.ninja",
		"http://alice7.NEM.ninja:7890/":       "nem.ninja",
		"http://62.75.251.134:7890":           "nem.ninja", // Alice2 by address
		"http://[::ffff:108.61.168.86]:7890":  "nem.ninja", // Alice6, IPv4-mapped
		"http://62.75.171.41:7890":            "62.75.171.0/24",
		"http://62.75.171.200:7891":           "62.75.171.0/24",
		"http://sz.nemchina.com:7890":         "nemchina.com",
		"http://1n.dusanjp.com:7890":          "dusanjp.com",
		"https://aqualife1.supernode.me:7891": "supernode.me",
		"http://node.example.co.jp:7890":      "example.co.jp",
		"http://a.b.example.com.cn:7890":      "example.com.cn",
		"http://nem.ninja:7890":               "nem.ninja",
		"http://nis:7890":                     "nis",
		"http://[2001:db8:1:2::1]:7890":       "2001:db8:1::/48",
		"http://127.0.0.1:7890":               "127.0.0.1:7890", // loopback: by address and port
		"http://127.0.0.1:7891":               "127.0.0.1:7891",
		"http://127.0.0.2:7890":               "127.0.0.2:7890",
		"http://[::1]:7890":                   "[::1]:7890",
		"http://localhost:7890":               "localhost:7890",
		"http://127.1:7890":                   "127.1",
		"http://2130706433:7890":              "2130706433",
		"http://hugealice.nem.ninja.:7890":    "nem.ninja",
		"not a url":                           "not a url",
	} {
		if got := NodeOperator(node); got != want {
			t.Errorf("NodeOperator(%q) = %q, want %q", node, got, want)
		}
	}
}

// groupsOf returns the group index of each node under ops.
func groupsOf(ops []string) (idx []int, n int) {
	at := map[string]int{}
	for _, op := range ops {
		if _, ok := at[op]; !ok {
			at[op] = len(at)
		}
		idx = append(idx, at[op])
	}
	return idx, len(at)
}

// maxShare is the most nodes of one group among the first k of order.
func maxShare(order, group []int, k int) int {
	counts := map[int]int{}
	best := 0
	for _, i := range order[:k] {
		counts[group[i]]++
		best = max(best, counts[group[i]])
	}
	return best
}

// hypergeomAtLeast is P(X >= m) for X the number of a group of size g in a
// uniform sample of k from n.
func hypergeomAtLeast(n, g, k, m int) float64 {
	p := 0.0
	for x := m; x <= min(g, k); x++ {
		p += binom(g, x) * binom(n-g, k-x) / binom(n, k)
	}
	return p
}

func binom(n, k int) float64 {
	if k < 0 || k > n {
		return 0
	}
	r := 1.0
	for i := range k {
		r = r * float64(n-i) / float64(i+1)
	}
	return r
}

// Issue 10, item 12: with the embedded mainnet list, a uniform sample of 5
// holds at least 3 nodes of one operator (nem.ninja) most of the time; the
// draw across operators never does, and each operator is as likely as any
// other to be in the sample.
func TestMainnetOperatorSpread(t *testing.T) {
	r := &Resolver{}
	nodes, sample, quorum, err := r.config(0x68)
	if err != nil {
		t.Fatal(err)
	}
	ops := r.operators(nodes)
	group, ngroups := groupsOf(ops)
	ninja := 0
	for _, op := range ops {
		if op == "nem.ninja" {
			ninja++
		}
	}
	if len(nodes) != 27 || ninja != 19 || ngroups != 8 {
		t.Fatalf("%d nodes, %d of nem.ninja (17 by name, 2 by address), %d operators: %v", len(nodes), ninja, ngroups, ops)
	}
	exact := hypergeomAtLeast(len(nodes), ninja, sample, quorum)
	byName := hypergeomAtLeast(len(nodes), 17, sample, quorum)

	const runs = 20000
	src := rand.NewChaCha8([32]byte{'n', 'e', 'm', 'i', 'o', 't'})
	before, after := 0, 0
	inSample := make([]int, ngroups)
	for range runs {
		uniform, err := shuffle(src, len(nodes))
		if err != nil {
			t.Fatal(err)
		}
		if maxShare(uniform, group, sample) >= quorum {
			before++
		}
		spread, err := draw(src, ops, len(nodes))
		if err != nil {
			t.Fatal(err)
		}
		if sorted := slices.Sorted(slices.Values(spread)); len(sorted) != len(nodes) || sorted[0] != 0 || slices.Compact(sorted)[len(nodes)-1] != len(nodes)-1 {
			t.Fatalf("draw is not a permutation: %v", spread)
		}
		if maxShare(spread, group, sample) >= quorum {
			after++
		}
		if maxShare(spread, group, min(ngroups, len(nodes))) != 1 {
			t.Fatalf("the first %d drawn span fewer than %d operators: %v", ngroups, ngroups, spread)
		}
		for _, i := range spread[:sample] {
			inSample[group[i]]++
		}
	}
	pBefore, pAfter := float64(before)/runs, float64(after)/runs
	t.Logf("P(a sample of %d holds >= %d nodes of one operator): uniform draw %.4f (exact %.4f; %.4f counting the 17 *.nem.ninja names only), draw across operators %.4f",
		sample, quorum, pBefore, exact, byName, pAfter)
	if math.Abs(pBefore-exact) > 0.02 {
		t.Errorf("uniform draw: %.4f, exact %.4f", pBefore, exact)
	}
	if after != 0 {
		t.Errorf("draw across operators: %d of %d samples hold %d nodes of one operator", after, runs, quorum)
	}
	// Each of the 8 operators is in 5/8 of the samples.
	for g, n := range inSample {
		if p := float64(n) / runs; math.Abs(p-float64(sample)/float64(ngroups)) > 0.03 {
			t.Errorf("operator %d in %.3f of the samples, want %.3f", g, p, float64(sample)/float64(ngroups))
		}
	}
}

// With every node its own operator the draw is the plain shuffle, reading
// the same randomness: seeded tests keep their samples.
func TestDrawSingletonsIsShuffle(t *testing.T) {
	for _, n := range []int{0, 1, 5, 27} {
		ops := make([]string, n)
		for i := range ops {
			ops[i] = string(rune('a' + i))
		}
		a, err := shuffle(rand.NewChaCha8([32]byte{byte(n)}), n)
		if err != nil {
			t.Fatal(err)
		}
		b, err := draw(rand.NewChaCha8([32]byte{byte(n)}), ops, n)
		if err != nil {
			t.Fatal(err)
		}
		c, err := draw(rand.NewChaCha8([32]byte{byte(n)}), nil, n)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a, b) || !slices.Equal(a, c) {
			t.Fatalf("n=%d: shuffle %v, draw %v and %v", n, a, b, c)
		}
	}
}
