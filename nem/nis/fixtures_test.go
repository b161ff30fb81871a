package nis_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/nemiot/nemiot/internal/sharedtest"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/tx"
)

// accountFixtures are the /account/get answers among the fixtures.
var accountFixtures = []string{
	"account-cosignatory.json",
	"account-multisig-1of1.json",
	"account-multisig-1of2-testnet-docs.json",
	"account-multisig-2of2-min0.json",
	"account-multisig-2of3.json",
	"account-multisig-2of4-after-pending-change.json",
	"account-no-public-key.json",
	"account-plain.json",
	"account-unknown-valid-address.json",
}

// covered lists every fixture a test in this package reads.
var covered = slices.Concat(accountFixtures, errorFixtureNames(), []string{
	"account-transfers-all-device1of1.json",
	"account-transfers-incoming-ownerA.json",
	"account-unconfirmed-pending-modification.json",
	"announce-result-failure.json",
	"announce-result-multisig.json",
	"request-announce-multisig.json",
	"chain-height.json",
	"chain-height-lagging.json",
	"heartbeat.json",
	"status-synchronized.json",
	"network-time.json",
	"node-info.json",
	"node-info-testnet.json",
	"node-extended-info.json",
	"transaction-get-apostille.json",
	"transaction-get-multisig-modification-confirmed.json",
	"keys.json",
})

// TestEveryFixtureCovered checks the vendored fixtures against the sha256
// table of their README.md, and that the tests read each of them: no fixture
// vendored in vain, none missing.
func TestEveryFixtureCovered(t *testing.T) {
	listed := sharedtest.CheckSums(t, fixtureDir)
	for _, name := range listed {
		if !slices.Contains(covered, name) {
			t.Errorf("fixture %s is not read by any test", name)
		}
	}
	for _, name := range covered {
		if !slices.Contains(listed, name) {
			t.Errorf("fixture %s is read by a test but not vendored", name)
		}
	}
}

func keyOrZero(t *testing.T, v any) nem.PublicKey {
	t.Helper()
	if v == nil {
		return nem.PublicKey{}
	}
	return mustKey(t, v.(string))
}

// checkInfo compares a decoded AccountInfo with its generic JSON.
func checkInfo(t *testing.T, what string, got nis.AccountInfo, want map[string]any) {
	t.Helper()
	if got.Address != mustAddress(t, want["address"].(string)) {
		t.Errorf("%s: address %s, want %s", what, got.Address, want["address"])
	}
	if k := keyOrZero(t, want["publicKey"]); got.PublicKey != k {
		t.Errorf("%s: public key %s, want %s", what, got.PublicKey, k)
	}
	for _, f := range []struct {
		name string
		got  uint64
	}{{"balance", got.Balance}, {"vestedBalance", got.VestedBalance}, {"harvestedBlocks", got.HarvestedBlocks}} {
		if w := uint64(want[f.name].(float64)); f.got != w {
			t.Errorf("%s: %s %d, want %d", what, f.name, f.got, w)
		}
	}
	if got.Importance != want["importance"].(float64) {
		t.Errorf("%s: importance %v, want %v", what, got.Importance, want["importance"])
	}
	ms := want["multisigInfo"].(map[string]any)
	var wantMS nis.MultisigInfo
	if len(ms) > 0 {
		wantMS = nis.MultisigInfo{CosignatoriesCount: int(ms["cosignatoriesCount"].(float64)), MinCosignatories: int(ms["minCosignatories"].(float64))}
	}
	if got.MultisigInfo != wantMS {
		t.Errorf("%s: multisigInfo %+v, want %+v", what, got.MultisigInfo, wantMS)
	}
	if got.IsMultisig() != (len(ms) > 0) {
		t.Errorf("%s: IsMultisig %v with multisigInfo %v", what, got.IsMultisig(), ms)
	}
}

