package tx_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/nemiot/nemiot/internal/nemtest"
	"github.com/nemiot/nemiot/internal/sharedtest"
	"github.com/nemiot/nemiot/nem/tx"
)

// FuzzDecodeTransaction checks the binary decoder (an announce body's data):
// it accepts only canonical bytes, which re-serialize to themselves.
func FuzzDecodeTransaction(f *testing.F) {
	sharedtest.RequireSeeds(f, 5)
	f.Fuzz(func(t *testing.T, data []byte) {
		txn, err := tx.DecodeTransaction(data)
		if err != nil {
			if txn != nil || !errors.Is(err, tx.ErrInvalidTransaction) && !errors.Is(err, tx.ErrUnsupportedType) {
				t.Fatalf("failure %v with result %v", err, txn)
			}
			return
		}
		again, err := txn.Serialize()
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("accepted bytes re-serialize differently: %v", err)
		}
		js, err := txn.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON: %v", err)
		}
		back, err := tx.ParseTransactionJSON(js)
		if err != nil {
			t.Fatalf("own JSON does not parse: %v\n%s", err, js)
		}
		if b, err := back.Serialize(); err != nil || !bytes.Equal(b, data) {
			t.Fatalf("JSON round trip: %v", err)
		}
	})
}

// serializable are the types this package writes in binary.
var serializable = map[tx.TransactionType]bool{
	tx.TypeTransfer: true, tx.TypeMultisigModification: true, tx.TypeMultisigSignature: true, tx.TypeMultisig: true,
}

// FuzzParseTransactionJSON checks the JSON decoder (a node's "transaction"
// object): every failure is ErrInvalidTransaction with no result; an
// accepted transaction of a supported type writes JSON that parses to the
// same bytes and signature, and verifying it never panics; one of another
// type keeps its JSON.
func FuzzParseTransactionJSON(f *testing.F) {
	sharedtest.RequireSeeds(f, 5)
	f.Fuzz(func(t *testing.T, b []byte) {
		txn, err := tx.ParseTransactionJSON(b)
		if err != nil {
			if txn != nil || !errors.Is(err, tx.ErrInvalidTransaction) {
				t.Fatalf("failure %v with result %v", err, txn)
			}
			return
		}
		_ = txn.Verify()
		if _, err := txn.Serialize(); errors.Is(err, tx.ErrUnsupportedType) && !serializable[txn.Type] {
			if js, err := txn.MarshalJSON(); err != nil || !bytes.Equal(js, b) {
				t.Fatalf("a transaction of type %s does not keep its JSON: %v", txn.Type, err)
			}
			return
		}
		nemtest.CheckJSONRoundTrip(t, txn) // also refuses a multisig wrapper of an unsupported type
	})
}
