// Package nemtest holds test helpers shared by the tests of the nem
// packages: parsers that fail the test instead of returning an error, and
// the round-trip check every transaction decoder's fuzz test ends with.
package nemtest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/tx"
)

// Address parses s or fails t.
func Address(t testing.TB, s string) nem.Address {
	t.Helper()
	a, err := nem.ParseAddress(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// PublicKey parses s or fails t.
func PublicKey(t testing.TB, s string) nem.PublicKey {
	t.Helper()
	k, err := nem.ParsePublicKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// PrivateKey parses s or fails t.
func PrivateKey(t testing.TB, s string) *nem.PrivateKey {
	t.Helper()
	k, err := nem.ParsePrivateKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Hash parses s or fails t.
func Hash(t testing.TB, s string) tx.Hash {
	t.Helper()
	h, err := tx.ParseHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// CheckJSONRoundTrip checks a transaction a decoder accepted: serializing
// it either fails as ErrInvalidTransaction or ErrUnsupportedType (and
// CheckJSONRoundTrip returns nil), or its own JSON parses back to the same
// bytes and signature. It returns the serialized bytes.
func CheckJSONRoundTrip(t testing.TB, txn *tx.Transaction) []byte {
	t.Helper()
	data, err := txn.Serialize()
	if err != nil {
		if !errors.Is(err, tx.ErrInvalidTransaction) && !errors.Is(err, tx.ErrUnsupportedType) {
			t.Fatalf("Serialize: %v", err)
		}
		return nil
	}
	js, err := txn.MarshalJSON()
	if err != nil {
		t.Fatalf("MarshalJSON of a serializable transaction: %v", err)
	}
	back, err := tx.ParseTransactionJSON(js)
	if err != nil {
		t.Fatalf("own JSON does not parse: %v\n%s", err, js)
	}
	again, err := back.Serialize()
	if err != nil || !bytes.Equal(again, data) || back.Signature != txn.Signature {
		t.Fatalf("JSON round trip: %v\n%x\n%x", err, again, data)
	}
	return data
}
