package nistest_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nemiot/nemiot/internal/sharedtest"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis/nistest"
	"github.com/nemiot/nemiot/nem/tx"
)

// shape adds the key paths of a JSON value to out ("meta.cosignatories[].address"),
// with the JSON kind of each leaf, so that two answers of the same endpoint
// can be compared without their values.
func shape(v any, path string, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			out[path+"={}"] = true
		}
		for k, e := range x {
			shape(e, path+"."+k, out)
		}
	case []any:
		out[path+"[]"] = true
		for _, e := range x {
			shape(e, path+"[]", out)
		}
	case nil:
		out[path+"=null"] = true
	default:
		out[path+"="+fmt.Sprintf("%T", x)] = true
	}
}

func shapeOf(t *testing.T, b []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	m := map[string]bool{}
	shape(v, "", m)
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestShapesMatchFixtures compares the JSON nistest nodes answer with what
// real NIS nodes answered (the shared fixtures), key by key: the same
// fields, nulls, empty objects and lists.
func TestShapesMatchFixtures(t *testing.T) {
	// The fixtures vendored for package nis (see its testdata/nis-fixtures/README.md).
	read := func(name string) []byte {
		return sharedtest.ReadFile(t, filepath.Join("..", "testdata", "nis-fixtures", name))
	}
	net := nistest.NewNetwork(t, 1, fixed(4))
	owner, other := net.NewAccount(), net.NewAccount()
	// The device is funded only by its owner, with a message, as in the
	// fixture (NewAccount's funding transfer has none: "message":{}).
	device, err := nem.GeneratePrivateKey(rand.NewChaCha8([32]byte{99}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := net.AddTransfer(owner, device.Address(nem.Testnet), 5_000_000, tx.PlainMessage([]byte("fund device"))); err != nil {
		t.Fatal(err)
	}
	if _, err := net.ConvertToMultisig(device, 1, owner.PublicKey()); err != nil {
		t.Fatal(err)
	}
	base := net.URLs()[0]
	addr := func(k *nem.PrivateKey) string { return k.Address(nem.Testnet).String() }
	fundedOnly := net.NewAccount()
	cases := []struct{ fixture, path string }{
		{"account-multisig-1of1.json", "/account/get?address=" + addr(device)},
		{"account-plain.json", "/account/get?address=" + addr(other) + "&x=" + other.PublicKey().String()},
		{"account-no-public-key.json", "/account/get?address=" + addr(fundedOnly)},
		{"account-unknown-valid-address.json", "/account/get?address=" + nem.PublicKey{5}.Address(nem.Testnet).String()},
		{"account-cosignatory.json", "/account/get?address=" + addr(owner)},
		{"account-transfers-all-device1of1.json", "/account/transfers/all?address=" + addr(device)},
		{"heartbeat.json", "/heartbeat"},
		{"status-synchronized.json", "/status"},
		{"chain-height.json", "/chain/height"},
		{"network-time.json", "/time-sync/network-time"},
		{"node-info-testnet.json", "/node/info"},
		{"node-extended-info.json", "/node/extended-info"},
		{"error-invalid-address.json", "/account/get?address=NAAAAA"},
		{"error-missing-address.json", "/account/get"},
		{"error-hash-not-found.json", "/transaction/get?hash=" + strings.Repeat("ab", 32)},
	}
	// The plain account has signed something (so its key is known).
	if _, err := net.AddTransfer(other, owner.Address(nem.Testnet), 1, tx.Message{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		code, body := rawGet(t, base+tc.path)
		if code != 200 && !strings.HasPrefix(tc.fixture, "error-") {
			t.Errorf("%s: %d %s", tc.path, code, body)
			continue
		}
		got, want := shapeOf(t, body), shapeOf(t, read(tc.fixture))
		if !slices.Equal(got, want) {
			t.Errorf("%s differs from %s:\n got %v\nwant %v", tc.path, tc.fixture, diff(got, want), diff(want, got))
		}
	}

	// A confirmed multisig modification, and the same one while pending.
	d := net.NewAccount()
	o2 := net.NewAccount()
	if _, err := net.ConvertToMultisig(d, 1, o2.PublicKey(), owner.PublicKey()); err != nil {
		t.Fatal(err)
	}
	e := net.NewAccount()
	now := nem.TimestampOf(net.Time())
	w := &tx.Transaction{Type: tx.TypeMultisig, Network: nem.Testnet, TimeStamp: now, Deadline: now + 3600,
		Inner: &tx.Transaction{Type: tx.TypeMultisigModification, Network: nem.Testnet, Version: 1, TimeStamp: now, Deadline: now + 3600,
			Signer: d.PublicKey(), Modifications: []tx.Modification{{Type: tx.AddCosignatory, Cosignatory: e.PublicKey()}}}}
	w.Inner.Fee, w.Fee = tx.MinimumFee(w.Inner), tx.MinimumFee(w)
	// Make the account 2-of-2 so that the announced change waits for a
	// cosignature.
	if _, err := net.ModifyMultisig(d.PublicKey(), nil, nil, 1, o2); err != nil {
		t.Fatal(err)
	}
	now = nem.TimestampOf(net.Time())
	w.TimeStamp, w.Inner.TimeStamp = now, now
	st, err := w.Sign(o2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := net.Node(0).Client().Announce(t.Context(), st); err != nil {
		t.Fatal(err)
	}
	code, body := rawGet(t, base+"/account/unconfirmedTransactions?address="+addr(d))
	if got, want := shapeOf(t, body), shapeOf(t, read("account-unconfirmed-pending-modification.json")); code != 200 || !slices.Equal(got, want) {
		t.Errorf("unconfirmed differs:\n got %v\nwant %v", diff(got, want), diff(want, got))
	}
	c, _ := tx.NewCosignature(w, now, now+3600)
	cst, _ := c.Sign(owner)
	if _, err := net.Node(0).Client().Announce(t.Context(), cst); err != nil {
		t.Fatal(err)
	}
	code, body = rawGet(t, base+"/transaction/get?hash="+st.Hash().String())
	if got, want := shapeOf(t, body), shapeOf(t, read("transaction-get-multisig-modification-confirmed.json")); code != 200 || !slices.Equal(got, want) {
		t.Errorf("transaction/get differs:\n got %v\nwant %v", diff(got, want), diff(want, got))
	}
}

// diff returns the entries of a not in b.
func diff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
