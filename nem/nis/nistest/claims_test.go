package nistest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/nis/nistest"
	"github.com/nemiot/nemiot/nem/tx"
)

// A node with a HeightBoost claims a higher chain, in /chain/height and in
// every transaction's meta.height, while serving the same state as its
// (possibly lagging) chain.
func TestHeightBoost(t *testing.T) {
	ctx := context.Background()
	o := setup(t, 2)
	d := o.net.NewAccount()
	mod, err := o.net.ModifyMultisig(o.device.PublicKey(), []nem.PublicKey{d.PublicKey()}, nil, 0, o.a, o.b)
	if err != nil {
		t.Fatal(err)
	}
	o.net.Advance(3, 0)
	honest, node := o.net.Node(0).Client(), o.net.Node(1)
	c := node.Client()
	truth, err := honest.Account(ctx, o.deviceAddr)
	if err != nil {
		t.Fatal(err)
	}
	conv, err := honest.Transaction(ctx, o.conversion)
	if err != nil {
		t.Fatal(err)
	}
	top := o.net.Height()
	for _, tc := range []struct {
		name   string
		b      nistest.Behavior
		height int64 // what /chain/height claims
		owners int   // cosignatories served
		modTx  bool  // the modification is on the node's chain
	}{
		{"ahead 500", nistest.Ahead(500), top + 500, 4, true},
		{"ahead 1", nistest.Ahead(1), top + 1, 4, true},
		{"none", nistest.Ahead(0), top, 4, true},
		{"lagging 5, ahead 500", nistest.Behavior{Lag: 5, HeightBoost: 500}, top - 5 + 500, 3, false},
		{"behind without lag", nistest.Behavior{HeightBoost: -2}, top - 2, 4, true},
		{"never below 1", nistest.Behavior{HeightBoost: -1 << 40}, 1, 4, true},
		{"lying and ahead", nistest.Behavior{Lie: &nistest.Lie{Cosignatories: []nem.PublicKey{{0xaa}}, MinCosignatories: 1}, HeightBoost: 1 << 20}, top + 1<<20, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The same behaviour without the boost serves the same state.
			plain := tc.b
			plain.HeightBoost = 0
			node.SetBehavior(plain)
			same, err := c.Account(ctx, o.deviceAddr)
			if err != nil {
				t.Fatal(err)
			}
			if err := node.SetBehavior(tc.b); err != nil {
				t.Fatal(err)
			}
			boost := tc.height - top + int64(tc.b.Lag) // what is added to each height
			if h, err := c.ChainHeight(ctx); err != nil || h != tc.height {
				t.Errorf("chain height %d, %v; want %d (chain at %d)", h, err, tc.height, top)
			}
			acct, err := c.Account(ctx, o.deviceAddr)
			if err != nil || len(acct.Cosignatories) != tc.owners || acct.Balance != same.Balance ||
				!slices.Equal(acct.CosignatoryKeys(), same.CosignatoryKeys()) || acct.MultisigInfo != same.MultisigInfo {
				t.Errorf("account: %+v, %v; want %d cosignatories, as without the boost: %+v", acct, err, tc.owners, same)
			}
			if tc.b.Lag == 0 && tc.b.Lie == nil && (acct.Balance != truth.Balance || !slices.Equal(acct.CosignatoryKeys(), truth.CosignatoryKeys())) {
				t.Errorf("account %+v, truth %+v", acct, truth)
			}
			if tc.height == 1 {
				return // the clamp: heights are no longer a shift of the truth
			}
			ct, err := c.Transaction(ctx, o.conversion)
			if err != nil || ct.Height != conv.Height+boost || ct.Hash != conv.Hash || ct.Verify() != nil {
				t.Errorf("conversion at height %d (truth %d, boost %d), %v", ct.Height, conv.Height, boost, err)
			}
			list, err := c.AllTransfers(ctx, o.deviceAddr, tx.Page{})
			if err != nil || len(list) == 0 {
				t.Fatalf("transfers: %d, %v", len(list), err)
			}
			for _, ct := range list {
				want, err := honest.Transaction(ctx, ct.Hash)
				if err != nil || ct.Height != want.Height+boost {
					t.Errorf("%s listed at height %d, truth %d (boost %d), %v", ct.Hash, ct.Height, want.Height, boost, err)
				}
			}
			if _, err := c.Transaction(ctx, mod); tc.modTx != (err == nil) {
				t.Errorf("modification found: %v, want %v", err, tc.modTx)
			}
			// The clock is not the height.
			if nt, err := c.NetworkTime(ctx); err != nil || !nt.Equal(o.net.Time()) {
				t.Errorf("network time %v, %v", nt, err)
			}
		})
	}
	// The honest node was never affected, nor is the chain.
	if h, _ := honest.ChainHeight(ctx); h != top || o.net.Height() != top {
		t.Errorf("honest height %d, chain %d, want %d", h, o.net.Height(), top)
	}
}