// checkInfoSet compares a list of AccountInfo with a JSON list, as sets.
func checkInfoSet(t *testing.T, what string, got []nis.AccountInfo, want []any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d entries, want %d", what, len(got), len(want))
	}
	for _, w := range want {
		wm := w.(map[string]any)
		a := mustAddress(t, wm["address"].(string))
		i := slices.IndexFunc(got, func(g nis.AccountInfo) bool { return g.Address == a })
		if i < 0 {
			t.Errorf("%s: %s missing", what, a)
			continue
		}
		checkInfo(t, what+" "+a.String(), got[i], wm)
	}
}

func TestAccountFixtures(t *testing.T) {
	ctx := context.Background()
	for _, name := range accountFixtures {
		t.Run(name, func(t *testing.T) {
			body := fixture(t, name)
			want := generic(t, body)
			wantAcct := want["account"].(map[string]any)
			wantMeta := want["meta"].(map[string]any)
			node := newFakeNode(t, map[string]reply{
				"/account/get":                 {body: body},
				"/account/get/from-public-key": {body: body},
			})
			c := node.client()
			addr := mustAddress(t, wantAcct["address"].(string))
			acct, err := c.Account(ctx, addr)
			if err != nil {
				t.Fatal(err)
			}
			req, q, _ := node.last(t)
			if req != "GET /account/get" || q.Get("address") != addr.String() || len(q) != 1 {
				t.Errorf("request %s %v", req, q)
			}
			checkInfo(t, "account", acct.AccountInfo, wantAcct)
			checkInfoSet(t, "cosignatories", acct.Cosignatories, wantMeta["cosignatories"].([]any))
			checkInfoSet(t, "cosignatoryOf", acct.CosignatoryOf, wantMeta["cosignatoryOf"].([]any))
			if acct.Status != wantMeta["status"] || acct.RemoteStatus != wantMeta["remoteStatus"] {
				t.Errorf("status %q/%q, want %v/%v", acct.Status, acct.RemoteStatus, wantMeta["status"], wantMeta["remoteStatus"])
			}
			keys := acct.CosignatoryKeys()
			if !slices.IsSortedFunc(keys, func(a, b nem.PublicKey) int { return bytes.Compare(a[:], b[:]) }) || len(keys) != len(acct.Cosignatories) {
				t.Errorf("CosignatoryKeys %v not sorted or incomplete", keys)
			}
			for _, k := range keys {
				if !slices.ContainsFunc(acct.Cosignatories, func(c nis.AccountInfo) bool { return c.PublicKey == k }) {
					t.Errorf("CosignatoryKeys has %s, not a cosignatory", k)
				}
			}
			if acct.IsMultisig() {
				th := acct.MultisigInfo.MinCosignatories
				if th == 0 {
					th = len(keys)
				}
				if got := acct.MultisigInfo.Threshold(); got != th {
					t.Errorf("Threshold %d, want %d", got, th)
				}
			}

			// By public key: only for accounts whose key is known.
			if acct.PublicKey.IsZero() {
				return
			}
			byKey, err := c.AccountByPublicKey(ctx, acct.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			req, q, _ = node.last(t)
			if req != "GET /account/get/from-public-key" || q.Get("publicKey") != acct.PublicKey.String() {
				t.Errorf("request %s %v", req, q)
			}
			if byKey.Address != acct.Address || len(byKey.Cosignatories) != len(acct.Cosignatories) {
				t.Errorf("by key: %+v, by address %+v", byKey, acct)
			}
			// Asking for another address or key than the answer's is a bad response.
			other := nem.PublicKey{1}
			other[31] = 9
			if _, err := c.AccountByPublicKey(ctx, mustKey(t, "c5f54ba980fcbb657dbaaa42700539b207873e134d2375efeab5f1ab52f87800")); !errors.Is(err, nis.ErrBadResponse) {
				t.Errorf("answer for another key: %v, want ErrBadResponse", err)
			}
			otherAddr := other.Address(addr.Network())
			if _, err := c.Account(ctx, otherAddr); !errors.Is(err, nis.ErrBadResponse) {
				t.Errorf("answer for another address: %v, want ErrBadResponse", err)
			}
		})
	}
}

// TestFixtureKeys checks that the fixtures' accounts belong to keys.json:
// the key of each named role derives to its address, and the multisig
// fixtures list the owners the scenario says.
func TestFixtureKeys(t *testing.T) {
	var keys struct {
		Keys []struct{ Role, PrivateKey, PublicKey, Address string }
	}
	if err := json.Unmarshal(fixture(t, "keys.json"), &keys); err != nil {
		t.Fatal(err)
	}
	role := map[string]nem.PublicKey{}
	for _, k := range keys.Keys {
		priv := mustPrivate(t, k.PrivateKey)
		if priv.PublicKey() != mustKey(t, k.PublicKey) || priv.PublicKey().Address(nem.Mainnet) != mustAddress(t, k.Address) {
			t.Errorf("%s: key does not derive to %s", k.Role, k.Address)
		}
		role[k.Role] = priv.PublicKey()
	}
	ctx := context.Background()
	for _, tc := range []struct {
		file   string
		owners []string
		min    int
	}{
		{"account-multisig-1of1.json", []string{"ownerA"}, 1},
		{"account-multisig-2of3.json", []string{"ownerA", "ownerB", "ownerC"}, 2},
		{"account-multisig-2of2-min0.json", []string{"ownerA", "ownerB"}, 2},
		{"account-multisig-2of4-after-pending-change.json", []string{"ownerA", "ownerB", "ownerC", "ownerE"}, 2},
	} {
		body := fixture(t, tc.file)
		node := newFakeNode(t, map[string]reply{"/account/get": {body: body}})
		addr := mustAddress(t, generic(t, body)["account"].(map[string]any)["address"].(string))
		acct, err := node.client().Account(ctx, addr)
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		var want []nem.PublicKey
		for _, o := range tc.owners {
			want = append(want, role[o])
		}
		slices.SortFunc(want, func(a, b nem.PublicKey) int { return bytes.Compare(a[:], b[:]) })
		if got := acct.CosignatoryKeys(); !slices.Equal(got, want) {
			t.Errorf("%s: owners %v, want %v", tc.file, got, want)
		}
		if got := acct.MultisigInfo.Threshold(); got != tc.min {
			t.Errorf("%s: threshold %d, want %d", tc.file, got, tc.min)
		}
	}
}

func TestNodeFixtures(t *testing.T) {
	ctx := context.Background()
	node := newFakeNode(t, map[string]reply{
		"/heartbeat":              {body: fixture(t, "heartbeat.json")},
		"/status":                 {body: fixture(t, "status-synchronized.json")},
		"/chain/height":           {body: fixture(t, "chain-height.json")},
		"/time-sync/network-time": {body: fixture(t, "network-time.json")},
		"/node/info":              {body: fixture(t, "node-info.json")},
		"/node/extended-info":     {body: fixture(t, "node-extended-info.json")},
	})
	c := node.client()
	if err := c.Heartbeat(ctx); err != nil {
		t.Errorf("Heartbeat: %v", err)
	}
	if st, err := c.Status(ctx); err != nil || st != nis.StatusSynchronized {
		t.Errorf("Status: %v, %v", st, err)
	}
	if h, err := c.ChainHeight(ctx); err != nil || h != 5605900 {
		t.Errorf("ChainHeight: %d, %v", h, err)
	}
	nt := generic(t, fixture(t, "network-time.json"))
	wantTime := nem.Epoch.Add(time.Duration(nt["receiveTimeStamp"].(float64)) * time.Millisecond)
	if got, err := c.NetworkTime(ctx); err != nil || !got.Equal(wantTime) {
		t.Errorf("NetworkTime: %v, %v; want %v", got, err, wantTime)
	}
	// The scenario clock of the fixtures: 2025-11-25T10:00:00Z.
	if got, _ := c.NetworkTime(ctx); got.Truncate(time.Second) != time.Date(2025, 11, 25, 10, 0, 0, 0, time.UTC) {
		t.Errorf("NetworkTime %v is not the fixtures' scenario time", got)
	}
	info, err := c.NodeInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := nis.NodeInfo{
		Name: "hugealice", PublicKey: mustKey(t, "0f74a2f537cd9c986df018994dde75bdeee05e35eb9fe27adf506ca8475064f7"),
		Network: nem.Mainnet, Features: nis.FeatureTransactionHashLookup, Version: "0.6.101",
		Platform: "Oracle Corporation (1.8.0_392) on Linux", Protocol: "http", Host: "hugealice.nem.ninja", Port: 7890,
	}
	if *info != want {
		t.Errorf("NodeInfo %+v, want %+v", *info, want)
	}
	if !info.Features.Has(nis.FeatureTransactionHashLookup) || info.Features.Has(nis.FeatureHistoricalAccountData) {
		t.Errorf("features %v", info.Features)
	}
	ext, err := c.NodeExtendedInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ext.Node != want || ext.Application != "NEM Infrastructure Server" || ext.Version != "0.6.101" ||
		ext.StartTime != 335613215 || ext.CurrentTime != 336477215 {
		t.Errorf("NodeExtendedInfo %+v", *ext)
	}

	testnet := newFakeNode(t, map[string]reply{
		"/node/info":    {body: fixture(t, "node-info-testnet.json")},
		"/chain/height": {body: fixture(t, "chain-height-lagging.json")},
	})
	info, err = testnet.client().NodeInfo(ctx)
	if err != nil || info.Network != nem.Testnet || info.Name != "hugetestalice" {
		t.Errorf("testnet NodeInfo %+v, %v", info, err)
	}
	if h, err := testnet.client().ChainHeight(ctx); err != nil || h != 5605900-37 {
		t.Errorf("lagging ChainHeight %d, %v", h, err)
	}
}

// checkList checks a decoded transaction list against its JSON: the meta
// data of every entry, and that every transaction verifies.
func checkList(t *testing.T, got []*tx.ConfirmedTransaction, body []byte) {
	t.Helper()
	data := generic(t, body)["data"].([]any)
	if len(got) != len(data) {
		t.Fatalf("%d transactions, want %d", len(got), len(data))
	}
	for i, e := range data {
		meta := e.(map[string]any)["meta"].(map[string]any)
		txn := e.(map[string]any)["transaction"].(map[string]any)
		g := got[i]
		if g.Height != int64(meta["height"].(float64)) || g.ID != int64(meta["id"].(float64)) ||
			g.Hash != mustHash(t, meta["hash"].(map[string]any)["data"].(string)) {
			t.Errorf("entry %d: meta %+v, want %v", i, g, meta)
		}
		if ih, ok := meta["innerHash"].(map[string]any)["data"]; ok != !g.InnerHash.IsZero() || ok && g.InnerHash != mustHash(t, ih.(string)) {
			t.Errorf("entry %d: inner hash %s, want %v", i, g.InnerHash, meta["innerHash"])
		}
		if int32(g.Transaction.Type) != int32(txn["type"].(float64)) || g.Transaction.Signer != mustKey(t, txn["signer"].(string)) {
			t.Errorf("entry %d: type %s signer %s, want %v", i, g.Transaction.Type, g.Transaction.Signer, txn)
		}
		if err := g.Verify(); err != nil {
			t.Errorf("entry %d: %v", i, err)
		}
	}
}

func TestTransferListFixtures(t *testing.T) {
	ctx := context.Background()
	all := fixture(t, "account-transfers-all-device1of1.json")
	in := fixture(t, "account-transfers-incoming-ownerA.json")
	node := newFakeNode(t, map[string]reply{
		"/account/transfers/all":      {body: all},
		"/account/transfers/incoming": {body: in},
	})
	c := node.client()
	device := mustAddress(t, "NBZ6JK5YOCU6UPSSZ5D3G27UHAPHTY5HDQMGE6TT")
	got, err := c.AllTransfers(ctx, device, tx.Page{})
	if err != nil {
		t.Fatal(err)
	}
	checkList(t, got, all)
	if req, q, _ := node.last(t); req != "GET /account/transfers/all" || q.Encode() != "address="+device.String() {
		t.Errorf("request %s %v", req, q)
	}
	// The funding transfer from owner A, with its plain message.
	tr := got[1].Transfer()
	if tr == nil || tr.Recipient != device || tr.Amount != 5_000_000 || tr.Message.Type != tx.MessagePlain || string(tr.Message.Payload) != "fund device" {
		t.Errorf("funding transfer %+v", tr)
	}
	if got[0].Transfer() != nil {
		t.Errorf("a modification has no transfer")
	}
	conv := got[0].Transaction
	if conv.Type != tx.TypeMultisigModification || conv.MinCosignatoriesChange != 1 || len(conv.Modifications) != 1 ||
		conv.Modifications[0] != (tx.Modification{Type: tx.AddCosignatory, Cosignatory: mustKey(t, "c5f54ba980fcbb657dbaaa42700539b207873e134d2375efeab5f1ab52f87844")}) {
		t.Errorf("conversion %+v", conv)
	}

	ownerA := mustAddress(t, "NDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5JFXJ4R4")
	got, err = c.IncomingTransfers(ctx, ownerA, tx.Page{BeforeID: 912347756, Size: 50})
	if err != nil {
		t.Fatal(err)
	}
	checkList(t, got, in)
	_, q, _ := node.last(t)
	if q.Get("address") != ownerA.String() || q.Get("id") != "912347756" || q.Get("pageSize") != "50" {
		t.Errorf("paged query %v", q)
	}
	for _, g := range got {
		if !slices.ContainsFunc(g.Transaction.Modifications, func(m tx.Modification) bool { return m.Cosignatory.Address(nem.Mainnet) == ownerA }) {
			t.Errorf("incoming %s does not name owner A", g.Hash)
		}
	}
}

func TestUnconfirmedFixture(t *testing.T) {
	body := fixture(t, "account-unconfirmed-pending-modification.json")
	node := newFakeNode(t, map[string]reply{"/account/unconfirmedTransactions": {body: body}})
	device := mustAddress(t, "NCQW2P5DNZ5BBXQVGS367DQ4AHC3RXOEVGRCLY6V")
	list, err := node.client().UnconfirmedTransactions(context.Background(), device)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("%d entries", len(list))
	}
	u := list[0]
	want := mustHash(t, "8f8c0278082deae555ba4f436f85e912cffc9c325e6037043d0879a0a763ef79")
	if ih, err := u.Transaction.InnerHash(); err != nil || ih != want || u.InnerHash != want {
		t.Errorf("inner hash %s (meta %s), want %s; %v", ih, u.InnerHash, want, err)
	}
	if err := u.Transaction.Verify(); err != nil {
		t.Error(err)
	}
	if len(u.Transaction.Cosignatures) != 0 || u.Transaction.Inner.Signer.Address(nem.Mainnet) != device {
		t.Errorf("pending wrapper %+v", u.Transaction)
	}
	// A cosignature for it approves the same inner hash.
	c, err := tx.NewCosignature(u.Transaction, u.Transaction.TimeStamp, u.Transaction.Deadline)
	if err != nil || c.OtherHash != want || c.OtherAccount != device {
		t.Errorf("cosignature %+v, %v", c, err)
	}
}

