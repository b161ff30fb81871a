package nis

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/nemiot/nemiot/internal/nemtest"
	"github.com/nemiot/nemiot/internal/sharedtest"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/tx"
)

// encodeAccount writes an Account back in NIS JSON.
func encodeAccount(a *Account) []byte {
	info := func(i AccountInfo) map[string]any {
		m := map[string]any{
			"address": i.Address.String(), "publicKey": nil, "balance": i.Balance, "vestedBalance": i.VestedBalance,
			"harvestedBlocks": i.HarvestedBlocks, "importance": i.Importance, "label": nil, "multisigInfo": map[string]any{},
		}
		if !i.PublicKey.IsZero() {
			m["publicKey"] = i.PublicKey.String()
		}
		if i.IsMultisig() {
			m["multisigInfo"] = map[string]any{"cosignatoriesCount": i.MultisigInfo.CosignatoriesCount, "minCosignatories": i.MultisigInfo.MinCosignatories}
		}
		return m
	}
	list := func(l []AccountInfo) []any {
		out := []any{}
		for _, i := range l {
			out = append(out, info(i))
		}
		return out
	}
	b, err := json.Marshal(map[string]any{
		"account": info(a.AccountInfo),
		"meta":    map[string]any{"status": a.Status, "remoteStatus": a.RemoteStatus, "cosignatories": list(a.Cosignatories), "cosignatoryOf": list(a.CosignatoryOf)},
	})
	if err != nil {
		panic(err)
	}
	return b
}

// FuzzDecodeAccount checks the /account/get decoder: every failure is
// ErrBadResponse with no result; every success satisfies the NIS
// invariants the decoder promises and survives re-encoding.
func FuzzDecodeAccount(f *testing.F) {
	sharedtest.RequireSeeds(f, 5)
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := decodeAccount("/account/get", body)
		if err != nil {
			if a != nil || !errors.Is(err, ErrBadResponse) {
				t.Fatalf("failure %v with result %v", err, a)
			}
			return
		}
		n := a.Address.Network()
		if !n.Valid() {
			t.Fatalf("network %v", n)
		}
		if !a.PublicKey.IsZero() && a.PublicKey.Address(n) != a.Address {
			t.Fatal("public key does not match address")
		}
		if len(a.Cosignatories) != a.MultisigInfo.CosignatoriesCount || len(a.Cosignatories) > MaxCosignatories {
			t.Fatalf("%d cosignatories, count %d", len(a.Cosignatories), a.MultisigInfo.CosignatoriesCount)
		}
		if a.IsMultisig() {
			if th := a.MultisigInfo.Threshold(); th < 1 || th > a.MultisigInfo.CosignatoriesCount {
				t.Fatalf("threshold %d of %d", th, a.MultisigInfo.CosignatoriesCount)
			}
			if len(a.CosignatoryOf) > 0 {
				t.Fatal("a multisig account that cosigns")
			}
		}
		seen := map[nem.Address]bool{a.Address: true}
		for _, c := range append(append([]AccountInfo{}, a.Cosignatories...), a.CosignatoryOf...) {
			if seen[c.Address] || c.Address.Network() != n {
				t.Fatalf("duplicate or foreign %s", c.Address)
			}
			seen[c.Address] = true
		}
		for _, c := range a.Cosignatories {
			if c.PublicKey.IsZero() || c.PublicKey.Address(n) != c.Address || c.IsMultisig() {
				t.Fatalf("bad cosignatory %+v", c)
			}
		}
		for _, m := range a.CosignatoryOf {
			if !m.IsMultisig() {
				t.Fatalf("cosignatoryOf a plain account %s", m.Address)
			}
		}
		again, err := decodeAccount("/account/get", encodeAccount(a))
		if err != nil {
			t.Fatalf("re-encoded account does not decode: %v", err)
		}
		if !reflect.DeepEqual(again, a) {
			t.Fatalf("round trip\n%+v\n%+v", again, a)
		}
	})
}

// FuzzDecodeTransactionPair checks the /transaction/get decoder: failures
// are ErrBadResponse; an accepted transaction of a supported type writes
// JSON that decodes to the same bytes, and verifying it never panics.
func FuzzDecodeTransactionPair(f *testing.F) {
	sharedtest.RequireSeeds(f, 5)
	f.Fuzz(func(t *testing.T, body []byte) {
		ct, err := decodeTransactionPair("/transaction/get", body)
		if err != nil {
			if ct != nil || !errors.Is(err, ErrBadResponse) {
				t.Fatalf("failure %v with result %v", err, ct)
			}
			return
		}
		txn := ct.Transaction
		if txn == nil || txn.Signature == (nem.Signature{}) || ct.Height < 1 {
			t.Fatalf("accepted %+v", ct)
		}
		if (txn.Type == tx.TypeMultisig) == ct.InnerHash.IsZero() {
			t.Fatal("inner hash and type disagree")
		}
		_ = ct.Verify()
		_ = ct.Transfer()
		data := nemtest.CheckJSONRoundTrip(t, txn)
		if data == nil {
			return
		}
		dec, err := tx.DecodeTransaction(data)
		if err != nil {
			t.Fatalf("own bytes do not decode: %v", err)
		}
		if b, _ := dec.Serialize(); !bytes.Equal(b, data) {
			t.Fatal("binary round trip")
		}
	})
}
