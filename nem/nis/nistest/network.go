package nistest

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
)

// Options configure a Network. The zero value (or a nil *Options) is a
// testnet at height 1000 whose network time is the current time.
type Options struct {
	// Network is the NEM network the nodes serve; zero means nem.Testnet.
	Network nem.Network
	// Height is the chain height at start; zero means 1000.
	Height int64
	// Time is the network time at start; zero means Clock's time. Network
	// time then runs with Clock (see [Network.SetTime], [Network.Advance]).
	Time time.Time
	// Clock is the time source network time runs on; nil means time.Now.
	// Inject a fixed clock for deterministic tests.
	Clock func() time.Time
	// Rand supplies the keys of [Network.NewAccount], of the nodes and of the
	// funding account; nil means crypto/rand. A seeded reader makes a
	// network reproducible.
	Rand io.Reader
	// Balance is what [Network.NewAccount] funds each account with, in
	// micro-XEM; zero means 1,000 XEM.
	Balance uint64
	// Features are the features every node announces; zero means
	// nis.FeatureTransactionHashLookup. See also [Node.SetFeatures].
	Features nis.Features
	// HashRetention is how long (in network time) a node finds a confirmed
	// transaction by hash; zero means NIS's default of 36 hours, negative
	// means forever.
	HashRetention time.Duration
}

// Network is a set of local NIS nodes that share one chain. Its methods
// change the chain (accounts, multisig links, transactions, height, network
// time); every node then answers from it, honestly or as its [Behavior]
// says. A Network is safe for concurrent use.
type Network struct {
	opts    Options
	nodes   []*Node
	nemesis *nem.PrivateKey

	randMu sync.Mutex

	mu      sync.RWMutex
	height  int64
	offset  time.Duration // network time = Clock() + offset
	snaps   []*snapshot   // ascending heights; the first is the start state
	records []*record     // ascending heights
	byHash  map[nis.Hash]*record
	pending []*pending
	closed  bool
}

const (
	defaultHeight  = 1000
	defaultBalance = 1_000 * 1_000_000
	nemesisBalance = 8_999_999_999 * 1_000_000
	deadlineAfter  = 3600 // seconds, for transactions the helpers make
)

