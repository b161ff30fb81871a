package nistest

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/tx"
)

// Behavior is how a node answers. The zero Behavior is an honest node. The
// constructors (Honest, Lying, Lagging, Ahead, TimeShifted, Slow, Down,
// Malformed, Oversized, Error, HTMLError, WrongNetwork) make the common
// cases; fields can be
// combined, e.g. a lying node that is also slow, or one that claims a much
// higher chain height to drag a median:
//
//	b := nistest.Lying([]nem.PublicKey{attacker}, 1)
//	b.Delay = 200 * time.Millisecond
//	b.HeightBoost = 5000
//	net.Node(3).SetBehavior(b)
//
// Behaviors change answers, not the chain: a transaction announced to a
// lagging, lying, malformed or oversized node still reaches the shared
// chain (a node in Error or Down state refuses it).
type Behavior struct {
	// Down stops the node listening: connections are refused, and open
	// connections are closed. The node listens again on the same port when
	// set to a behavior that is not Down.
	Down bool
	// Delay holds every answer back this long (ended early when the client
	// gives up). A delay longer than the client's timeout is a hung node.
	Delay time.Duration
	// Lag serves the chain as it was this many blocks ago: old height, old
	// accounts and multisig links, old transaction lists.
	Lag int
	// HeightBoost adds this many blocks to every height the node reports:
	// /chain/height and the meta.height of the transactions it lists. What
	// it serves stays the state of its (possibly lagging) chain: the node
	// claims to be ahead without being so. Negative values claim a lower
	// height (never below 1) while serving the current state.
	HeightBoost int
	// TimeShift moves the node's clock: every time it reports from it
	// (/time-sync/network-time, /node/extended-info's startTime and
	// currentTime, the timeStamp of its error JSON) is shifted by this much,
	// as on a node whose clock is off. Times inside signed transactions are
	// chain data and stay as signed, and transaction expiry (Options.HashRetention)
	// still runs on the network's time.
	TimeShift time.Duration
	// Lie, if set, replaces the multisig configuration in account answers.
	Lie *Lie
	// Malformed answers with the honest body cut in half: invalid JSON.
	Malformed bool
	// Oversized, if positive, answers 200 with a JSON-looking body of this
	// many bytes, streamed without a Content-Length.
	Oversized int64
	// ErrorStatus, if set, answers with NIS error JSON of this HTTP status and
	// message ErrorMessage (the "error" field is the status's reason phrase).
	// /heartbeat and /status still answer; /status reports 8 (loading) for
	// NIS_ILLEGAL_STATE_LOADING_CHAIN, which also leaves /chain/height
	// answering, as NIS does, and 3 (not booted) for NIS_ILLEGAL_STATE_NOT_BOOTED.
	ErrorStatus  int
	ErrorMessage string
	// HTMLStatus, if set, answers every request with an HTML page of this
	// HTTP status instead of NIS JSON, as a reverse proxy in front of a NIS
	// that is down does (502 Bad Gateway, 504 Gateway Timeout), or a captive
	// portal (200). Announced transactions do not reach the chain.
	HTMLStatus int
	// History, if set, changes the transaction history the node lists:
	// modifications hidden (a truncated history) or transactions forged.
	History *History
	// Network, if set to another network than the Network's, makes the node
	// a node of that network, as a misconfigured node list can give: its
	// /node/info reports that network, it refuses an address of any other
	// network with 400 "address must be valid" as NIS does, it answers a
	// look-up by public key with the key's address on its network (an
	// account the chain does not know), and it rejects announced
	// transactions with FAILURE_WRONG_NETWORK.
	Network nem.Network
	// Tamper, if set, makes the node hide, duplicate or invent
	// transactions in its transaction lists (see [Tamper]).
	Tamper *Tamper
}

// Lie is the multisig configuration a lying node reports.
type Lie struct {
	// Cosignatories replace the real ones (none: the node claims the
	// account is not multisig).
	Cosignatories []nem.PublicKey
	// MinCosignatories is reported as multisigInfo.minCosignatories.
	MinCosignatories int
	// Accounts limits the lie to these accounts; empty means every account
	// the node is asked about.
	Accounts []nem.Address
}

// History is the transaction history a lying node serves instead of the
// chain's, in its transaction lists (/account/transfers/…) and
// /transaction/get. Combine it with [Behavior.Lie] so that the owner set the
// node reports matches the history it serves.
type History struct {
	// HideModifications hides the newest this many multisig modifications
	// (conversions and multisig transactions wrapping a modification): a
	// truncated history, as a node that wants to undo a change serves it.
	HideModifications int
	// Forged are transactions listed as confirmed although the chain never
	// saw them: newest of all, in the order given (the last is the newest),
	// in blocks after the node's last real transaction. They must be
	// signed, by anyone: a forged history, as a node claiming an attacker's
	// key serves it.
	Forged []*tx.Transaction
}

// TruncatedHistory hides the newest n multisig modifications from the
// node's transaction lists (see [History]).
func TruncatedHistory(n int) Behavior { return Behavior{History: &History{HideModifications: n}} }

// ForgedHistory lists the signed transactions txns as confirmed after the
// node's real ones (see [History]).
func ForgedHistory(txns ...*tx.Transaction) Behavior {
	return Behavior{History: &History{Forged: txns}}
}

// Honest answers truthfully from the current chain.
func Honest() Behavior { return Behavior{} }

