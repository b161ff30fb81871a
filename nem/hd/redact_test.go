package hd

import (
	"testing"

	"github.com/nemiot/nemiot/nem/internal/leaktest"
)

// TestKeyNoVerbShowsSecret prints a Key under every fmt verb, as a value, a
// pointer and inside containers, wrapped by fmt.Errorf and logged by
// log/slog: no output may change when the key and chain code do, nor hold
// their bytes. %p on a value and %w outside Errorf used to print both.
func TestKeyNoVerbShowsSecret(t *testing.T) {
	m := testMaster(t)
	k := m.Derive(1)
	mat, alt := *k.secret(), *m.Derive(2).secret()
	swap := func() { *k.secret(), alt = alt, *k.secret() }
	leaktest.Check(t, k, redacted, swap, mat.key[:], mat.chainCode[:])
}

// TestZeroKeyDoesNotPanic: a zero Key derives as a node with an all-zero
// key and chain code would, rather than dereferencing nil.
func TestZeroKeyDoesNotPanic(t *testing.T) {
	var z Key
	c := z.Derive(0)
	d, err := z.DerivePath("m/0'")
	if err != nil || c.secret().key != d.secret().key || len(z.ChainCode()) != 32 {
		t.Fatalf("zero Key: DerivePath = %v", err)
	}
	if root, err := z.DerivePath("m"); err != nil || root.secret().key != ([32]byte{}) {
		t.Fatalf("zero Key: DerivePath(m) = %v", err)
	}
	_ = z.PrivateKey()
}