// A node with a TimeShift reports every time of its clock shifted: network
// time, extended info and the timeStamp of its error JSON. Signed
// transaction times and hash retention keep the network's time.
func TestTimeShift(t *testing.T) {
	ctx := context.Background()
	o := setup(t, 2)
	honest, node := o.net.Node(0).Client(), o.net.Node(1)
	c := node.Client()
	conv, err := honest.Transaction(ctx, o.conversion)
	if err != nil {
		t.Fatal(err)
	}
	for _, shift := range []time.Duration{time.Hour, -90 * time.Second, 1500 * time.Millisecond, 48 * time.Hour, 0} {
		t.Run(fmt.Sprint(shift), func(t *testing.T) {
			if err := node.SetBehavior(nistest.TimeShifted(shift)); err != nil {
				t.Fatal(err)
			}
			want := start.Add(shift)
			if nt, err := c.NetworkTime(ctx); err != nil || !nt.Equal(want) {
				t.Errorf("network time %v, %v; want %v", nt, err, want)
			}
			if ext, err := c.NodeExtendedInfo(ctx); err != nil || ext.CurrentTime != nem.TimestampOf(want) {
				t.Errorf("extended info %+v, %v", ext, err)
			}
			// An error a handler makes, and the Error behaviour's.
			code, body := rawGet(t, node.URL()+"/account/get?address=NOTANADDRESS")
			var ej struct{ TimeStamp nem.Timestamp }
			if err := json.Unmarshal(body, &ej); err != nil || code != http.StatusBadRequest || ej.TimeStamp != nem.TimestampOf(want) {
				t.Errorf("bad address: %d %s", code, body)
			}
			b := nistest.Error(503, "NIS_ILLEGAL_STATE_NOT_BOOTED")
			b.TimeShift = shift
			node.SetBehavior(b)
			var e *nis.Error
			if _, err := c.Account(ctx, o.deviceAddr); !errors.As(err, &e) || e.Time != nem.TimestampOf(want) {
				t.Errorf("error behaviour: %v", err)
			}
			node.SetBehavior(nistest.TimeShifted(shift))
			// The chain's own times are signed data, and a clock 48 h ahead
			// still finds a transaction of the last 36 h.
			ct, err := c.Transaction(ctx, o.conversion)
			if err != nil || ct.Transaction.TimeStamp != conv.Transaction.TimeStamp || ct.Verify() != nil || ct.Height != conv.Height {
				t.Errorf("transaction: %+v, %v", ct, err)
			}
			if h, _ := c.ChainHeight(ctx); h != o.net.Height() {
				t.Errorf("height %d", h)
			}
		})
	}
	if nt, _ := honest.NetworkTime(ctx); !nt.Equal(start) || !o.net.Time().Equal(start) {
		t.Errorf("honest node at %v, network at %v", nt, o.net.Time())
	}
	// A clock far enough behind reports a time before the epoch, which a
	// client refuses.
	node.SetBehavior(nistest.TimeShifted(-start.Sub(nem.Epoch) - time.Hour))
	if _, err := c.NetworkTime(ctx); !errors.Is(err, nis.ErrBadResponse) {
		t.Errorf("clock before the epoch: %v", err)
	}
}

