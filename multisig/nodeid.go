package multisig

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"sync"
)

// endpoint splits a node URL into its lower-case host, in canonical form
// when it is an IP address, and the port an HTTP client dials: the URL's
// port, else 80 for http and 443 for https (NIS's 7890 is never implied).
// It fails for anything but an absolute http or https URL with a host.
func endpoint(node string) (host, port string, err error) {
	u, err := url.Parse(strings.TrimSpace(node))
	if err != nil {
		return "", "", err
	}
	scheme := strings.ToLower(u.Scheme)
	if (scheme != "http" && scheme != "https") || u.Hostname() == "" {
		return "", "", errors.New("not an http or https URL with a host")
	}
	host, port = strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		port = "80"
		if scheme == "https" {
			port = "443"
		}
	}
	// Only the forms Go's dialer takes as an address without asking a
	// resolver are canonicalised here ([::ffff:127.0.0.1] is 127.0.0.1).
	// Shorthand IPv4 (127.1, 2130706433, 0x7f.1) is a host name to Go: the
	// system resolver may map it to an address, DNS usually does not; the
	// look-up before asking (claim) treats it as the dialer will.
	if a, err := netip.ParseAddr(host); err == nil {
		host = a.Unmap().String()
	}
	return host, port, nil
}

// nodeKey returns a node URL's endpoint as host:port, independent of
// scheme, case, path and IP spelling, or the trimmed lower-case URL if it
// is not an http(s) URL.
func nodeKey(node string) string {
	host, port, err := endpoint(node)
	if err != nil {
		return strings.ToLower(strings.TrimRight(strings.TrimSpace(node), "/"))
	}
	return net.JoinHostPort(host, port)
}

// distinctNodes drops empty entries and entries naming an endpoint already
// listed (whatever the scheme, case, path or IP spelling), keeping the first
// spelling, and refuses entries that are not http or https URLs.
func distinctNodes(nodes []string) ([]string, error) {
	seen := make(map[string]bool, len(nodes))
	out := make([]string, 0, len(nodes))
	for _, n := range nodes {
		if strings.TrimSpace(n) == "" {
			continue
		}
		if _, _, err := endpoint(n); err != nil {
			return nil, fmt.Errorf("%w: node %q: %v", ErrConfig, n, err)
		}
		k := nodeKey(n)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, n)
	}
	return out, nil
}

// claims is the set of endpoints (resolved address and port) a round has
// asked, so that one node listed under several host names (localhost and
// 127.0.0.1, two DNS names of one machine) is asked once.
type claims struct {
	lookup func(ctx context.Context, host string) ([]netip.Addr, error)
	mu     sync.Mutex
	by     map[string]string // "addr:port" → the node URL that claimed it
}

// claim resolves node's host as its HTTP client will and records its
// endpoints. It returns the node already holding one of them, if any: node
// is then a duplicate and is not asked. A host that does not resolve is
// recorded by name and asked anyway (its request fails the same way, or an
// HTTP client with its own dialer, e.g. a proxy, still reaches it); the
// node's identity key catches what names hide.
func (c *claims) claim(ctx context.Context, node string) (dupOf string) {
	host, port, err := endpoint(node)
	if err != nil {
		return ""
	}
	var keys []string
	if a, err := netip.ParseAddr(host); err == nil {
		keys = append(keys, net.JoinHostPort(a.String(), port))
	} else if addrs, err := c.resolve(ctx, host); err == nil && len(addrs) > 0 {
		for _, a := range addrs {
			keys = append(keys, net.JoinHostPort(a.Unmap().String(), port))
		}
	} else {
		keys = append(keys, net.JoinHostPort(host, port))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		if other, ok := c.by[k]; ok {
			return other
		}
	}
	if c.by == nil {
		c.by = make(map[string]string)
	}
	for _, k := range keys {
		c.by[k] = node
	}
	return ""
}

func (c *claims) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if c.lookup != nil {
		return c.lookup(ctx, host)
	}
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// counted returns the votes as they count: answers that might come from one
// party — the same operator group, or the same identity key in /node/info
// (linked transitively) — count once. Such a cluster counts its first
// answer if all its answers agree, and none of them if they differ, so
// that a node claiming another's identity cancels its own vote with the
// one it hides. The others are marked with [ErrDuplicate]. votes is not
// modified.
func counted[T any](votes []vote[T]) []vote[T] {
	out := make([]vote[T], len(votes))
	copy(out, votes)
	// Union-find over the answers, linked by operator or identity.
	parent := make([]int, len(out))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		if parent[i] != i {
			parent[i] = find(parent[i])
		}
		return parent[i]
	}
	for i := range out {
		if out[i].err != nil {
			continue
		}
		for j := range i {
			if out[j].err == nil && sameParty(out[i], out[j]) {
				a, b := find(i), find(j)
				parent[max(a, b)] = min(a, b) // a cluster's root is its earliest answer
			}
		}
	}
	conflict := map[int]bool{}
	for i := range out {
		if out[i].err == nil && out[i].key != out[find(i)].key {
			conflict[find(i)] = true
		}
	}
	for i := range out {
		if out[i].err != nil {
			continue
		}
		root := find(i)
		first := votes[root]
		switch {
		case conflict[root] && i == root:
			out[i].err = fmt.Errorf("%w: %s disagree", ErrDuplicate, party(first, first))
		case conflict[root]:
			out[i].err = fmt.Errorf("%w: %s as %s, which answered otherwise", ErrDuplicate, party(out[i], first), first.node)
		case i != root:
			out[i].err = fmt.Errorf("%w: %s as %s", ErrDuplicate, party(out[i], first), first.node)
		}
	}
	return out
}

func sameParty[T any](a, b vote[T]) bool {
	return (a.op != "" && a.op == b.op) || (a.id != "" && a.id == b.id)
}

// party names what links v to first, for error reports.
func party[T any](v, first vote[T]) string {
	switch {
	case v.id != "" && v.id == first.id && v.node != first.node:
		return "same node (identity key " + v.id[:min(8, len(v.id))] + "…)"
	case v.op != "" && v.op == first.op && v.node != first.node:
		return "same operator (" + v.op + ")"
	case v.node == first.node:
		return "answers of one operator or node"
	}
	return "same operator or node (through another answer)"
}
