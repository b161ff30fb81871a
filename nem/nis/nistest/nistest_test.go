package nistest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/nis/nistest"
	"github.com/nemiot/nemiot/nem/tx"
)

var start = time.Date(2025, 11, 25, 10, 0, 0, 0, time.UTC)

// fixed returns options for a reproducible network whose clock stands
// still (time moves only with Advance and SetTime).
func fixed(seed uint64) *nistest.Options {
	var s [32]byte
	s[0] = byte(seed)
	return &nistest.Options{
		Time:  start,
		Clock: func() time.Time { return start },
		Rand:  rand.NewChaCha8(s),
	}
}

func sortedKeys(keys ...nem.PublicKey) []nem.PublicKey {
	out := slices.Clone(keys)
	slices.SortFunc(out, func(a, b nem.PublicKey) int { return bytes.Compare(a[:], b[:]) })
	return out
}

// rawGet returns the status and body of a GET to a node.
func rawGet(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

type owners struct {
	net              *nistest.Network
	device, a, b, c  *nem.PrivateKey
	deviceAddr       nem.Address
	conversion       tx.Hash
	heightAfterSetup int64
}

// setup makes a 2-of-3 multisig device.
func setup(t *testing.T, nodes int) *owners {
	t.Helper()
	net := nistest.NewNetwork(t, nodes, fixed(1))
	o := &owners{net: net, device: net.NewAccount(), a: net.NewAccount(), b: net.NewAccount(), c: net.NewAccount()}
	o.deviceAddr = o.device.Address(net.NetworkID())
	var err error
	if o.conversion, err = net.ConvertToMultisig(o.device, 2, o.a.PublicKey(), o.b.PublicKey(), o.c.PublicKey()); err != nil {
		t.Fatal(err)
	}
	o.heightAfterSetup = net.Height()
	return o
}

func TestAccounts(t *testing.T) {
	ctx := context.Background()
	net := nistest.NewNetwork(t, 2, fixed(1))
	if net.NetworkID() != nem.Testnet || net.Height() != 1000 || !net.Time().Equal(start) {
		t.Fatalf("defaults: %v %d %v", net.NetworkID(), net.Height(), net.Time())
	}
	fresh := net.NewAccount()
	addr := fresh.Address(nem.Testnet)
	if net.Height() != 1001 {
		t.Errorf("funding did not add a block: %d", net.Height())
	}
	c := net.Node(1).Client()
	acct, err := c.Account(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	if acct.Balance != 1_000_000_000 || !acct.PublicKey.IsZero() || acct.IsMultisig() || len(acct.Cosignatories)+len(acct.CosignatoryOf) != 0 {
		t.Errorf("funded account %+v", acct)
	}
	// NIS quirks in the raw answer.
	code, body := rawGet(t, net.URLs()[0]+"/account/get?address="+strings.ToLower(addr.String()))
	if code != 200 {
		t.Fatalf("lower-case address: %d %s", code, body)
	}
	for _, want := range []string{`"publicKey":null`, `"multisigInfo":{}`, `"label":null`, `"cosignatories":[]`, `"cosignatoryOf":[]`, `"status":"LOCKED"`, `"remoteStatus":"INACTIVE"`, `"importance":0.0`} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("answer lacks %s: %s", want, body)
		}
	}
	// A valid address never seen: a zero account, not an error.
	unknown := nem.PublicKey{42}.Address(nem.Testnet)
	if acct, err := c.Account(ctx, unknown); err != nil || acct.Balance != 0 || !acct.PublicKey.IsZero() {
		t.Errorf("unknown address: %+v, %v", acct, err)
	}
	// By public key: NIS echoes the key even for an unknown account.
	if acct, err := c.AccountByPublicKey(ctx, nem.PublicKey{42}); err != nil || acct.PublicKey != (nem.PublicKey{42}) || acct.Address != unknown {
		t.Errorf("by unknown key: %+v, %v", acct, err)
	}
	// Another network's address is a 400.
	_, err = c.Account(ctx, fresh.Address(nem.Mainnet))
	var e *nis.Error
	if !errors.Is(err, nis.ErrBadRequest) || !errors.As(err, &e) || e.Message != "address must be valid" || e.Time != nem.TimestampOf(start) {
		t.Errorf("mainnet address on testnet: %v", err)
	}
	for _, tc := range []struct{ path, want string }{
		{"/account/get", "encoded address cannot be null"},
		{"/account/get?address=TAAAA", "address must be valid"},
		{"/account/get/from-public-key?publicKey=zz", "Illegal hexadecimal character"},
		{"/transaction/get?hash=00", "Hash was not found in cache"},
		{"/account/transfers/all?address=" + addr.String() + "&id=x", "id must be a number"},
	} {
		code, body := rawGet(t, net.URLs()[0]+tc.path)
		if code/100 != 4 && code != 500 || !bytes.Contains(body, []byte(tc.want)) || !bytes.Contains(body, []byte(`"timeStamp":`)) {
			t.Errorf("%s: %d %s", tc.path, code, body)
		}
	}
}

