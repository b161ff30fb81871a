package serve

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/nemiot/nemiot/multisig"
)

// noQuorumHint says what to do when no quorum of nodes answers.
const noQuorumHint = "offline lab: -owners OWNER_KEY; else -nodes with 3+ reachable operators"

// Bounds of quorumSummary, so that its line stays short whatever the
// nodes said: at most maxNamed node names and maxReasons reasons, each at
// most maxField bytes, and maxSummary bytes in all.
const (
	maxNamed   = 3
	maxReasons = 2
	maxField   = 40
	maxSummary = 240
)

// quorumSummary says in at most maxSummary bytes which nodes failed and
// why, for a failed owner quorum: "5 of 5 asked failed (127.0.0.1:1,
// 127.0.0.1:2, 127.0.0.1:3 and 2 more): connection refused ×5; 3 agreeing
// answers needed". What each node said in full is err's text.
func quorumSummary(err error) string {
	var qe *multisig.QuorumError
	if !errors.As(err, &qe) {
		return clip(err.Error(), maxSummary)
	}
	var failed []string
	reasons := map[string]int{}
	for _, a := range qe.Answers {
		if a.Err == nil {
			continue
		}
		failed = append(failed, clip(nodeName(a.Node), maxField))
		reasons[clip(reason(a.Err), maxField)]++
	}
	slices.Sort(failed)
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d asked failed", len(failed), qe.Asked)
	if len(failed) > 0 {
		b.WriteString(" (")
		b.WriteString(strings.Join(failed[:min(len(failed), maxNamed)], ", "))
		if more := len(failed) - maxNamed; more > 0 {
			fmt.Fprintf(&b, " and %d more", more)
		}
		b.WriteString("):")
		// Most frequent reasons first, ties by name.
		rs := slices.SortedFunc(maps.Keys(reasons), func(x, y string) int {
			if reasons[x] != reasons[y] {
				return reasons[y] - reasons[x]
			}
			return strings.Compare(x, y)
		})
		for i, r := range rs[:min(len(rs), maxReasons)] {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, " %s ×%d", r, reasons[r])
		}
		if len(rs) > maxReasons {
			b.WriteString(", …")
		}
	}
	if qe.Cause != nil {
		b.WriteString("; search ended: ")
		b.WriteString(clip(reason(qe.Cause), maxField))
	}
	fmt.Fprintf(&b, "; %d agreeing answers needed", qe.Needed)
	return clip(b.String(), maxSummary)
}

// nodeName is a node URL's host:port, or the URL if it has none.
func nodeName(node string) string {
	if u, err := url.Parse(node); err == nil && u.Host != "" {
		return u.Host
	}
	return node
}

// reason is why a node failed, in a few words: the innermost network
// error ("connection refused", "no such host", "timeout") or the error's
// own text.
func reason(err error) string {
	var dns *net.DNSError
	var op *net.OpError
	var sys *os.SyscallError
	var ne net.Error
	switch {
	case errors.As(err, &dns):
		return dns.Err
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.As(err, &sys):
		return sys.Err.Error()
	case errors.As(err, &op):
		return op.Err.Error()
	}
	return err.Error()
}

// clip cuts s to at most n bytes, on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
