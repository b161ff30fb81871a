//go:build !race

// The race detector makes sync.Pool drop items at random, so allocation
// counts are only meaningful without it.

package nem

import "testing"

// TestHotPathAllocs: signing, verifying and hashing allocate nothing, so a
// device opening thousands of envelopes a second does not feed the GC.
func TestHotPathAllocs(t *testing.T) {
	k := mustKey(t, vecPriv)
	msg := make([]byte, 300)
	sig := k.Sign(msg)
	pub := k.PublicKey()
	v, err := NewVerifier(pub)
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func(){
		"Sign":             func() { k.Sign(msg) },
		"PublicKey.Verify": func() { pub.Verify(msg, sig) },
		"Verifier.Verify":  func() { v.Verify(msg, sig) },
		"Keccak256":        func() { Keccak256(msg, sig[:]) },
		"Keccak512":        func() { Keccak512(sig[:32], pub[:], msg) },
	} {
		if n := testing.AllocsPerRun(50, f); n != 0 {
			t.Errorf("%s: %v allocations per call, want 0", name, n)
		}
	}
}