func TestMultisigState(t *testing.T) {
	ctx := context.Background()
	o := setup(t, 3)
	for _, nd := range o.net.Nodes() {
		acct, err := nd.Client().Account(ctx, o.deviceAddr)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(acct.CosignatoryKeys(), sortedKeys(o.a.PublicKey(), o.b.PublicKey(), o.c.PublicKey())) ||
			acct.MultisigInfo != (nis.MultisigInfo{CosignatoriesCount: 3, MinCosignatories: 2}) {
			t.Errorf("node %d: %+v", nd.Index(), acct)
		}
		if acct.PublicKey != o.device.PublicKey() || acct.Balance != 1_000_000_000-500_000 {
			t.Errorf("device key %s balance %d: the conversion is signed by it and costs 0.5 XEM", acct.PublicKey, acct.Balance)
		}
	}
	owner, err := o.net.Node(0).Client().Account(ctx, o.a.Address(nem.Testnet))
	if err != nil {
		t.Fatal(err)
	}
	if len(owner.CosignatoryOf) != 1 || owner.CosignatoryOf[0].Address != o.deviceAddr || owner.CosignatoryOf[0].MultisigInfo.Threshold() != 2 {
		t.Errorf("owner: %+v", owner)
	}
	// Change owners: add d, remove c, with a and b signing; min stays 2.
	d := o.net.NewAccount()
	if _, err := o.net.ModifyMultisig(o.device.PublicKey(), []nem.PublicKey{d.PublicKey()}, []nem.PublicKey{o.c.PublicKey()}, 0, o.a, o.b); err != nil {
		t.Fatal(err)
	}
	acct, _ := o.net.Node(2).Client().Account(ctx, o.deviceAddr)
	if !slices.Equal(acct.CosignatoryKeys(), sortedKeys(o.a.PublicKey(), o.b.PublicKey(), d.PublicKey())) || acct.MultisigInfo.MinCosignatories != 2 {
		t.Errorf("after change: %+v", acct)
	}
	if gone, _ := o.net.Node(0).Client().Account(ctx, o.c.Address(nem.Testnet)); len(gone.CosignatoryOf) != 0 {
		t.Errorf("removed owner still cosigns %v", gone.CosignatoryOf)
	}
	// n-of-n: min 0.
	dev2 := o.net.NewAccount()
	if _, err := o.net.ConvertToMultisig(dev2, 0, o.a.PublicKey(), o.b.PublicKey()); err != nil {
		t.Fatal(err)
	}
	acct, _ = o.net.Node(0).Client().Account(ctx, dev2.Address(nem.Testnet))
	if acct.MultisigInfo.MinCosignatories != 0 || acct.MultisigInfo.Threshold() != 2 {
		t.Errorf("n-of-n: %+v", acct.MultisigInfo)
	}
	// A transfer of the 2-of-3 account needs two cosignatories.
	if _, err := o.net.AddMultisigTransfer(o.device.PublicKey(), dev2.Address(nem.Testnet), 1, tx.Message{}, o.a); !errors.Is(err, nis.ErrRejected) {
		t.Errorf("one signer of 2-of-3: %v", err)
	}
	h, err := o.net.AddMultisigTransfer(o.device.PublicKey(), dev2.Address(nem.Testnet), 1_000_000, tx.PlainMessage([]byte("hi")), o.b, d)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := o.net.Node(1).Client().Transaction(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := ct.Verify(); err != nil || ct.InnerHash.IsZero() {
		t.Errorf("multisig transfer: %v", err)
	}
	if tr := ct.Transfer(); tr == nil || tr.Signer != o.device.PublicKey() || string(tr.Message.Payload) != "hi" {
		t.Errorf("inner transfer %+v", tr)
	}
}

// TestValidation checks that the network refuses what NIS refuses, with its codes.
func TestValidation(t *testing.T) {
	o := setup(t, 1)
	net := o.net
	d := net.NewAccount()
	code := func(err error) int {
		var ae *nis.AnnounceError
		if !errors.As(err, &ae) || !errors.Is(err, nis.ErrRejected) {
			t.Helper()
			t.Fatalf("%v is not an AnnounceError", err)
		}
		return ae.Code
	}
	now := nem.TimestampOf(net.Time())
	for name, tc := range map[string]struct {
		err  error
		want int
	}{
		"already multisig": {func() error { _, err := net.ConvertToMultisig(o.device, 1, d.PublicKey()); return err }(), 74},
		"multisig signs transfer": {func() error {
			_, err := net.AddTransfer(o.device, d.Address(nem.Testnet), 1, tx.Message{})
			return err
		}(), 74},
		"too poor": {func() error { _, err := net.AddTransfer(d, o.deviceAddr, 2_000_000_000, tx.Message{}); return err }(), 5},
		"two removals": {func() error {
			_, err := net.ModifyMultisig(o.device.PublicKey(), nil, []nem.PublicKey{o.a.PublicKey(), o.b.PublicKey()}, -1, o.c)
			return err
		}(), 77},
		"not a cosigner": {func() error {
			_, err := net.ModifyMultisig(o.device.PublicKey(), []nem.PublicKey{d.PublicKey()}, nil, 0, d, o.a)
			return err
		}(), 71},
		"min out of range": {func() error {
			_, err := net.ModifyMultisig(o.device.PublicKey(), nil, nil, 2, o.a, o.b)
			return err
		}(), 82},
		"cosigner becomes multisig": {func() error { _, err := net.ConvertToMultisig(o.a, 1, d.PublicKey()); return err }(), 81},
		"low fee": {func() error {
			txn := &tx.Transaction{Type: tx.TypeTransfer, Network: nem.Testnet, TimeStamp: now, Deadline: now + 60, Recipient: o.deviceAddr, Fee: 1}
			txn.Sign(d)
			_, err := net.AddTransaction(txn)
			return err
		}(), 17},
		"past deadline": {func() error {
			txn := &tx.Transaction{Type: tx.TypeTransfer, Network: nem.Testnet, TimeStamp: now - 100, Deadline: now - 10, Recipient: o.deviceAddr, Fee: 50_000}
			txn.Sign(d)
			_, err := net.AddTransaction(txn)
			return err
		}(), 3},
		"future": {func() error {
			txn := &tx.Transaction{Type: tx.TypeTransfer, Network: nem.Testnet, TimeStamp: now + 100, Deadline: now + 200, Recipient: o.deviceAddr, Fee: 50_000}
			txn.Sign(d)
			_, err := net.AddTransaction(txn)
			return err
		}(), 10},
		"bad signature": {func() error {
			txn := &tx.Transaction{Type: tx.TypeTransfer, Network: nem.Testnet, TimeStamp: now, Deadline: now + 60, Recipient: o.deviceAddr, Fee: 50_000}
			txn.Sign(d)
			txn.Amount = 5
			_, err := net.AddTransaction(txn)
			return err
		}(), 8},
		"wrong network": {func() error {
			txn := &tx.Transaction{Type: tx.TypeTransfer, Network: nem.Mainnet, TimeStamp: now, Deadline: now + 60, Recipient: nem.PublicKey{1}.Address(nem.Mainnet), Fee: 50_000}
			txn.Sign(d)
			_, err := net.AddTransaction(txn)
			return err
		}(), 20},
	} {
		if got := code(tc.err); got != tc.want {
			t.Errorf("%s: code %d, want %d (%v)", name, got, tc.want, tc.err)
		}
	}
	if net.Height() != o.heightAfterSetup+1 {
		t.Errorf("refused transactions changed the height: %d", net.Height())
	}
}

func TestUnorderedCosignatories(t *testing.T) {
	net := nistest.NewNetwork(t, 1, fixed(2))
	device := net.NewAccount()
	var keys []nem.PublicKey
	for range 5 {
		keys = append(keys, net.NewAccount().PublicKey())
	}
	if _, err := net.ConvertToMultisig(device, 3, keys...); err != nil {
		t.Fatal(err)
	}
	orders := map[string]bool{}
	c := net.Node(0).Client()
	for range 30 {
		code, body := rawGet(t, net.URLs()[0]+"/account/get?address="+device.Address(nem.Testnet).String())
		if code != 200 {
			t.Fatal(code)
		}
		var w struct {
			Meta struct{ Cosignatories []struct{ PublicKey string } }
		}
		json.Unmarshal(body, &w)
		var order string
		for _, c := range w.Meta.Cosignatories {
			order += c.PublicKey[:4]
		}
		orders[order] = true
		acct, err := c.Account(context.Background(), device.Address(nem.Testnet))
		if err != nil || !slices.Equal(acct.CosignatoryKeys(), sortedKeys(keys...)) {
			t.Fatalf("set differs: %v", err)
		}
	}
	if len(orders) < 2 {
		t.Errorf("30 answers listed the cosignatories in one order")
	}
}

func TestLying(t *testing.T) {
	ctx := context.Background()
	o := setup(t, 3)
	attacker := nem.PublicKey{0xaa}
	if err := o.net.Node(1).SetBehavior(nistest.Lying([]nem.PublicKey{attacker}, 1)); err != nil {
		t.Fatal(err)
	}
	honest, _ := o.net.Node(0).Client().Account(ctx, o.deviceAddr)
	lie, err := o.net.Node(1).Client().Account(ctx, o.deviceAddr)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(lie.CosignatoryKeys(), []nem.PublicKey{attacker}) || lie.MultisigInfo.Threshold() != 1 {
		t.Errorf("lying node: %+v", lie)
	}
	if slices.Equal(lie.CosignatoryKeys(), honest.CosignatoryKeys()) {
		t.Error("liar agrees with the honest node")
	}
	// A lie limited to other accounts leaves this one alone; a lie with no
	// cosignatories says the account is not multisig.
	b := nistest.Lying(nil, 0)
	b.Lie.Accounts = []nem.Address{o.a.Address(nem.Testnet)}
	o.net.Node(1).SetBehavior(b)
	if acct, _ := o.net.Node(1).Client().Account(ctx, o.deviceAddr); !slices.Equal(acct.CosignatoryKeys(), honest.CosignatoryKeys()) {
		t.Errorf("lie for another account changed this one")
	}
	if b := o.net.Node(1).Behavior(); b.Lie == nil || len(b.Lie.Accounts) != 1 {
		t.Errorf("Behavior() = %+v", b)
	}
	o.net.Node(1).SetBehavior(nistest.Lying(nil, 0))
	if acct, _ := o.net.Node(1).Client().Account(ctx, o.deviceAddr); acct.IsMultisig() || len(acct.Cosignatories) != 0 {
		t.Errorf("lie 'not multisig': %+v", acct)
	}
	o.net.Node(1).SetBehavior(nistest.Honest())
	if acct, _ := o.net.Node(1).Client().Account(ctx, o.deviceAddr); !slices.Equal(acct.CosignatoryKeys(), honest.CosignatoryKeys()) {
		t.Errorf("honest again: %+v", acct)
	}
}

func TestLagging(t *testing.T) {
	ctx := context.Background()
	o := setup(t, 2)
	d := o.net.NewAccount()
	h, err := o.net.ModifyMultisig(o.device.PublicKey(), []nem.PublicKey{d.PublicKey()}, nil, 0, o.a, o.b)
	if err != nil {
		t.Fatal(err)
	}
	lag := o.net.Node(1)
	lag.SetBehavior(nistest.Lagging(2))
	c := lag.Client()
	if got, _ := c.ChainHeight(ctx); got != o.net.Height()-2 {
		t.Errorf("lagging height %d, chain %d", got, o.net.Height())
	}
	old, _ := c.Account(ctx, o.deviceAddr)
	now, _ := o.net.Node(0).Client().Account(ctx, o.deviceAddr)
	if len(old.Cosignatories) != 3 || len(now.Cosignatories) != 4 {
		t.Errorf("lagging %d cosignatories, honest %d", len(old.Cosignatories), len(now.Cosignatories))
	}
	if _, err := c.Transaction(ctx, h); !errors.Is(err, nis.ErrNotFound) {
		t.Errorf("lagging node knows a future transaction: %v", err)
	}
	if list, _ := c.AllTransfers(ctx, o.deviceAddr, tx.Page{}); slices.ContainsFunc(list, func(ct *tx.ConfirmedTransaction) bool { return ct.Hash == h }) {
		t.Errorf("lagging node lists a future transaction")
	}
	// Far behind: before the network's start, the chain is empty.
	lag.SetBehavior(nistest.Lagging(1 << 20))
	if got, _ := c.ChainHeight(ctx); got != 1 {
		t.Errorf("far lag height %d", got)
	}
	if acct, _ := c.Account(ctx, o.deviceAddr); acct.Balance != 0 || acct.IsMultisig() {
		t.Errorf("far lag account %+v", acct)
	}
}

func TestSlowAndHung(t *testing.T) {
	net := nistest.NewNetwork(t, 1, fixed(1))
	nd := net.Node(0)
	nd.SetBehavior(nistest.Slow(300 * time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := nd.Client().ChainHeight(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow node inside a short deadline: %v", err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel2()
	if h, err := nd.Client().ChainHeight(ctx2); err != nil || h != 1000 {
		t.Errorf("slow node inside a long deadline: %d, %v", h, err)
	}
	// Hung: an hour's delay. The context cuts it off, and Close (at cleanup)
	// does not wait for it.
	nd.SetBehavior(nistest.Slow(time.Hour))
	ctx3, cancel3 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel3()
	if err := nd.Client().Heartbeat(ctx3); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hung node: %v", err)
	}
	// A request still waiting when the network closes ends.
	done := make(chan error, 1)
	go func() { done <- nd.Client().Heartbeat(context.Background()) }()
	for nd.Requests() < 4 {
		time.Sleep(time.Millisecond)
	}
	net.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a hung request succeeded at close")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close left a hung request waiting")
	}
}

func TestDown(t *testing.T) {
	net := nistest.NewNetwork(t, 2, fixed(1))
	nd := net.Node(1)
	url := nd.URL()
	if err := nd.SetBehavior(nistest.Down()); err != nil {
		t.Fatal(err)
	}
	if err := nd.Client().Heartbeat(context.Background()); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("down node: %v", err)
	}
	if err := net.Node(0).Client().Heartbeat(context.Background()); err != nil {
		t.Errorf("other node: %v", err)
	}
	if err := nd.SetBehavior(nistest.Honest()); err != nil {
		t.Fatal(err)
	}
	if nd.URL() != url || net.URLs()[1] != url {
		t.Errorf("URL changed: %s → %s", url, nd.URL())
	}
	if err := nd.Client().Heartbeat(context.Background()); err != nil {
		t.Errorf("back up: %v", err)
	}
}

