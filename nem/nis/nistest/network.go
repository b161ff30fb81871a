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
	"github.com/nemiot/nemiot/nem/tx"
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
	byHash  map[tx.Hash]*record
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
	net := &Network{byHash: map[tx.Hash]*record{}}
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
func (n *Network) Fund(a nem.Address, amount uint64) (tx.Hash, error) {
	return n.AddTransfer(n.nemesis, a, amount, tx.Message{})
}

// AddTransfer confirms, in a new block, a transfer of amount micro-XEM and
// msg from the key's account to account to, signed by from, with the
// minimum fee. An Apostille is such a transfer (to the Apostille sink or a
// dedicated account, with the Apostille payload as a plain message).
func (n *Network) AddTransfer(from *nem.PrivateKey, to nem.Address, amount uint64, msg tx.Message) (tx.Hash, error) {
	txn := n.template(tx.TypeTransfer)
	txn.Recipient, txn.Amount, txn.Message = to, amount, msg
	txn.Fee = tx.MinimumFee(txn)
	if _, err := txn.Sign(from); err != nil {
		return tx.Hash{}, err
	}
	return n.AddTransaction(txn)
}

// AddMultisigTransfer confirms, in a new block, a transfer from the multisig
// account of key multisig, wrapped in a multisig transaction initiated by
// signers[0] and cosigned by the other signers, who must be enough
// cosignatories.
func (n *Network) AddMultisigTransfer(multisig nem.PublicKey, to nem.Address, amount uint64, msg tx.Message, signers ...*nem.PrivateKey) (tx.Hash, error) {
	inner := n.template(tx.TypeTransfer)
	inner.Signer, inner.Recipient, inner.Amount, inner.Message = multisig, to, amount, msg
	inner.Fee = tx.MinimumFee(inner)
	return n.addWrapped(inner, signers)
}

// ConvertToMultisig confirms, in a new block, the conversion of account's
// account into a min-of-n multisig account with the given cosignatories: a
// multisig aggregate modification (version 2, relative change min) signed
// by account itself, as NanoWallet makes it. min 0 stores 0, which NIS reads
// as n-of-n.
func (n *Network) ConvertToMultisig(account *nem.PrivateKey, min int, cosigners ...nem.PublicKey) (tx.Hash, error) {
	txn := n.template(tx.TypeMultisigModification)
	for _, c := range cosigners {
		txn.Modifications = append(txn.Modifications, tx.Modification{Type: tx.AddCosignatory, Cosignatory: c})
	}
	txn.MinCosignatoriesChange = int32(min)
	txn.Fee = tx.MinimumFee(txn)
	if _, err := txn.Sign(account); err != nil {
		return tx.Hash{}, err
	}
	return n.AddTransaction(txn)
}

// ModifyMultisig confirms, in a new block, a change of the cosignatories of
// the multisig account of key multisig: add and remove (NIS allows at most
// one removal) and a relative change of the minimum. signers[0] initiates
// the multisig transaction and the others cosign; together they must meet
// the account's threshold.
func (n *Network) ModifyMultisig(multisig nem.PublicKey, add, remove []nem.PublicKey, minChange int, signers ...*nem.PrivateKey) (tx.Hash, error) {
	inner := n.template(tx.TypeMultisigModification)
	inner.Signer = multisig
	for _, k := range add {
		inner.Modifications = append(inner.Modifications, tx.Modification{Type: tx.AddCosignatory, Cosignatory: k})
	}
	for _, k := range remove {
		inner.Modifications = append(inner.Modifications, tx.Modification{Type: tx.RemoveCosignatory, Cosignatory: k})
	}
	inner.MinCosignatoriesChange = int32(minChange)
	inner.Fee = tx.MinimumFee(inner)
	return n.addWrapped(inner, signers)
}

func (n *Network) addWrapped(inner *tx.Transaction, signers []*nem.PrivateKey) (tx.Hash, error) {
	if len(signers) == 0 {
		return tx.Hash{}, errors.New("nistest: a multisig transaction needs at least one signer")
	}
	w := n.template(tx.TypeMultisig)
	w.Inner = inner
	w.Fee = tx.MinimumFee(w)
	if _, err := w.Sign(signers[0]); err != nil {
		return tx.Hash{}, err
	}
	for _, s := range signers[1:] {
		c, err := tx.NewCosignature(w, w.TimeStamp, w.Deadline)
		if err != nil {
			return tx.Hash{}, err
		}
		if _, err := c.Sign(s); err != nil {
			return tx.Hash{}, err
		}
		w.Cosignatures = append(w.Cosignatures, c)
	}
	return n.AddTransaction(w)
}

