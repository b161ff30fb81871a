package multisig

import (
	"io"
	"net"
	"net/netip"
	"strings"
)

// NodeOperator is the default operator grouping of [Resolver.Operator]: it
// names who presumably runs the node at a URL, without any look-up.
//
//   - A host name counts by its registrable domain: its last two labels
//     (hugealice.nem.ninja and alice7.nem.ninja are both "nem.ninja"), or
//     three under a two-letter country domain with a generic second level
//     (node.example.co.jp is "example.co.jp").
//   - An IPv4 address counts by its /24 and an IPv6 address by its /48: the
//     block a hosting provider usually hands one customer. Neighbours in a
//     data centre are grouped too, which costs votes, never safety.
//   - Loopback (127.0.0.0/8, ::1, localhost) counts by address and port:
//     each node of a local test network such as nistest is its own operator.
//   - Addresses of the embedded lists known to belong to a named operator
//     count as that operator (62.75.251.134 and 108.61.168.86 were the
//     Alice2 and Alice6 supernodes of nem.ninja).
//
// A URL that does not parse is its own group. Vendors who know better (a
// registry's operator keys, several domains of one company) set
// Resolver.Operator and may fall back to NodeOperator.
func NodeOperator(node string) string {
	host, port, err := endpoint(node)
	if err != nil {
		return nodeKey(node)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		a = a.WithZone("")
		switch {
		case a.IsLoopback() || a.IsUnspecified():
			return net.JoinHostPort(host, port)
		case knownOperators[a.String()] != "":
			return knownOperators[a.String()]
		case a.Is4():
			return netip.PrefixFrom(a, 24).Masked().String()
		default:
			return netip.PrefixFrom(a, 48).Masked().String()
		}
	}
	host = strings.TrimSuffix(host, ".")
	if host == "" {
		return nodeKey(node)
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return net.JoinHostPort(host, port)
	}
	labels := strings.Split(host, ".")
	n := len(labels)
	switch {
	case n <= 2:
		return host
	case isDigits(labels[n-1]):
		// Not a DNS name with a top-level domain (127.1, 10.0.1): the whole
		// host, as the system resolver may read it as an address.
		return host
	case len(labels[n-1]) == 2 && genericSecondLevel[labels[n-2]]:
		return strings.Join(labels[n-3:], ".")
	}
	return strings.Join(labels[n-2:], ".")
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// genericSecondLevel are second-level labels under which country domains
// register names (co.uk, com.cn, ne.jp …): a short list instead of the
// public suffix list, which the standard library does not carry.
var genericSecondLevel = map[string]bool{
	"ac": true, "co": true, "com": true, "edu": true, "gov": true, "gr": true,
	"ne": true, "net": true, "or": true, "org": true,
}

// knownOperators names the operator of addresses in the embedded lists
// whose operator the registries document (reference/nis.md §9.2): the
// legacy supernode registry's record "Alice2" and the current registry's
// "Alice6" are nem.ninja machines listed by address.
var knownOperators = map[string]string{
	"62.75.251.134": "nem.ninja",
	"108.61.168.86": "nem.ninja",
}

// operators returns the operator group of each node: Resolver.Operator's
// answer, or the node's endpoint where it answers "".
func (r *Resolver) operators(nodes []string) []string {
	op := r.Operator
	if op == nil {
		op = NodeOperator
	}
	ops := make([]string, len(nodes))
	for i, n := range nodes {
		if ops[i] = op(n); ops[i] == "" {
			ops[i] = "node " + nodeKey(n)
		}
	}
	return ops
}

// draw returns the order in which a round asks its nodes: operator groups
// in a uniformly random order, a random node of each; then a second node of
// each group that has one, and so on. A sample of k nodes thus spans
// min(k, groups) operators, and each operator is as likely to be in it as
// any other, however many nodes it runs. With ops nil, every node is its own
// group and the order is a plain uniform shuffle.
func draw(rand io.Reader, ops []string, n int) ([]int, error) {
	var groups [][]int
	at := map[string]int{}
	for i := range n {
		if ops == nil {
			groups = append(groups, []int{i})
			continue
		}
		g, ok := at[ops[i]]
		if !ok {
			g = len(groups)
			at[ops[i]] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	gorder, err := shuffle(rand, len(groups))
	if err != nil {
		return nil, err
	}
	shuffled := make([][]int, len(groups))
	for k, g := range gorder {
		p, err := shuffle(rand, len(groups[g]))
		if err != nil {
			return nil, err
		}
		shuffled[k] = make([]int, len(p))
		for j, x := range p {
			shuffled[k][j] = groups[g][x]
		}
	}
	order := make([]int, 0, n)
	for pass := 0; len(order) < n; pass++ {
		for _, g := range shuffled {
			if pass < len(g) {
				order = append(order, g[pass])
			}
		}
	}
	return order, nil
}