func TestMalformedAndOversized(t *testing.T) {
	ctx := context.Background()
	o := setup(t, 1)
	nd := o.net.Node(0)
	nd.SetBehavior(nistest.Malformed())
	c := nd.Client()
	if _, err := c.Account(ctx, o.deviceAddr); !errors.Is(err, nis.ErrBadResponse) {
		t.Errorf("malformed account: %v", err)
	}
	if _, err := c.ChainHeight(ctx); !errors.Is(err, nis.ErrBadResponse) {
		t.Errorf("malformed height: %v", err)
	}
	if err := c.Heartbeat(ctx); !errors.Is(err, nis.ErrBadResponse) {
		t.Errorf("malformed heartbeat: %v", err)
	}
	nd.SetBehavior(nistest.Oversized())
	if _, err := c.Account(ctx, o.deviceAddr); !errors.Is(err, nis.ErrTooLarge) {
		t.Errorf("oversized: %v", err)
	}
	// A client with a larger cap reads the whole 10 MiB and finds it is not JSON.
	big := &nis.Client{BaseURL: nd.URL(), MaxBody: 11 << 20}
	if _, err := big.ChainHeight(ctx); !errors.Is(err, nis.ErrBadResponse) {
		t.Errorf("oversized under a big cap: %v", err)
	}
}