// Behavior fields are kept as set.
func TestClaimsBehavior(t *testing.T) {
	net := nistest.NewNetwork(t, 1, fixed(1))
	b := nistest.Lying([]nem.PublicKey{{1}}, 1)
	b.HeightBoost, b.TimeShift = 7, time.Minute
	net.Node(0).SetBehavior(b)
	got := net.Node(0).Behavior()
	if got.HeightBoost != 7 || got.TimeShift != time.Minute || got.Lie == nil || !slices.Equal(got.Lie.Cosignatories, b.Lie.Cosignatories) {
		t.Errorf("Behavior() = %+v", got)
	}
	if a, s := nistest.Ahead(3), nistest.TimeShifted(-time.Second); a != (nistest.Behavior{HeightBoost: 3}) || s != (nistest.Behavior{TimeShift: -time.Second}) {
		t.Errorf("constructors: %+v, %+v", a, s)
	}
}

// signedTransfer returns a transfer of amount from a to the device,
// signed, dated now.
func signedTransfer(t *testing.T, o *owners, amount uint64) *tx.SignedTransaction {
	t.Helper()
	now := nem.TimestampOf(o.net.Time())
	txn := &tx.Transaction{Type: tx.TypeTransfer, Network: o.net.NetworkID(), TimeStamp: now, Deadline: now + 3600, Recipient: o.deviceAddr, Amount: amount}
	txn.Fee = tx.MinimumFee(txn)
	st, err := txn.Sign(o.a)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// A node behind a reverse proxy that answers with an HTML page: the client
// reports a *nis.Error with the HTTP status and no NIS message, matching the
// sentinel of the status, or ErrBadResponse for an HTML page with 200.
func TestHTMLError(t *testing.T) {
	ctx := context.Background()
	o := setup(t, 1)
	nd := o.net.Node(0)
	c := nd.Client()
	for _, tc := range []struct {
		status int
		want   error // nil: a *nis.Error matching no sentinel
	}{
		{http.StatusBadGateway, nis.ErrUnavailable},
		{http.StatusGatewayTimeout, nis.ErrUnavailable},
		{http.StatusServiceUnavailable, nis.ErrUnavailable},
		{http.StatusForbidden, nis.ErrUnauthorized},
		{http.StatusInternalServerError, nil},
		{http.StatusNotFound, nil}, // a proxy's 404 is not NIS saying "not found"
		{http.StatusOK, nis.ErrBadResponse},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			if err := nd.SetBehavior(nistest.HTMLError(tc.status)); err != nil {
				t.Fatal(err)
			}
			code, body := rawGet(t, nd.URL()+"/chain/height")
			if code != tc.status || !bytes.HasPrefix(body, []byte("<html>")) || !bytes.Contains(body, []byte(http.StatusText(tc.status))) {
				t.Fatalf("raw answer %d %q", code, body)
			}
			height := o.net.Height()
			calls := map[string]error{}
			calls["Heartbeat"] = c.Heartbeat(ctx)
			_, calls["ChainHeight"] = c.ChainHeight(ctx)
			_, calls["NetworkTime"] = c.NetworkTime(ctx)
			_, calls["Account"] = c.Account(ctx, o.deviceAddr)
			_, calls["Transaction"] = c.Transaction(ctx, o.conversion)
			_, calls["Announce"] = c.Announce(ctx, signedTransfer(t, o, 1))
			for name, err := range calls {
				var e *nis.Error
				switch {
				case err == nil:
					t.Errorf("%s: no error", name)
				case tc.status == http.StatusOK:
					if !errors.Is(err, nis.ErrBadResponse) || errors.As(err, &e) {
						t.Errorf("%s: %v, want ErrBadResponse", name, err)
					}
				case !errors.As(err, &e) || e.Status != tc.status || e.Kind != http.StatusText(tc.status) || e.Message != "" || e.Time != 0:
					t.Errorf("%s: %v (%+v)", name, err, e)
				case tc.want != nil && !errors.Is(err, tc.want):
					t.Errorf("%s: %v is not %v", name, err, tc.want)
				case tc.want == nil && slices.ContainsFunc(sentinels, func(s error) bool { return errors.Is(err, s) }):
					t.Errorf("%s: %v matches a sentinel", name, err)
				}
			}
			if o.net.Height() != height {
				t.Error("a transaction announced through the proxy reached the chain")
			}
		})
	}
}