// template returns an unsigned transaction of type t dated now.
func (n *Network) template(t tx.TransactionType) *tx.Transaction {
	now := nem.TimestampOf(n.Time())
	return &tx.Transaction{Type: t, Network: n.opts.Network, TimeStamp: now, Deadline: now + deadlineAfter}
}

// AddTransaction validates a signed transaction as a NIS node would and
// confirms it in a new block. A multisig wrapper must carry enough
// cosignatures. A transaction a node would refuse fails with an
// *nis.AnnounceError holding the NIS validation result (it matches
// nis.ErrRejected).
func (n *Network) AddTransaction(txn *tx.Transaction) (tx.Hash, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	h, _, err := n.submitLocked(txn, true)
	return h, err
}

// submitLocked validates txn and confirms it, or (for a multisig wrapper
// short of cosignatures, when complete is false) adds it to the pending
// pool. It returns the transaction hash and whether it was confirmed.
func (n *Network) submitLocked(txn *tx.Transaction, complete bool) (tx.Hash, bool, error) {
	if n.closed {
		return tx.Hash{}, false, errors.New("nistest: network closed")
	}
	if txn.Network != n.opts.Network {
		return tx.Hash{}, false, reject(failureWrongNetwork)
	}
	if err := txn.Verify(); err != nil {
		if errors.Is(err, tx.ErrBadSignature) || errors.Is(err, tx.ErrHashMismatch) {
			return tx.Hash{}, false, reject(failureSignature)
		}
		return tx.Hash{}, false, err
	}
	h, err := txn.Hash()
	if err != nil {
		return tx.Hash{}, false, err
	}
	if n.byHash[h] != nil || n.findPending(func(p *pending) bool { return p.hash == h }) != nil {
		return h, false, reject(failureHashExists)
	}
	if err := n.checkTimeAndFee(txn); err != nil {
		return h, false, err
	}
	switch txn.Type {
	case tx.TypeMultisigSignature:
		return h, false, n.cosignLocked(txn)
	case tx.TypeMultisig:
		ready, err := n.checkWrapper(txn)
		if err != nil {
			return h, false, err
		}
		if !ready {
			if complete {
				return h, false, reject(failureInvalidCosigners)
			}
			ih, _ := txn.InnerHash()
			n.pending = append(n.pending, &pending{txn: txn, hash: h, innerHash: ih})
			return h, false, nil
		}
	}
	if err := n.confirmLocked(txn, h); err != nil {
		return h, false, err
	}
	return h, true, nil
}