func TestErrorBehaviors(t *testing.T) {
	ctx := context.Background()
	o := setup(t, 1)
	nd := o.net.Node(0)
	c := nd.Client()
	for _, tc := range []struct {
		status  int
		message string
		want    error
		st      nis.NodeStatus
		height  bool // /chain/height still answers
	}{
		{400, "address must be valid", nis.ErrBadRequest, nis.StatusSynchronized, false},
		{400, "Hash was not found in cache", nis.ErrNotFound, nis.StatusSynchronized, false},
		{500, "this node does not support transaction lookup using a hash", nis.ErrUnsupported, nis.StatusSynchronized, false},
		{500, "java.lang.NullPointerException", nil, nis.StatusSynchronized, false},
		{503, "NIS_ILLEGAL_STATE_LOADING_CHAIN", nis.ErrUnavailable, nis.StatusLoading, true},
		{503, "NIS_ILLEGAL_STATE_NOT_BOOTED", nis.ErrUnavailable, nis.StatusRunning, false},
	} {
		nd.SetBehavior(nistest.Error(tc.status, tc.message))
		_, err := c.Account(ctx, o.deviceAddr)
		var e *nis.Error
		if !errors.As(err, &e) || e.Status != tc.status || e.Message != tc.message || e.Kind != http.StatusText(tc.status) || e.Time != nem.TimestampOf(start) {
			t.Errorf("%d %s: %v", tc.status, tc.message, err)
		}
		if tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%d %s: %v is not %v", tc.status, tc.message, err, tc.want)
		}
		if st, err := c.Status(ctx); err != nil || st != tc.st {
			t.Errorf("%d %s: status %v, %v", tc.status, tc.message, st, err)
		}
		if err := c.Heartbeat(ctx); err != nil {
			t.Errorf("heartbeat in error state: %v", err)
		}
		if _, err := c.ChainHeight(ctx); (err == nil) != tc.height {
			t.Errorf("%d %s: chain height %v", tc.status, tc.message, err)
		}
	}
}