var sentinels = []error{nis.ErrTooLarge, nis.ErrBadResponse, nis.ErrNotFound, nis.ErrUnavailable, nis.ErrBadRequest, nis.ErrUnsupported, nis.ErrUnauthorized, nis.ErrRejected}

// A node of another network (a mainnet node in a testnet node list, say)
// says so in /node/info, refuses the network's addresses as invalid, knows
// public keys only by its own network's addresses and rejects the network's
// transactions.
func TestWrongNetwork(t *testing.T) {
	ctx := context.Background()
	o := setup(t, 2)
	nd := o.net.Node(1)
	c := nd.Client()
	for _, other := range []nem.Network{nem.Mainnet, nem.Mijin} {
		t.Run(fmt.Sprint(other), func(t *testing.T) {
			if err := nd.SetBehavior(nistest.WrongNetwork(other)); err != nil {
				t.Fatal(err)
			}
			if info, err := c.NodeInfo(ctx); err != nil || info.Network != other {
				t.Errorf("node info: %+v, %v", info, err)
			}
			var e *nis.Error
			if _, err := c.Account(ctx, o.deviceAddr); !errors.Is(err, nis.ErrBadRequest) || !errors.As(err, &e) || e.Message != "address must be valid" {
				t.Errorf("account of the network: %v", err)
			}
			if _, err := c.IncomingTransfers(ctx, o.deviceAddr, tx.Page{}); !errors.Is(err, nis.ErrBadRequest) {
				t.Errorf("transfers: %v", err)
			}
			// By key: an address of its own network, of an account it does not know.
			acct, err := c.AccountByPublicKey(ctx, o.device.PublicKey())
			if err != nil || acct.Address != o.device.PublicKey().Address(other) || acct.IsMultisig() || acct.Balance != 0 {
				t.Errorf("by key: %+v, %v", acct, err)
			}
			// Its own network's addresses are valid, and unknown.
			if acct, err := c.Account(ctx, o.device.Address(other)); err != nil || acct.IsMultisig() || acct.Balance != 0 {
				t.Errorf("account of its network: %+v, %v", acct, err)
			}
			height := o.net.Height()
			var ae *nis.AnnounceError
			if _, err := c.Announce(ctx, signedTransfer(t, o, 2)); !errors.As(err, &ae) || ae.Code != 20 || ae.Message != "FAILURE_WRONG_NETWORK" {
				t.Errorf("announce: %v", err)
			}
			if o.net.Height() != height {
				t.Error("the transaction reached the chain")
			}
			// Heights and times are the network's.
			if h, err := c.ChainHeight(ctx); err != nil || h != height {
				t.Errorf("height %d, %v", h, err)
			}
		})
	}
	// Its own network, named: an honest node.
	nd.SetBehavior(nistest.WrongNetwork(o.net.NetworkID()))
	if acct, err := c.Account(ctx, o.deviceAddr); err != nil || len(acct.Cosignatories) != 3 {
		t.Errorf("network named explicitly: %+v, %v", acct, err)
	}
}

// TestClientNetwork: a client told which network to expect refuses a node
// that answers for another one, by address and by key.
func TestClientNetwork(t *testing.T) {
	ctx := context.Background()
	o := setup(t, 2)
	nd := o.net.Node(1)
	c := nd.Client()
	c.Network = o.net.NetworkID()
	if acct, err := c.AccountByPublicKey(ctx, o.device.PublicKey()); err != nil || acct.Address != o.deviceAddr {
		t.Fatalf("honest node: %+v, %v", acct, err)
	}
	for _, other := range []nem.Network{nem.Mainnet, nem.Mijin} {
		if err := nd.SetBehavior(nistest.WrongNetwork(other)); err != nil {
			t.Fatal(err)
		}
		if acct, err := c.AccountByPublicKey(ctx, o.device.PublicKey()); !errors.Is(err, nis.ErrBadResponse) {
			t.Errorf("%s node by key: %+v, %v; want ErrBadResponse", other, acct, err)
		}
		if acct, err := c.Account(ctx, o.device.Address(other)); !errors.Is(err, nis.ErrBadResponse) {
			t.Errorf("%s node by %s address: %+v, %v; want ErrBadResponse", other, other, acct, err)
		}
	}
}
