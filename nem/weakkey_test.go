package nem

import (
	"encoding/hex"
	"errors"
	"testing"

	"filippo.io/edwards25519"

	"github.com/nemiot/nemiot/internal/sharedtest"
)

// smallOrderKeys are the encodings of points of order dividing 8.
var smallOrderKeys = sharedtest.SmallOrderKeys

func mustPub(t *testing.T, s string) PublicKey {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		t.Fatalf("bad test key %q", s)
	}
	return PublicKey(b)
}

func TestValidateRefusesSmallOrder(t *testing.T) {
	k, err := GeneratePrivateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range smallOrderKeys {
		p := mustPub(t, s)
		var P edwards25519.Point
		if _, err := P.SetBytes(p[:]); err != nil {
			continue // not decodable here: Validate must say invalid
		}
		if err := p.Validate(); !errors.Is(err, ErrWeakKey) {
			t.Errorf("Validate(%s) = %v, want ErrWeakKey", s, err)
		}
		if _, err := k.SharedKey(p); !errors.Is(err, ErrWeakKey) {
			t.Errorf("SharedKey(%s) = %v, want ErrWeakKey", s, err)
		}
		if _, err := EncryptGCM(nil, k, p, []byte("x")); !errors.Is(err, ErrWeakKey) {
			t.Errorf("EncryptGCM to %s = %v, want ErrWeakKey", s, err)
		}
		if _, err := EncryptCBC(nil, k, p, []byte("x")); !errors.Is(err, ErrWeakKey) {
			t.Errorf("EncryptCBC to %s = %v, want ErrWeakKey", s, err)
		}
	}
	// Every point of order dividing 8 is refused: walk the torsion subgroup
	// from an order-8 generator.
	T := new(edwards25519.Point)
	t8 := mustPub(t, smallOrderKeys[4])
	if _, err := T.SetBytes(t8[:]); err != nil {
		t.Fatal(err)
	}
	P := edwards25519.NewIdentityPoint()
	for i := 0; i < 8; i++ {
		if err := PublicKey(P.Bytes()).Validate(); !errors.Is(err, ErrWeakKey) {
			t.Errorf("torsion point %d·T: Validate = %v, want ErrWeakKey", i, err)
		}
		P.Add(P, T)
	}
	// A real key, and a real key plus a torsion component (which NIS's
	// key agreement handles and which is not forgeable), are accepted.
	pub := k.PublicKey()
	if err := pub.Validate(); err != nil {
		t.Errorf("Validate(real key) = %v", err)
	}
	var A edwards25519.Point
	if _, err := A.SetBytes(pub[:]); err != nil {
		t.Fatal(err)
	}
	A.Add(&A, T)
	if err := PublicKey(A.Bytes()).Validate(); err != nil {
		t.Errorf("Validate(key + torsion) = %v, want nil", err)
	}
	// Not a point at all.
	bad := mustPub(t, "0200000000000000000000000000000000000000000000000000000000000000")
	if err := bad.Validate(); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("Validate(non-point) = %v, want ErrInvalidKey", err)
	}
}

func TestVerifyKeepsNISRuleForSmallOrder(t *testing.T) {
	// NIS verifies chain signatures without a small-order check: Verify and
	// NewVerifier must not start refusing such keys (only the all-zero key,
	// which NIS refuses too).
	p := mustPub(t, smallOrderKeys[4])
	if _, err := NewVerifier(p); err != nil {
		t.Errorf("NewVerifier(order-8 key) = %v, want nil (NIS rule)", err)
	}
}
