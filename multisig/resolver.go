package multisig

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
)

// Resolver finds a multisig account's owners by asking a quorum of NIS nodes.
// Set the fields before first use; a Resolver is safe for concurrent use.
type Resolver struct {
	Nodes  []string     // base URLs; nil means MainnetNodes (TestnetNodes for a testnet account); one node, and one operator, counts once
	Sample int          // nodes asked at first (default 5)
	Quorum int          // identical answers needed (default 3); must be > Sample/2
	HTTP   *http.Client // nil: a client with sane timeouts
	Rand   io.Reader    // nil: crypto/rand (which nodes are picked must not be predictable)

	// MaxLag is how many blocks a node's chain height may differ from the
	// median of the answers before its answer stops counting (default 10).
	MaxLag uint64
	// StallAfter is how long the search waits on silent nodes before asking
	// one more (default 1.5 s). Late answers still count.
	StallAfter time.Duration
	// MaxSpread bounds how far apart the agreeing network times of
	// [Resolver.NetworkTime] may be (default 2 s).
	MaxSpread time.Duration
	// Operator names the operator group of a node URL. Nodes are drawn
	// across groups, and the answers of one group count as one vote, so
	// the list must hold at least Quorum groups. Nil means [NodeOperator]
	// (registrable domain, IPv4 /24, IPv6 /48, loopback by port); an empty
	// result makes the node a group of its own.
	Operator func(node string) string
	// LookupIP resolves a node's host name to the addresses its HTTP
	// client will dial, so that one machine listed under several names
	// (localhost and 127.0.0.1) is asked once. Nil means
	// net.DefaultResolver.LookupNetIP(ctx, "ip", host); set it when HTTP
	// dials through a resolver of its own. A failed look-up is not fatal:
	// the node is then known by its name.
	LookupIP func(ctx context.Context, host string) ([]netip.Addr, error)
	// SkipCustody turns off the custody chain (see "Custody" in the
	// package doc): answers are then believed on the quorum alone, and a
	// colluding majority of the nodes asked can name any owner. For nodes
	// that do not serve account histories only.
	SkipCustody bool
	// OnNodeError, if set, is called for every answer a quorum search
	// (owners or network time) receives from a node that gave no usable
	// answer (unreachable, an error status, a malformed or unverifiable
	// answer), with the node's URL and why. Nodes still in flight when the
	// search ends are not reported. For metrics and logs: it runs on the
	// search's goroutine, so it must be fast and safe for concurrent use.
	OnNodeError func(node string, err error)
}

// Owners is the owner set of a multisig account, as a quorum of nodes agreed.
type Owners struct {
	Account          nem.Address
	Cosignatories    []nem.PublicKey // sorted, the set a quorum agreed on
	MinCosignatories int             // as NIS reports it (0 means all must sign)
	Agreed, Asked    int             // identical answers, and nodes asked in all
	Height           uint64          // the lowest chain height among the agreeing answers
	// Custody is the verified history that leads to this owner set (nil
	// with Resolver.SkipCustody). Do not modify it.
	Custody *Custody
}

// Has reports whether p is one of the owners.
func (o *Owners) Has(p nem.PublicKey) bool {
	if o == nil {
		return false
	}
	_, ok := slices.BinarySearchFunc(o.Cosignatories, p, func(a, b nem.PublicKey) int { return bytes.Compare(a[:], b[:]) })
	return ok
}

// Required returns how many distinct owners must sign for the account: its
// MinCosignatories, where 0 means all of them.
func (o *Owners) Required() int {
	if o.MinCosignatories <= 0 || o.MinCosignatories > len(o.Cosignatories) {
		return len(o.Cosignatories)
	}
	return o.MinCosignatories
}

// String describes the owner set, e.g. "T…: 2-of-3 [ab12… …] (3 of 5 nodes agreed)".
func (o *Owners) String() string {
	return fmt.Sprintf("%s: %d-of-%d %s (%d of %d nodes agreed)", o.Account, o.Required(), len(o.Cosignatories), summarize(o.Cosignatories), o.Agreed, o.Asked)
}

func (r *Resolver) config(n nem.Network) (nodes []string, sample, quorum int, err error) {
	nodes = r.Nodes
	if nodes == nil {
		nodes = MainnetNodes
		if n == nem.Testnet {
			nodes = TestnetNodes
		}
	}
	if nodes, err = distinctNodes(nodes); err != nil {
		return nil, 0, 0, err
	}
	sample, quorum = r.Sample, r.Quorum
	if sample == 0 {
		sample = 5
	}
	if quorum == 0 {
		quorum = 3
	}
	switch {
	case sample < 1 || quorum < 1:
		err = fmt.Errorf("%w: Sample %d and Quorum %d must be positive", ErrConfig, sample, quorum)
	case quorum <= sample/2 || quorum > sample:
		err = fmt.Errorf("%w: Quorum %d must be above half of Sample %d and at most Sample", ErrConfig, quorum, sample)
	case len(nodes) < quorum:
		err = fmt.Errorf("%w: %d nodes cannot give a quorum of %d", ErrConfig, len(nodes), quorum)
	default:
		if ops := len(slices.Compact(slices.Sorted(slices.Values(r.operators(nodes))))); ops < quorum {
			err = fmt.Errorf("%w: %d nodes of %d operators cannot give a quorum of %d (one vote per operator; see Resolver.Operator)", ErrConfig, len(nodes), ops, quorum)
		}
	}
	return nodes, sample, quorum, err
}