func (n *Network) checkTimeAndFee(txn *tx.Transaction) error {
	now := nem.TimestampOf(n.nowLocked())
	switch {
	case txn.TimeStamp > now+10:
		return reject(failureTimestampFuture)
	case txn.Deadline <= txn.TimeStamp || txn.Deadline < now:
		return reject(failurePastDeadline)
	case int64(txn.Deadline) > int64(txn.TimeStamp)+24*3600:
		return reject(failureFutureDeadline)
	case txn.Fee < tx.MinimumFee(txn):
		return reject(failureInsufficientFee)
	}
	if txn.Type == tx.TypeMultisig {
		if txn.Inner.Fee < tx.MinimumFee(txn.Inner) {
			return reject(failureInsufficientFee)
		}
		for _, c := range txn.Cosignatures {
			if err := n.checkTimeAndFee(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkWrapper checks who signed a multisig wrapper and reports whether the
// signatures suffice.
func (n *Network) checkWrapper(txn *tx.Transaction) (bool, error) {
	if txn.Inner.Type != tx.TypeTransfer && txn.Inner.Type != tx.TypeMultisigModification {
		return false, reject(failureUnknown)
	}
	state := n.snaps[len(n.snaps)-1]
	c := &change{net: n.opts.Network, accounts: state.accounts}
	m := c.byKey(txn.Inner.Signer)
	if !m.isMultisig() {
		return false, reject(failureNoMatchingMultisig)
	}
	eligible, need := cosignersNeeded(m, txn.Inner)
	signed := map[nem.PublicKey]bool{}
	counted := 0
	for _, s := range append([]*tx.Transaction{txn}, txn.Cosignatures...) {
		// Any cosignatory may sign (the one being removed too: the sole
		// owner of a 1-of-1 account hands it over), but the one being
		// removed does not count.
		if !m.hasCosigner(s.Signer) {
			return false, reject(failureNotACosigner)
		}
		if signed[s.Signer] {
			return false, reject(failureMismatchedSignature)
		}
		signed[s.Signer] = true
		if slices.Contains(eligible, s.Signer) {
			counted++
		}
	}
	return counted >= need, nil
}

// cosignLocked adds an announced cosignature to its pending wrapper and
// confirms the wrapper once it has enough.
func (n *Network) cosignLocked(c *tx.Transaction) error {
	p := n.findPending(func(p *pending) bool { return p.innerHash == c.OtherHash })
	if p == nil {
		return reject(failureNoMatchingMultisig)
	}
	w := *p.txn
	w.Cosignatures = append(slices.Clone(w.Cosignatures), c)
	if err := w.Verify(); err != nil {
		return reject(failureSignature)
	}
	ready, err := n.checkWrapper(&w)
	if err != nil {
		return err
	}
	p.txn = &w
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

// confirmLocked applies txn to the current state in a new block.
func (n *Network) confirmLocked(txn *tx.Transaction, h tx.Hash) error {
	base := n.snaps[len(n.snaps)-1]
	c := newChange(base, n.opts.Network)
	rec := &record{hash: h, txn: txn}
	signer := txn.Signer.Address(n.opts.Network)
	switch txn.Type {
	case tx.TypeTransfer:
		if c.get(signer).isMultisig() {
			return reject(failureNotAllowedMultisig)
		}
		if err := c.debit(signer, txn.Fee); err != nil {
			return err
		}
		if err := c.applyTransfer(txn, signer); err != nil {
			return err
		}
		rec.outgoing = []nem.Address{signer}
		rec.incoming = []nem.Address{txn.Recipient}
	case tx.TypeMultisigModification:
		if err := c.debit(signer, txn.Fee); err != nil {
			return err
		}
		if err := c.applyModification(txn, txn.Signer, false); err != nil {
			return err
		}
		rec.outgoing = []nem.Address{signer}
		rec.incoming = modified(txn, n.opts.Network)
	case tx.TypeMultisig:
		inner := txn.Inner
		m := inner.Signer.Address(n.opts.Network)
		fees := txn.Fee + inner.Fee
		for _, s := range txn.Cosignatures {
			fees += s.Fee
		}
		rec.outgoing = []nem.Address{m, signer}
		for _, k := range c.get(m).cosigners {
			rec.outgoing = append(rec.outgoing, k.Address(n.opts.Network))
		}
		if err := c.debit(m, fees); err != nil {
			return err
		}
		if inner.Type == tx.TypeTransfer {
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
		for _, s := range txn.Cosignatures {
			c.reveal(s.Signer)
		}
		rec.innerHash, _ = txn.InnerHash()
	default:
		return reject(failureUnknown)
	}
	c.reveal(txn.Signer)
	js, err := txn.MarshalJSON()
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

func modified(txn *tx.Transaction, net nem.Network) []nem.Address {
	out := make([]nem.Address, 0, len(txn.Modifications))
	for _, m := range txn.Modifications {
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
func (n *Network) announce(st *tx.SignedTransaction) (code int, h, inner tx.Hash) {
	txn, err := st.Transaction()
	if err != nil {
		return failureUnknown, st.Hash(), tx.Hash{}
	}
	if txn.Type == tx.TypeMultisig {
		inner, _ = txn.InnerHash()
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	h, _, err = n.submitLocked(txn, false)
	if err != nil {
		var ae *nis.AnnounceError
		if errors.As(err, &ae) {
			return ae.Code, st.Hash(), inner
		}
		return failureUnknown, st.Hash(), inner
	}
	return 1, h, inner
}