// Start starts n nodes listening on 127.0.0.1 (n ≥ 1). Call Close when done.
// Programs other than tests use Start; tests can use [NewNetwork].
func Start(n int, opts *Options) (*Network, error) {
	if n < 1 {
		return nil, errors.New("nistest: need at least one node")
	}
	net := &Network{byHash: map[nis.Hash]*record{}}
	if opts != nil {
		net.opts = *opts
	}
	o := &net.opts
	if o.Network == 0 {
		o.Network = nem.Testnet
	}
	if !o.Network.Valid() {
		return nil, fmt.Errorf("nistest: %w: 0x%02x", nem.ErrUnknownNetwork, byte(o.Network))
	}
	if o.Height <= 0 {
		o.Height = defaultHeight
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Balance == 0 {
		o.Balance = defaultBalance
	}
	if o.Features == 0 {
		o.Features = nis.FeatureTransactionHashLookup
	}
	if o.HashRetention == 0 {
		o.HashRetention = 36 * time.Hour
	}
	if !o.Time.IsZero() {
		net.offset = o.Time.Sub(o.Clock())
	}
	net.height = o.Height
	var err error
	if net.nemesis, err = nem.GeneratePrivateKey(o.Rand); err != nil {
		return nil, fmt.Errorf("nistest: %w", err)
	}
	genesis := &snapshot{height: o.Height, accounts: map[nem.Address]*account{}}
	na := net.nemesis.Address(o.Network)
	genesis.accounts[na] = &account{address: na, publicKey: net.nemesis.PublicKey(), balance: nemesisBalance}
	net.snaps = []*snapshot{genesis}
	for i := range n {
		id, err := nem.GeneratePrivateKey(o.Rand)
		if err != nil {
			net.Close()
			return nil, fmt.Errorf("nistest: %w", err)
		}
		nd := newNode(net, i, id.PublicKey())
		if err := nd.listen(); err != nil {
			net.Close()
			return nil, err
		}
		net.nodes = append(net.nodes, nd)
	}
	return net, nil
}

// NewNetwork is [Start] for tests: it fails tb if the nodes cannot start and
// closes the network when tb's test ends.
func NewNetwork(tb testing.TB, n int, opts *Options) *Network {
	tb.Helper()
	net, err := Start(n, opts)
	if err != nil {
		tb.Fatalf("nistest: %v", err)
	}
	tb.Cleanup(net.Close)
	return net
}

// Close stops every node and waits for their requests to end. It is safe to
// call more than once.
func (n *Network) Close() {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	var wg sync.WaitGroup
	for _, nd := range n.nodes {
		wg.Go(nd.close)
	}
	wg.Wait()
}

// URLs returns the base URLs of the nodes, e.g. "http://127.0.0.1:41234",
// in node order. A node's URL does not change when it goes down and up.
func (n *Network) URLs() []string {
	out := make([]string, len(n.nodes))
	for i, nd := range n.nodes {
		out[i] = nd.url
	}
	return out
}

// Node returns node i (0 ≤ i < number of nodes).
func (n *Network) Node(i int) *Node { return n.nodes[i] }

// Nodes returns all nodes, in order.
func (n *Network) Nodes() []*Node { return slices.Clone(n.nodes) }

// NetworkID returns the NEM network the nodes serve.
func (n *Network) NetworkID() nem.Network { return n.opts.Network }

// Height returns the current chain height (what an honest node reports).
func (n *Network) Height() int64 {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.height
}

// Time returns the current network time.
func (n *Network) Time() time.Time {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.nowLocked()
}

func (n *Network) nowLocked() time.Time { return n.opts.Clock().Add(n.offset) }

// SetTime sets the network time to t; it runs on from there with the clock.
func (n *Network) SetTime(t time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.offset = t.Sub(n.opts.Clock())
}

// Advance adds blocks empty blocks to the chain and moves network time
// forward by d (either may be zero).
func (n *Network) Advance(blocks int, d time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if blocks > 0 {
		n.height += int64(blocks)
	}
	n.offset += d
}

// NewAccount returns a new key whose account holds Options.Balance (funded
// by a transfer, so it has a balance but, until it signs something, no
// public key on chain). It panics if Options.Rand fails.
func (n *Network) NewAccount() *nem.PrivateKey {
	n.randMu.Lock()
	k, err := nem.GeneratePrivateKey(n.opts.Rand)
	n.randMu.Unlock()
	if err != nil {
		panic(fmt.Sprintf("nistest: generating a key: %v", err))
	}
	if _, err := n.Fund(k.Address(n.opts.Network), n.opts.Balance); err != nil {
		panic(fmt.Sprintf("nistest: funding a new account: %v", err))
	}
	return k
}

// Fund transfers amount micro-XEM to address a from the network's funding
// account, in a new block.
func (n *Network) Fund(a nem.Address, amount uint64) (nis.Hash, error) {
	return n.AddTransfer(n.nemesis, a, amount, nis.Message{})
}

// AddTransfer confirms, in a new block, a transfer of amount micro-XEM and
// msg from the key's account to account to, signed by from, with the
// minimum fee. An Apostille is such a transfer (to the Apostille sink or a
// dedicated account, with the Apostille payload as a plain message).
func (n *Network) AddTransfer(from *nem.PrivateKey, to nem.Address, amount uint64, msg nis.Message) (nis.Hash, error) {
	tx := n.template(nis.TypeTransfer)
	tx.Recipient, tx.Amount, tx.Message = to, amount, msg
	tx.Fee = nis.MinimumFee(tx)
	if _, err := tx.Sign(from); err != nil {
		return nis.Hash{}, err
	}
	return n.AddTransaction(tx)
}

// AddMultisigTransfer confirms, in a new block, a transfer from the multisig
// account of key multisig, wrapped in a multisig transaction initiated by
// signers[0] and cosigned by the other signers, who must be enough
// cosignatories.
func (n *Network) AddMultisigTransfer(multisig nem.PublicKey, to nem.Address, amount uint64, msg nis.Message, signers ...*nem.PrivateKey) (nis.Hash, error) {
	inner := n.template(nis.TypeTransfer)
	inner.Signer, inner.Recipient, inner.Amount, inner.Message = multisig, to, amount, msg
	inner.Fee = nis.MinimumFee(inner)
	return n.addWrapped(inner, signers)
}

// ConvertToMultisig confirms, in a new block, the conversion of account's
// account into a min-of-n multisig account with the given cosignatories: a
// multisig aggregate modification (version 2, relative change min) signed
// by account itself, as NanoWallet makes it. min 0 stores 0, which NIS reads
// as n-of-n.
func (n *Network) ConvertToMultisig(account *nem.PrivateKey, min int, cosigners ...nem.PublicKey) (nis.Hash, error) {
	tx := n.template(nis.TypeMultisigModification)
	for _, c := range cosigners {
		tx.Modifications = append(tx.Modifications, nis.Modification{Type: nis.AddCosignatory, Cosignatory: c})
	}
	tx.MinCosignatoriesChange = int32(min)
	tx.Fee = nis.MinimumFee(tx)
	if _, err := tx.Sign(account); err != nil {
		return nis.Hash{}, err
	}
	return n.AddTransaction(tx)
}

// ModifyMultisig confirms, in a new block, a change of the cosignatories of
// the multisig account of key multisig: add and remove (NIS allows at most
// one removal) and a relative change of the minimum. signers[0] initiates
// the multisig transaction and the others cosign; together they must meet
// the account's threshold.
func (n *Network) ModifyMultisig(multisig nem.PublicKey, add, remove []nem.PublicKey, minChange int, signers ...*nem.PrivateKey) (nis.Hash, error) {
	inner := n.template(nis.TypeMultisigModification)
	inner.Signer = multisig
	for _, k := range add {
		inner.Modifications = append(inner.Modifications, nis.Modification{Type: nis.AddCosignatory, Cosignatory: k})
	}
	for _, k := range remove {
		inner.Modifications = append(inner.Modifications, nis.Modification{Type: nis.RemoveCosignatory, Cosignatory: k})
	}
	inner.MinCosignatoriesChange = int32(minChange)
	inner.Fee = nis.MinimumFee(inner)
	return n.addWrapped(inner, signers)
}

func (n *Network) addWrapped(inner *nis.Transaction, signers []*nem.PrivateKey) (nis.Hash, error) {
	if len(signers) == 0 {
		return nis.Hash{}, errors.New("nistest: a multisig transaction needs at least one signer")
	}
	w := n.template(nis.TypeMultisig)
	w.Inner = inner
	w.Fee = nis.MinimumFee(w)
	if _, err := w.Sign(signers[0]); err != nil {
		return nis.Hash{}, err
	}
	for _, s := range signers[1:] {
		c, err := nis.NewCosignature(w, w.TimeStamp, w.Deadline)
		if err != nil {
			return nis.Hash{}, err
		}
		if _, err := c.Sign(s); err != nil {
			return nis.Hash{}, err
		}
		w.Cosignatures = append(w.Cosignatures, c)
	}
	return n.AddTransaction(w)
}

// template returns an unsigned transaction of type t dated now.
func (n *Network) template(t nis.TransactionType) *nis.Transaction {
	now := nem.TimestampOf(n.Time())
	return &nis.Transaction{Type: t, Network: n.opts.Network, TimeStamp: now, Deadline: now + deadlineAfter}
}

// AddTransaction validates a signed transaction as a NIS node would and
// confirms it in a new block. A multisig wrapper must carry enough
// cosignatures. A transaction a node would refuse fails with an
// *nis.AnnounceError holding the NIS validation result (it matches
// nis.ErrRejected).
func (n *Network) AddTransaction(tx *nis.Transaction) (nis.Hash, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	h, _, err := n.submitLocked(tx, true)
	return h, err
}

// submitLocked validates tx and confirms it, or (for a multisig wrapper
// short of cosignatures, when complete is false) adds it to the pending
// pool. It returns the transaction hash and whether it was confirmed.
func (n *Network) submitLocked(tx *nis.Transaction, complete bool) (nis.Hash, bool, error) {
	if n.closed {
		return nis.Hash{}, false, errors.New("nistest: network closed")
	}
	if tx.Network != n.opts.Network {
		return nis.Hash{}, false, reject(failureWrongNetwork)
	}
	if err := tx.Verify(); err != nil {
		if errors.Is(err, nis.ErrBadSignature) || errors.Is(err, nis.ErrHashMismatch) {
			return nis.Hash{}, false, reject(failureSignature)
		}
		return nis.Hash{}, false, err
	}
	h, err := tx.Hash()
	if err != nil {
		return nis.Hash{}, false, err
	}
	if n.byHash[h] != nil || n.findPending(func(p *pending) bool { return p.hash == h }) != nil {
		return h, false, reject(failureHashExists)
	}
	if err := n.checkTimeAndFee(tx); err != nil {
		return h, false, err
	}
	switch tx.Type {
	case nis.TypeMultisigSignature:
		return h, false, n.cosignLocked(tx)
	case nis.TypeMultisig:
		ready, err := n.checkWrapper(tx)
		if err != nil {
			return h, false, err
		}
		if !ready {
			if complete {
				return h, false, reject(failureInvalidCosigners)
			}
			ih, _ := tx.InnerHash()
			n.pending = append(n.pending, &pending{tx: tx, hash: h, innerHash: ih})
			return h, false, nil
		}
	}
	if err := n.confirmLocked(tx, h); err != nil {
		return h, false, err
	}
	return h, true, nil
}

func (n *Network) checkTimeAndFee(tx *nis.Transaction) error {
	now := nem.TimestampOf(n.nowLocked())
	switch {
	case tx.TimeStamp > now+10:
		return reject(failureTimestampFuture)
	case tx.Deadline <= tx.TimeStamp || tx.Deadline < now:
		return reject(failurePastDeadline)
	case int64(tx.Deadline) > int64(tx.TimeStamp)+24*3600:
		return reject(failureFutureDeadline)
	case tx.Fee < nis.MinimumFee(tx):
		return reject(failureInsufficientFee)
	}
	if tx.Type == nis.TypeMultisig {
		if tx.Inner.Fee < nis.MinimumFee(tx.Inner) {
			return reject(failureInsufficientFee)
		}
		for _, c := range tx.Cosignatures {
			if err := n.checkTimeAndFee(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkWrapper checks who signed a multisig wrapper and reports whether the
// signatures suffice.
func (n *Network) checkWrapper(tx *nis.Transaction) (bool, error) {
	if tx.Inner.Type != nis.TypeTransfer && tx.Inner.Type != nis.TypeMultisigModification {
		return false, reject(failureUnknown)
	}
	state := n.snaps[len(n.snaps)-1]
	c := &change{net: n.opts.Network, accounts: state.accounts}
	m := c.byKey(tx.Inner.Signer)
	if !m.isMultisig() {
		return false, reject(failureNoMatchingMultisig)
	}
	eligible, need := cosignersNeeded(m, tx.Inner)
	signed := map[nem.PublicKey]bool{}
	for _, s := range append([]*nis.Transaction{tx}, tx.Cosignatures...) {
		if !slices.Contains(eligible, s.Signer) {
			return false, reject(failureNotACosigner)
		}
		if signed[s.Signer] {
			return false, reject(failureMismatchedSignature)
		}
		signed[s.Signer] = true
	}
	return len(signed) >= need, nil
}

// cosignLocked adds an announced cosignature to its pending wrapper and
// confirms the wrapper once it has enough.
func (n *Network) cosignLocked(c *nis.Transaction) error {
	p := n.findPending(func(p *pending) bool { return p.innerHash == c.OtherHash })
	if p == nil {
		return reject(failureNoMatchingMultisig)
	}
	w := *p.tx
	w.Cosignatures = append(slices.Clone(w.Cosignatures), c)
	if err := w.Verify(); err != nil {
		return reject(failureSignature)
	}
	ready, err := n.checkWrapper(&w)
	if err != nil {
		return err
	}
	p.tx = &w
	if !ready {
		return nil
	}
	n.pending = slices.DeleteFunc(n.pending, func(q *pending) bool { return q == p })
	return n.confirmLocked(&w, p.hash)
}

func (n *Network) findPending(f func(*pending) bool) *pending {
	for _, p := range n.pending {
		if f(p) {
			return p
		}
	}
	return nil
}

// confirmLocked applies tx to the current state in a new block.
func (n *Network) confirmLocked(tx *nis.Transaction, h nis.Hash) error {
	base := n.snaps[len(n.snaps)-1]
	c := newChange(base, n.opts.Network)
	rec := &record{hash: h, tx: tx}
	signer := tx.Signer.Address(n.opts.Network)
	switch tx.Type {
	case nis.TypeTransfer:
		if c.get(signer).isMultisig() {
			return reject(failureNotAllowedMultisig)
		}
		if err := c.debit(signer, tx.Fee); err != nil {
			return err
		}
		if err := c.applyTransfer(tx, signer); err != nil {
			return err
		}
		rec.outgoing = []nem.Address{signer}
		rec.incoming = []nem.Address{tx.Recipient}
	case nis.TypeMultisigModification:
		if err := c.debit(signer, tx.Fee); err != nil {
			return err
		}
		if err := c.applyModification(tx, tx.Signer, false); err != nil {
			return err
		}
		rec.outgoing = []nem.Address{signer}
		rec.incoming = modified(tx, n.opts.Network)
	case nis.TypeMultisig:
		inner := tx.Inner
		m := inner.Signer.Address(n.opts.Network)
		fees := tx.Fee + inner.Fee
		for _, s := range tx.Cosignatures {
			fees += s.Fee
		}
		rec.outgoing = []nem.Address{m, signer}
		for _, k := range c.get(m).cosigners {
			rec.outgoing = append(rec.outgoing, k.Address(n.opts.Network))
		}
		if err := c.debit(m, fees); err != nil {
			return err
		}
		if inner.Type == nis.TypeTransfer {
			if err := c.applyTransfer(inner, m); err != nil {
				return err
			}
			rec.incoming = []nem.Address{inner.Recipient}
		} else {
			if err := c.applyModification(inner, inner.Signer, true); err != nil {
				return err
			}
			rec.incoming = modified(inner, n.opts.Network)
		}
		c.reveal(inner.Signer)
		for _, s := range tx.Cosignatures {
			c.reveal(s.Signer)
		}
		rec.innerHash, _ = tx.InnerHash()
	default:
		return reject(failureUnknown)
	}
	c.reveal(tx.Signer)
	js, err := tx.MarshalJSON()
	if err != nil {
		return err
	}
	n.height++
	rec.height, rec.blockTime, rec.json = n.height, n.nowLocked(), js
	rec.seq = int64(len(n.records) + 1)
	n.records = append(n.records, rec)
	n.byHash[h] = rec
	n.snaps = append(n.snaps, &snapshot{height: n.height, accounts: c.accounts})
	return nil
}

func modified(tx *nis.Transaction, net nem.Network) []nem.Address {
	out := make([]nem.Address, 0, len(tx.Modifications))
	for _, m := range tx.Modifications {
		out = append(out, m.Cosignatory.Address(net))
	}
	return out
}

// view is the chain as one node shows it: at height (the current one, or
// older for a lagging node).
type view struct {
	height  int64
	snap    *snapshot
	records []*record
	pending []*pending
	now     time.Time
}

// viewAt returns the chain as of lag blocks ago.
func (n *Network) viewAt(lag int64) view {
	n.mu.RLock()
	defer n.mu.RUnlock()
	h := max(n.height-max(lag, 0), 1)
	i := sort.Search(len(n.snaps), func(i int) bool { return n.snaps[i].height > h }) - 1
	snap := n.snaps[max(i, 0)]
	if i < 0 {
		snap = &snapshot{height: h, accounts: map[nem.Address]*account{}}
	}
	j := sort.Search(len(n.records), func(i int) bool { return n.records[i].height > h })
	v := view{height: h, snap: snap, records: n.records[:j:j], now: n.nowLocked()}
	if lag <= 0 {
		v.pending = slices.Clone(n.pending)
	}
	return v
}

// announce handles a /transaction/announce body.
func (n *Network) announce(st *nis.SignedTransaction) (code int, h, inner nis.Hash) {
	tx, err := st.Transaction()
	if err != nil {
		return failureUnknown, st.Hash(), nis.Hash{}
	}
	if tx.Type == nis.TypeMultisig {
		inner, _ = tx.InnerHash()
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	h, _, err = n.submitLocked(tx, false)
	if err != nil {
		var ae *nis.AnnounceError
		if errors.As(err, &ae) {
			return ae.Code, st.Hash(), inner
		}
		return failureUnknown, st.Hash(), inner
	}
	return 1, h, inner
}