func TestTransactionGetFixtures(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"transaction-get-apostille.json", "transaction-get-multisig-modification-confirmed.json"} {
		t.Run(name, func(t *testing.T) {
			body := fixture(t, name)
			meta := generic(t, body)["meta"].(map[string]any)
			h := mustHash(t, meta["hash"].(map[string]any)["data"].(string))
			node := newFakeNode(t, map[string]reply{"/transaction/get": {body: body}})
			got, err := node.client().Transaction(ctx, h)
			if err != nil {
				t.Fatal(err)
			}
			if _, q, _ := node.last(t); q.Get("hash") != h.String() {
				t.Errorf("query %v", q)
			}
			if got.Hash != h || got.Height != int64(meta["height"].(float64)) || got.ID != int64(meta["id"].(float64)) {
				t.Errorf("meta %+v", got)
			}
			if err := got.Verify(); err != nil {
				t.Fatal(err)
			}
			if th, _ := got.Transaction.Hash(); th != h {
				t.Errorf("hash %s, want %s", th, h)
			}
			// Asking for another hash than the answer's is a bad response.
			other := h
			other[0] ^= 1
			if _, err := node.client().Transaction(ctx, other); !errors.Is(err, nis.ErrBadResponse) {
				t.Errorf("answer for another hash: %v", err)
			}
		})
	}
	// The real mainnet Apostille: a public SHA-256 Apostille to the sink.
	body := fixture(t, "transaction-get-apostille.json")
	node := newFakeNode(t, map[string]reply{"/transaction/get": {body: body}})
	got, err := node.client().Transaction(ctx, mustHash(t, "06c19b8c53838fdaefb4a04126bc78e0c3ab90db48d8dba43f2063bb02139d69"))
	if err != nil {
		t.Fatal(err)
	}
	tr := got.Transfer()
	if tr == nil || tr.Recipient != mustAddress(t, "NCZSJHLTIMESERVBVKOW6US64YDZG2PFGQCSV23J") ||
		hex.EncodeToString(tr.Message.Payload[:5]) != "fe4e545903" || tr.Signer.Address(nem.Mainnet) != mustAddress(t, "NCOSIGIMCITYNRE7XUR77OREOYFLPAILCNUYLTPD") {
		t.Errorf("apostille transfer %+v", tr)
	}
}