func TestTransactionsAndPaging(t *testing.T) {
	ctx := context.Background()
	net := nistest.NewNetwork(t, 2, fixed(3))
	sender, dedicated := net.NewAccount(), net.NewAccount()
	payload := append([]byte{0xfe, 'N', 'T', 'Y', 0x03}, bytes.Repeat([]byte{0x11}, 32)...)
	h, err := net.AddTransfer(sender, dedicated.Address(nem.Testnet), 0, tx.PlainMessage(payload))
	if err != nil {
		t.Fatal(err)
	}
	c0, c1 := net.Node(0).Client(), net.Node(1).Client()
	ct, err := c0.Transaction(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := ct.Verify(); err != nil || ct.Height != net.Height() || !ct.InnerHash.IsZero() {
		t.Errorf("apostille: height %d, %v", ct.Height, err)
	}
	if tr := ct.Transfer(); tr == nil || !bytes.Equal(tr.Message.Payload, payload) || tr.Signer != sender.PublicKey() {
		t.Errorf("apostille transfer %+v", tr)
	}
	// The sender signed: its public key is now known.
	if acct, _ := c0.Account(ctx, sender.Address(nem.Testnet)); acct.PublicKey != sender.PublicKey() {
		t.Errorf("sender key not revealed")
	}
	in, err := c1.IncomingTransfers(ctx, dedicated.Address(nem.Testnet), tx.Page{})
	if err != nil || len(in) != 2 || in[0].Hash != h { // the apostille, then the funding
		t.Fatalf("incoming: %d, %v", len(in), err)
	}
	out, _ := c1.OutgoingTransfers(ctx, sender.Address(nem.Testnet), tx.Page{})
	if len(out) != 1 || out[0].Hash != h {
		t.Errorf("outgoing: %d", len(out))
	}
	// Page through 12 more transfers, 5 at a time; ids are node-local.
	var hashes []tx.Hash
	for i := range 12 {
		h, err := net.AddTransfer(sender, dedicated.Address(nem.Testnet), uint64(i), tx.Message{})
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, h)
	}
	slices.Reverse(hashes)
	var got []tx.Hash
	page := tx.Page{Size: 5}
	for {
		list, err := c0.AllTransfers(ctx, sender.Address(nem.Testnet), page)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 0 {
			break
		}
		for _, ct := range list {
			got = append(got, ct.Hash)
		}
		page.BeforeID = list[len(list)-1].ID
		if len(got) > 100 {
			t.Fatal("paging does not end")
		}
	}
	want := append(hashes, h)
	want = append(want, mustFunding(t, c0, sender.Address(nem.Testnet))...)
	if !slices.Equal(got, want) {
		t.Errorf("paged %d transactions, want %d", len(got), len(want))
	}
	a, _ := c0.Transaction(ctx, h)
	b, _ := c1.Transaction(ctx, h)
	if a.ID == b.ID || a.Height != b.Height {
		t.Errorf("ids %d and %d on two nodes", a.ID, b.ID)
	}
	if small, _ := c0.AllTransfers(ctx, sender.Address(nem.Testnet), tx.Page{Size: 1}); len(small) != 5 {
		t.Errorf("page size 1 gave %d (NIS clamps to 5)", len(small))
	}
}

