package tx_test

import (
	"path/filepath"
	"testing"

	"github.com/nemiot/nemiot/internal/nemtest"
	"github.com/nemiot/nemiot/internal/sharedtest"
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

// The parsers of package nemtest, under the names these tests use.
var (
	mustAddress = nemtest.Address
	mustKey     = nemtest.PublicKey
	mustPrivate = nemtest.PrivateKey
	mustHash    = nemtest.Hash
)
