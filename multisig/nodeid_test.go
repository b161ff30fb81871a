package multisig

import (
	"context"
	"errors"
	"net/netip"
	"testing"
)

// One endpoint, however the URL spells it, is one key; the port is what
// net/http dials (80 for http, 443 for https: 7890 is never implied).
func TestNodeKeySpellings(t *testing.T) {
	for want, spellings := range map[string][]string{
		"127.0.0.1:7890": {
			"http://127.0.0.1:7890", " HTTP://127.0.0.1:7890/ ", "https://127.0.0.1:7890/nis",
			"http://[::ffff:127.0.0.1]:7890", "http://[::FFFF:7f00:1]:7890", "http://[0:0:0:0:0:ffff:127.0.0.1]:7890",
		},
		"[::1]:7890":                 {"http://[::1]:7890", "http://[0:0::0001]:7890"},
		"hugealice.nem.ninja:7890":   {"http://HugeAlice.nem.ninja:7890/"},
		"hugealice.nem.ninja:80":     {"http://hugealice.nem.ninja", "http://hugealice.nem.ninja:80"},
		"hugealice.nem.ninja:443":    {"https://hugealice.nem.ninja/"},
		"127.1:7890":                 {"http://127.1:7890"}, // a name to Go; the look-up decides
		"[fe80::1%eth0]:7890":        {"http://[fe80::1%25eth0]:7890"},
		"62.75.251.134:7890":         {"http://[::ffff:62.75.251.134]:7890"},
		"hugealice.nem.ninja.:7890":  {"http://hugealice.nem.ninja.:7890"},
		"2130706433:7890":            {"http://2130706433:7890"},
		"sz.nemchina.com:7891":       {"https://sz.nemchina.com:7891"},
		"ftp://sz.nemchina.com:7891": {"ftp://sz.nemchina.com:7891/"}, // not a node: config refuses it
	} {
		for _, s := range spellings {
			if got := nodeKey(s); got != want {
				t.Errorf("nodeKey(%q) = %q, want %q", s, got, want)
			}
		}
	}
	nodes, err := distinctNodes([]string{"http://127.0.0.1:1", "", "http://[::ffff:127.0.0.1]:1/", "http://localhost:1", " "})
	if err != nil || len(nodes) != 2 || nodes[0] != "http://127.0.0.1:1" || nodes[1] != "http://localhost:1" {
		t.Fatalf("distinctNodes = %q, %v", nodes, err)
	}
	if _, err := distinctNodes([]string{"127.0.0.1:7890"}); !errors.Is(err, ErrConfig) {
		t.Fatalf("scheme-less node: %v", err)
	}
}

// Names are resolved before asking, with the injected look-up: one address
// and port is claimed once; a name that does not resolve is known by name.
func TestClaims(t *testing.T) {
	lookups := 0
	c := &claims{lookup: func(_ context.Context, host string) ([]netip.Addr, error) {
		lookups++
		switch host {
		case "localhost":
			return []netip.Addr{netip.MustParseAddr("::1"), netip.MustParseAddr("::ffff:127.0.0.1")}, nil
		case "ip6-localhost":
			return []netip.Addr{netip.MustParseAddr("::1")}, nil
		case "127.1":
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return nil, errors.New("no such host")
	}}
	ctx := context.Background()
	for _, step := range []struct{ node, dupOf string }{
		{"http://127.0.0.1:7890", ""},
		{"http://localhost:7890", "http://127.0.0.1:7890"}, // ::ffff:127.0.0.1 is 127.0.0.1
		{"http://127.1:7890", "http://127.0.0.1:7890"},
		{"http://127.0.0.1:7891", ""}, // another port, another endpoint
		{"http://ip6-localhost:7891", ""},
		{"http://localhost:7891", "http://ip6-localhost:7891"}, // the first of its addresses taken
		{"http://unknown.invalid:7890", ""},
		{"https://UNKNOWN.invalid:7890/", "http://unknown.invalid:7890"},
	} {
		if got := c.claim(ctx, step.node); got != step.dupOf {
			t.Errorf("claim(%s) = %q, want %q", step.node, got, step.dupOf)
		}
	}
	if lookups != 6 {
		t.Errorf("%d look-ups, want one per host name (IP literals need none)", lookups)
	}
}

// counted keeps one answer per operator and per identity key, linked
// transitively, and none of a cluster whose answers disagree.
func TestCounted(t *testing.T) {
	v := func(node, op, id, key string) vote[record] {
		return vote[record]{node: node, op: op, id: id, key: key}
	}
	failed := v("f", "A", "k1", "")
	failed.err = errors.New("down")
	votes := []vote[record]{
		failed,                  // an error links nothing
		v("a1", "A", "k1", "x"), // counts for operator A
		v("b1", "B", "k2", "y"), // counts for B
		v("a2", "A", "k3", "x"), // A again, agreeing: duplicate
		v("c1", "C", "k2", "y"), // B's identity under another operator: duplicate
		v("c2", "C", "k4", "y"), // linked to B through c1: duplicate
		v("d1", "D", "", "z"),   // no identity: by operator
		v("e1", "E", "k5", "x"),
		v("e2", "E", "k6", "w"), // E contradicts itself: neither counts
		v("g1", "G", "", "x"),
	}
	out := counted(votes)
	want := map[string]bool{"a1": true, "b1": true, "d1": true, "g1": true}
	for i, o := range out {
		if votes[i].err != nil {
			if o.err != votes[i].err {
				t.Errorf("%s: error replaced", o.node)
			}
			continue
		}
		if got := o.err == nil; got != want[o.node] {
			t.Errorf("%s counts: %v, want %v (%v)", o.node, got, want[o.node], o.err)
		}
		if o.err != nil && !errors.Is(o.err, ErrDuplicate) {
			t.Errorf("%s: %v, want ErrDuplicate", o.node, o.err)
		}
	}
	if votes[3].err != nil {
		t.Error("counted modified its input")
	}
}

// Node list entries are vendor configuration, but they are parsed: no
// input panics, every node has a key and an operator, and surrounding
// space changes neither.
func FuzzNodeOperator(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:7890", "https://[::ffff:1.2.3.4]:1/", "http://a.b.co.uk", "http://[fe80::1%25x]:1", "http://.", "http://..:1", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, node string) {
		op, key := NodeOperator(node), nodeKey(node)
		if NodeOperator(" "+node+" ") != op || nodeKey(" "+node+"\t") != key {
			t.Fatalf("%q: space changes the operator or key", node)
		}
		if _, _, err := endpoint(node); err == nil && (op == "" || key == "") {
			t.Fatalf("%q: operator %q, key %q", node, op, key)
		}
	})
}