// mustFunding returns the hash of the funding transfer of a (the oldest
// incoming one).
func mustFunding(t *testing.T, c *nis.Client, a nem.Address) []tx.Hash {
	t.Helper()
	list, err := c.IncomingTransfers(context.Background(), a, tx.Page{Size: 100})
	if err != nil || len(list) == 0 {
		t.Fatalf("funding: %v", err)
	}
	return []tx.Hash{list[len(list)-1].Hash}
}

func TestAnnounce(t *testing.T) {
	ctx := context.Background()
	o := setup(t, 2)
	c := o.net.Node(0).Client()
	now := nem.TimestampOf(o.net.Time())
	txn := &tx.Transaction{Type: tx.TypeTransfer, Network: nem.Testnet, TimeStamp: now, Deadline: now + 3600, Recipient: o.deviceAddr, Amount: 7}
	txn.Fee = tx.MinimumFee(txn)
	st, err := txn.Sign(o.a)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Announce(ctx, st)
	if err != nil || res.TransactionHash != st.Hash() || res.Code != 1 {
		t.Fatalf("announce: %+v, %v", res, err)
	}
	if _, err := o.net.Node(1).Client().Transaction(ctx, st.Hash()); err != nil {
		t.Errorf("announced transfer not on the other node: %v", err)
	}
	var ae *nis.AnnounceError
	if _, err := c.Announce(ctx, st); !errors.As(err, &ae) || ae.Code != 7 || ae.Message != "FAILURE_HASH_EXISTS" {
		t.Errorf("announce twice: %v", err)
	}
	bad := *st
	bad.Signature[0] ^= 1
	if _, err := c.Announce(ctx, &bad); !errors.As(err, &ae) || ae.Code != 8 {
		t.Errorf("bad signature: %v", err)
	}

	// A multisig change announced by a waits for b's cosignature.
	d := o.net.NewAccount()
	w := &tx.Transaction{Type: tx.TypeMultisig, Network: nem.Testnet, TimeStamp: now, Deadline: now + 3600,
		Inner: &tx.Transaction{Type: tx.TypeMultisigModification, Network: nem.Testnet, TimeStamp: now, Deadline: now + 3600,
			Signer: o.device.PublicKey(), Modifications: []tx.Modification{{Type: tx.AddCosignatory, Cosignatory: d.PublicKey()}}}}
	w.Inner.Fee, w.Fee = tx.MinimumFee(w.Inner), tx.MinimumFee(w)
	st, err = w.Sign(o.a)
	if err != nil {
		t.Fatal(err)
	}
	height := o.net.Height()
	res, err = c.Announce(ctx, st)
	ih, _ := w.InnerHash()
	if err != nil || res.InnerTransactionHash != ih {
		t.Fatalf("announce wrapper: %+v, %v", res, err)
	}
	if o.net.Height() != height {
		t.Error("a wrapper short of cosignatures was confirmed")
	}
	for _, who := range []nem.Address{o.deviceAddr, o.b.Address(nem.Testnet)} {
		list, err := o.net.Node(1).Client().UnconfirmedTransactions(ctx, who)
		if err != nil || len(list) != 1 || list[0].InnerHash != ih {
			t.Fatalf("unconfirmed for %s: %v, %v", who, list, err)
		}
	}
	cos, _ := tx.NewCosignature(w, now, now+3600)
	cst, err := cos.Sign(o.b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.net.Node(1).Client().Announce(ctx, cst); err != nil {
		t.Fatal(err)
	}
	acct, _ := c.Account(ctx, o.deviceAddr)
	if len(acct.Cosignatories) != 4 || o.net.Height() != height+1 {
		t.Errorf("after cosignature: %d cosignatories, height %d", len(acct.Cosignatories), o.net.Height())
	}
	if list, _ := c.UnconfirmedTransactions(ctx, o.deviceAddr); len(list) != 0 {
		t.Errorf("still pending: %d", len(list))
	}
	ct, err := c.Transaction(ctx, st.Hash())
	if err != nil || len(ct.Transaction.Cosignatures) != 1 || ct.Verify() != nil {
		t.Errorf("confirmed wrapper: %v", err)
	}
	// A cosignature of nothing pending.
	if _, err := c.Announce(ctx, cst); !errors.As(err, &ae) {
		t.Errorf("stray cosignature: %v", err)
	}
}

func TestHashRetentionAndFeatures(t *testing.T) {
	ctx := context.Background()
	o := setup(t, 1)
	nd := o.net.Node(0)
	c := nd.Client()
	if _, err := c.Transaction(ctx, o.conversion); err != nil {
		t.Fatal(err)
	}
	info, _ := c.NodeInfo(ctx)
	if !info.Features.Has(nis.FeatureTransactionHashLookup) || info.PublicKey != nd.PublicKey() || info.Network != nem.Testnet {
		t.Errorf("node info %+v", info)
	}
	nd.SetFeatures(0)
	if _, err := c.Transaction(ctx, o.conversion); !errors.Is(err, nis.ErrUnsupported) {
		t.Errorf("without hash look-up: %v", err)
	}
	nd.SetFeatures(nis.FeatureTransactionHashLookup)
	o.net.Advance(0, 37*time.Hour)
	if _, err := c.Transaction(ctx, o.conversion); !errors.Is(err, nis.ErrNotFound) {
		t.Errorf("after 37 h: %v", err)
	}
	// Transfers lists still have it, as NIS's do.
	if list, _ := c.AllTransfers(ctx, o.deviceAddr, tx.Page{}); len(list) == 0 || list[0].Hash != o.conversion {
		t.Errorf("transfer list lost the conversion")
	}

	opts := fixed(1)
	opts.HashRetention = -1
	forever := nistest.NewNetwork(t, 1, opts)
	k := forever.NewAccount()
	h, _ := forever.Fund(k.Address(nem.Testnet), 1)
	forever.Advance(0, 1000*time.Hour)
	if _, err := forever.Node(0).Client().Transaction(ctx, h); err != nil {
		t.Errorf("retention forever: %v", err)
	}
}

func TestTimeAndHeight(t *testing.T) {
	ctx := context.Background()
	net := nistest.NewNetwork(t, 1, fixed(1))
	c := net.Node(0).Client()
	if got, err := c.NetworkTime(ctx); err != nil || !got.Equal(start) {
		t.Errorf("network time %v, %v", got, err)
	}
	net.Advance(3, 90*time.Second)
	if h, _ := c.ChainHeight(ctx); h != 1003 {
		t.Errorf("height %d", h)
	}
	if got, _ := c.NetworkTime(ctx); !got.Equal(start.Add(90 * time.Second)) {
		t.Errorf("time %v", got)
	}
	later := start.Add(48 * time.Hour)
	net.SetTime(later)
	if got, _ := c.NetworkTime(ctx); !got.Equal(later) || !net.Time().Equal(later) {
		t.Errorf("SetTime: %v", got)
	}
	ext, err := c.NodeExtendedInfo(ctx)
	if err != nil || ext.CurrentTime != nem.TimestampOf(later) || ext.Node.Name == "" {
		t.Errorf("extended info %+v, %v", ext, err)
	}
	// A running clock: network time follows it.
	var clock time.Time = start
	opts := &nistest.Options{Clock: func() time.Time { return clock }, Network: nem.Mainnet, Height: 5605900}
	running := nistest.NewNetwork(t, 1, opts)
	clock = start.Add(time.Minute)
	rc := running.Node(0).Client()
	if got, _ := rc.NetworkTime(ctx); !got.Equal(start.Add(time.Minute)) {
		t.Errorf("running clock: %v", got)
	}
	if info, _ := rc.NodeInfo(ctx); info.Network != nem.Mainnet {
		t.Errorf("mainnet node says %v", info.Network)
	}
	if h, _ := rc.ChainHeight(ctx); h != 5605900 {
		t.Errorf("start height %d", h)
	}
}

func TestRoutesAndEncoding(t *testing.T) {
	o := setup(t, 1)
	base := o.net.URLs()[0]
	code, body := rawGet(t, base+"/no/such/path")
	if code != 404 || !bytes.HasPrefix(body, []byte("<html>")) {
		t.Errorf("unknown path: %d %s", code, body)
	}
	resp, err := http.Post(base+"/account/get", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || !bytes.Contains(b, []byte("Request method 'POST' not supported")) {
		t.Errorf("wrong method: %d %s", resp.StatusCode, b)
	}
	if _, err := o.net.Node(0).Client().Account(context.Background(), o.deviceAddr); err != nil {
		t.Fatal(err)
	}
	// Big answers are gzipped when the client asks.
	req, _ := http.NewRequest("GET", base+"/account/get?address="+o.deviceAddr.String(), nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err = http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("headers %v", resp.Header)
	}
	// Wrapped lists and {} for an empty innerHash.
	code, body = rawGet(t, base+"/account/transfers/all?address="+o.deviceAddr.String())
	if code != 200 || !bytes.HasPrefix(body, []byte(`{"data":[`)) || !bytes.Contains(body, []byte(`"innerHash":{}`)) {
		t.Errorf("transfers: %d %s", code, body)
	}
	if o.net.Node(0).Requests() < 5 {
		t.Errorf("Requests() = %d", o.net.Node(0).Requests())
	}
}

func TestReproducible(t *testing.T) {
	a := nistest.NewNetwork(t, 2, fixed(9))
	b := nistest.NewNetwork(t, 2, fixed(9))
	if a.Node(1).PublicKey() != b.Node(1).PublicKey() || a.NewAccount().PublicKey() != b.NewAccount().PublicKey() {
		t.Error("same seed, different keys")
	}
	if _, err := nistest.Start(0, nil); err == nil {
		t.Error("Start(0) worked")
	}
	if _, err := nistest.Start(1, &nistest.Options{Network: 0x01}); !errors.Is(err, nem.ErrUnknownNetwork) {
		t.Errorf("unknown network: %v", err)
	}
}
