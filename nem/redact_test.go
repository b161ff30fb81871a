package nem

import (
	"crypto/hkdf"
	"crypto/sha256"
	"testing"

	"github.com/nemiot/nemiot/nem/internal/leaktest"
)

// TestPrivateKeyNoVerbShowsSecret prints a key under every fmt verb, as a
// value, a pointer and inside containers, wrapped by fmt.Errorf and logged by
// log/slog: no output may change when the secret does, nor hold its bytes.
// %p on a value and %w outside Errorf used to print every field.
func TestPrivateKeyNoVerbShowsSecret(t *testing.T) {
	k := mustKey(t, vecPriv)
	other, err := GeneratePrivateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	m, alt := *k.secret(), *other.secret()
	swap := func() { *k.secret(), alt = alt, *k.secret() }
	leaktest.Check(t, k, redacted, swap, m.raw[:], m.clamp[:], m.prefix[:], m.scalar.Bytes())
}

// TestSharedKeyNoVerbShowsSecret is TestPrivateKeyNoVerbShowsSecret for a
// SharedKey: neither the ECDH point nor the GCM key may show.
func TestSharedKeyNoVerbShowsSecret(t *testing.T) {
	a := mustKey(t, vecPriv)
	var sks [2]*SharedKey
	for i := range sks {
		b, err := GeneratePrivateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		if sks[i], err = a.SharedKey(b.PublicKey()); err != nil {
			t.Fatal(err)
		}
	}
	sk := sks[0]
	m, alt := *sk.secret(), *sks[1].secret()
	gcmKey, err := hkdf.Key(sha256.New, m.point[:], nil, "nem-nis1", 32)
	if err != nil {
		t.Fatal(err)
	}
	swap := func() { *sk.secret(), alt = alt, *sk.secret() }
	leaktest.Check(t, sk, redactedShared, swap, m.point[:], gcmKey)
}

// TestZeroKeysDoNotPanic: the zero PrivateKey, SharedKey and their methods
// behave as an all-zero key (as before the secret moved behind a pointer)
// rather than dereferencing nil.
func TestZeroKeysDoNotPanic(t *testing.T) {
	var k PrivateKey
	zero := mustKey(t, "00")
	if k.PublicKey() != (PublicKey{}) || k.Hex() != zero.Hex() || !k.Equal(&PrivateKey{}) || !k.Equal(zero) {
		t.Errorf("zero PrivateKey: public key %s, hex %s", k.PublicKey(), k.Hex())
	}
	_ = k.Sign([]byte("m"))
	var s SharedKey
	if _, err := s.DecryptCBC(make([]byte, 64)); err == nil {
		t.Error("zero SharedKey decrypted junk")
	}
}