// maxAnswer caps every node answer: an account with 32 cosignatories is
// about 12 KiB, so 64 KiB is ample and a hostile node cannot make a small
// device buffer megabytes.
const maxAnswer = 64 << 10

func (r *Resolver) client(node string) *nis.Client {
	return &nis.Client{BaseURL: node, HTTP: r.httpClient(), MaxBody: maxAnswer}
}

func (r *Resolver) httpClient() *http.Client {
	if r.HTTP != nil {
		return r.HTTP
	}
	return defaultHTTP
}

var defaultHTTP = nis.NewHTTPClient()

// Owners asks a quorum of nodes for the cosignatories of account. It returns
// [ErrNotMultisig] when a quorum agrees the account is not multisig (or is
// unknown to the chain), and an error wrapping [ErrNoQuorum] (a
// [*QuorumError]) when no quorum could be reached.
func (r *Resolver) Owners(ctx context.Context, account nem.Address) (*Owners, error) {
	return r.OwnersSince(ctx, account, nil)
}

// OwnersSince is [Resolver.Owners] for a device that has verified the
// account's history up to known (the Custody of an earlier answer, or nil):
// nodes are asked only for what is newer, and an answer counts only if the
// node's history contains known's last modification, so that no number of
// nodes can undo a change the device has seen. [OwnerCache] calls it with
// the history of its last answer.
func (r *Resolver) OwnersSince(ctx context.Context, account nem.Address, known *Custody) (*Owners, error) {
	if known != nil && known.Account() != account {
		return nil, fmt.Errorf("%w: a history of %s given for %s", ErrConfig, known.Account(), account)
	}
	if account.IsZero() {
		return nil, fmt.Errorf("%w: no account given", ErrConfig)
	}
	nodes, sample, quorum, err := r.config(account.Network())
	if err != nil {
		return nil, err
	}
	verified := &verifiedSet{}
	// Read once: the askers of nodes the round did not wait for run on
	// after it returns, and must not read the Resolver while a caller
	// changes it between searches.
	skipCustody := r.SkipCustody
	rd := &round[record]{
		nodes: nodes, sample: sample, quorum: quorum,
		maxLag: orDefaultU(r.MaxLag, 10), stall: orDefault(r.StallAfter, 1500*time.Millisecond),
		rand: r.Rand, what: "owners of " + account.String(), heights: true,
		ops: r.operators(nodes), lookup: r.LookupIP, onErr: r.OnNodeError,
		ask: func(ctx context.Context, node string) vote[record] {
			if skipCustody {
				return askOwners(ctx, r.client(node), node, account)
			}
			hist := r.readHistory(ctx, node, account, known, verified) // at the same time
			v := askOwners(ctx, r.client(node), node, account)
			return checkCustody(v, <-hist)
		},
	}
	out, err := rd.run(ctx)
	if err != nil {
		return nil, err
	}
	rec := out.value
	if !rec.multisig {
		return nil, fmt.Errorf("%w: %s (%d of %d nodes agreed)", ErrNotMultisig, account, out.agreed, out.asked)
	}
	return &Owners{
		Account: account, Cosignatories: rec.keys, MinCosignatories: rec.min,
		Agreed: out.agreed, Asked: out.asked, Height: out.height, Custody: rec.custody,
	}, nil
}

func orDefaultU(v, def uint64) uint64 {
	if v == 0 {
		return def
	}
	return v
}

// record is the canonical owner record compared between nodes.
type record struct {
	multisig bool
	min      int
	keys     []nem.PublicKey // sorted, no duplicates
	custody  *Custody        // the verified history that leads to it (nil with SkipCustody)
}

func (rec record) key() string {
	if rec.custody != nil {
		// Answers agree only if their verified histories end with the same
		// modification: the history a quorum agrees on is what the
		// Resolver keeps.
		plain := rec
		plain.custody = nil
		return plain.key() + " after " + rec.custody.Tip().String()
	}
	if !rec.multisig {
		return "not multisig"
	}
	var b strings.Builder
	b.WriteString(strconv.Itoa(rec.min))
	for _, k := range rec.keys {
		b.WriteByte(' ')
		b.WriteString(k.String())
	}
	return b.String()
}

func (rec record) summary() string {
	if !rec.multisig {
		return "not multisig"
	}
	return fmt.Sprintf("min %d of %d %s", rec.min, len(rec.keys), summarize(rec.keys))
}