// Lying reports cosigners as the cosignatories (and min as the minimum) of
// every account it is asked about.
func Lying(cosigners []nem.PublicKey, min int) Behavior {
	return Behavior{Lie: &Lie{Cosignatories: cosigners, MinCosignatories: min}}
}

// Lagging serves the chain as it was blocks blocks ago.
func Lagging(blocks int) Behavior { return Behavior{Lag: blocks} }

// Ahead answers honestly but claims a chain height blocks higher than the
// truth (see Behavior.HeightBoost).
func Ahead(blocks int) Behavior { return Behavior{HeightBoost: blocks} }

// TimeShifted answers honestly from a clock that is off by d: its network
// time is d ahead of the network's (behind, for a negative d).
func TimeShifted(d time.Duration) Behavior { return Behavior{TimeShift: d} }

// Slow answers honestly after d.
func Slow(d time.Duration) Behavior { return Behavior{Delay: d} }

// Down refuses connections.
func Down() Behavior { return Behavior{Down: true} }

// Malformed answers with truncated JSON.
func Malformed() Behavior { return Behavior{Malformed: true} }

// Oversized answers with a 10 MiB body.
func Oversized() Behavior { return Behavior{Oversized: 10 << 20} }

// Error answers with NIS error JSON: status (400, 500, 503, …) and message,
// e.g. Error(503, "NIS_ILLEGAL_STATE_LOADING_CHAIN").
func Error(status int, message string) Behavior {
	return Behavior{ErrorStatus: status, ErrorMessage: message}
}

// HTMLError answers every request with an HTML error page of this HTTP
// status, e.g. HTMLError(502) for a reverse proxy whose NIS is down.
func HTMLError(status int) Behavior { return Behavior{HTMLStatus: status} }

// WrongNetwork makes the node a node of network n (see Behavior.Network).
func WrongNetwork(n nem.Network) Behavior { return Behavior{Network: n} }

// Node is one NIS node of a [Network], listening on 127.0.0.1.
type Node struct {
	net      *Network
	index    int
	addr     string // host:port, fixed once the node first listens
	url      string
	name     string
	identity nem.PublicKey
	requests atomic.Int64

	mu       sync.Mutex // behavior, features, closed, inflight.Add
	behavior Behavior
	features nis.Features
	closed   bool
	inflight sync.WaitGroup

	life   sync.Mutex // listening state
	srv    *http.Server
	served chan struct{} // closed when srv.Serve returns
	stop   chan struct{} // closed when srv stops: ends Delay waits
}

func newNode(n *Network, i int, identity nem.PublicKey) *Node {
	return &Node{net: n, index: i, addr: "127.0.0.1:0", name: fmt.Sprintf("nistest-%d", i), identity: identity, features: n.opts.Features}
}

// URL returns the node's base URL, e.g. "http://127.0.0.1:41234".
func (nd *Node) URL() string { return nd.url }

// Index returns the node's position in its network.
func (nd *Node) Index() int { return nd.index }

// PublicKey returns the node's identity key (as /node/info reports it).
func (nd *Node) PublicKey() nem.PublicKey { return nd.identity }

// Client returns a nis.Client for this node using the default HTTP client.
func (nd *Node) Client() *nis.Client { return nis.NewClient(nd.url, nil) }

// Requests returns how many requests the node has received.
func (nd *Node) Requests() int64 { return nd.requests.Load() }

// Behavior returns the node's current behavior.
func (nd *Node) Behavior() Behavior {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	return nd.behavior
}

// SetBehavior switches the node to b from its next request on. Switching to
// or from Down stops or restarts listening (on the same port); the error
// reports a port that could not be listened on again.
func (nd *Node) SetBehavior(b Behavior) error {
	nd.mu.Lock()
	nd.behavior = b
	closed := nd.closed
	nd.mu.Unlock()
	if closed {
		return nil
	}
	if b.Down {
		nd.shutdown()
		return nil
	}
	return nd.listen()
}

// SetFeatures sets the features the node announces and honours; without
// nis.FeatureTransactionHashLookup, /transaction/get fails as on NIS.
func (nd *Node) SetFeatures(f nis.Features) {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	nd.features = f
}

// listen starts serving if the node is not already.
func (nd *Node) listen() error {
	nd.life.Lock()
	defer nd.life.Unlock()
	if nd.srv != nil {
		return nil
	}
	var ln net.Listener
	var err error
	for try := 0; try < 50; try++ {
		if ln, err = net.Listen("tcp", nd.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("nistest: node %d: %w", nd.index, err)
	}
	if nd.url == "" { // first start, before the node is shared
		nd.addr = ln.Addr().String()
		nd.url = "http://" + nd.addr
	}
	srv := &http.Server{
		Handler:           nd,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	served, stop := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(ln)
	}()
	nd.srv, nd.served, nd.stop = srv, served, stop
	return nil
}

// shutdown stops listening and closes every connection.
func (nd *Node) shutdown() {
	nd.life.Lock()
	defer nd.life.Unlock()
	if nd.srv == nil {
		return
	}
	close(nd.stop)
	nd.srv.Close()
	<-nd.served
	nd.srv = nil
}

func (nd *Node) close() {
	nd.mu.Lock()
	nd.closed = true
	nd.mu.Unlock()
	nd.shutdown()
	nd.inflight.Wait()
}

// stopChan returns the channel closed when the current server stops.
func (nd *Node) stopChan() <-chan struct{} {
	nd.life.Lock()
	defer nd.life.Unlock()
	if nd.stop == nil {
		c := make(chan struct{})
		close(c)
		return c
	}
	return nd.stop
}