func TestAnnounceFixtures(t *testing.T) {
	ctx := context.Background()
	reqBody := fixture(t, "request-announce-multisig.json")
	var st tx.SignedTransaction
	if err := json.Unmarshal(reqBody, &st); err != nil {
		t.Fatal(err)
	}
	node := newFakeNode(t, map[string]reply{"/transaction/announce": {body: fixture(t, "announce-result-multisig.json")}})
	res, err := node.client().Announce(ctx, &st)
	if err != nil {
		t.Fatal(err)
	}
	req, _, sent := node.last(t)
	if req != "POST /transaction/announce" {
		t.Errorf("request %s", req)
	}
	var a, b any
	json.Unmarshal(sent, &a)
	json.Unmarshal(reqBody, &b)
	if !jsonEqual(a, b) {
		t.Errorf("sent %s, want %s", sent, reqBody)
	}
	txn, err := st.Transaction()
	if err != nil {
		t.Fatal(err)
	}
	if err := txn.Verify(); err != nil {
		t.Fatal(err)
	}
	h, _ := txn.Hash()
	ih, _ := txn.InnerHash()
	if res.Code != 1 || res.Message != "SUCCESS" || res.TransactionHash != h || res.InnerTransactionHash != ih || st.Hash() != h {
		t.Errorf("result %+v; transaction hash %s inner %s", res, h, ih)
	}

	fail := newFakeNode(t, map[string]reply{"/transaction/announce": {body: fixture(t, "announce-result-failure.json")}})
	res, err = fail.client().Announce(ctx, &st)
	var ae *nis.AnnounceError
	if !errors.Is(err, nis.ErrRejected) || !errors.As(err, &ae) || ae.Code != 7 || ae.Message != "FAILURE_HASH_EXISTS" {
		t.Fatalf("failure: %v", err)
	}
	if res == nil || res.Code != 7 || res.TransactionHash != mustHash(t, "01f5707068bbe8d50398b9d1bbaa100ddc19211d0849212e87be95d245c0f1d5") || !res.InnerTransactionHash.IsZero() {
		t.Errorf("failure result %+v", res)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
