package tx_test

import (
	"path/filepath"
	"testing"

	"github.com/nemiot/nemiot/internal/sharedtest"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/tx"
)

// fixture returns the bytes of a NIS fixture vendored in
// testdata/nis-fixtures. A fixture that does not load fails the test: it is
// part of the module, never skipped.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	return sharedtest.ReadFile(t, filepath.Join("testdata", "nis-fixtures", name))
}

// TestFixtureChecksums checks the vendored fixtures against the sha256 table
// of their README.md.
func TestFixtureChecksums(t *testing.T) {
	if n := len(sharedtest.CheckSums(t, filepath.Join("testdata", "nis-fixtures"))); n != 3 {
		t.Errorf("%d fixtures listed, want 3", n)
	}
}

func mustAddress(t testing.TB, s string) nem.Address {
	t.Helper()
	a, err := nem.ParseAddress(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func mustKey(t testing.TB, s string) nem.PublicKey {
	t.Helper()
	k, err := nem.ParsePublicKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustPrivate(t testing.TB, s string) *nem.PrivateKey {
	t.Helper()
	k, err := nem.ParsePrivateKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustHash(t testing.TB, s string) tx.Hash {
	t.Helper()
	h, err := tx.ParseHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
