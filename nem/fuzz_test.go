package nem

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzParseAddress: no panic; every error is one of the package's sentinels;
// an accepted address re-encodes to the input with dashes removed and upper
// case, and parses back to itself.
func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{vecAddr, "NDD2CT-6LQLIY-Q56KIX-I3ENTM-6EK3D4-4P5JFX-J4R4", strings.ToLower(vecAddr),
		"TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK2", "MDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5LDT7JHT", "", "-", vecAddr[:39] + "5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddress(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidAddress) && !errors.Is(err, ErrChecksum) && !errors.Is(err, ErrUnknownNetwork) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		want := strings.ToUpper(strings.ReplaceAll(s, "-", ""))
		if a.String() != want {
			t.Fatalf("ParseAddress(%q).String() = %q, want %q", s, a.String(), want)
		}
		b, err := ParseAddress(a.Pretty())
		if err != nil || b != a {
			t.Fatalf("pretty form does not round-trip: %v", err)
		}
		if !a.Network().Valid() {
			t.Fatal("accepted an unknown network")
		}
	})
}

// FuzzParsePrivateKey: no panic; errors are ErrInvalidKey and never contain
// the input; accepted keys have a canonical 64-character form that parses to
// the same key.
func FuzzParsePrivateKey(f *testing.F) {
	for _, s := range []string{vecPriv, "00" + vecPriv, vecPriv[2:], "00", "", "0", strings.Repeat("f", 66), "zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParsePrivateKey(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("untyped error %v", err)
			}
			if len(s) >= 8 && strings.Contains(err.Error(), s) {
				t.Fatalf("error echoes the input: %v", err)
			}
			return
		}
		if len(k.Hex()) != 64 {
			t.Fatalf("Hex() = %q", k.Hex())
		}
		k2, err := ParsePrivateKey(k.Hex())
		if err != nil || !k2.Equal(k) || k2.PublicKey() != k.PublicKey() {
			t.Fatal("canonical form does not round-trip")
		}
	})
}

// FuzzParseSignature covers both hex parsers of public values.
func FuzzParseSignature(f *testing.F) {
	sig := mustKey(f, vecPriv).Sign([]byte("x"))
	f.Add(sig.String())
	f.Add(vecPub)
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		if sg, err := ParseSignature(s); err != nil {
			if !errors.Is(err, ErrInvalidSignature) {
				t.Fatalf("untyped error %v", err)
			}
		} else if !strings.EqualFold(sg.String(), s) {
			t.Fatal("signature does not round-trip")
		}
		if p, err := ParsePublicKey(s); err != nil {
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("untyped error %v", err)
			}
		} else if !strings.EqualFold(p.String(), s) {
			t.Fatal("public key does not round-trip")
		}
	})
}

var (
	fuzzAlice = mustKeyNoT("1111111111111111111111111111111111111111111111111111111111111111")
	fuzzBob   = mustKeyNoT("2222222222222222222222222222222222222222222222222222222222222222")
)

func mustKeyNoT(s string) *PrivateKey {
	k, err := ParsePrivateKey(s)
	if err != nil {
		panic(err)
	}
	return k
}

// FuzzDecrypt feeds arbitrary payloads to both decryptions: no panic, and
// every failure is exactly ErrDecrypt. A GCM payload that authenticates must
// re-encrypt to itself under the same IV.
func FuzzDecrypt(f *testing.F) {
	cbc, _ := EncryptCBC(nil, fuzzAlice, fuzzBob.PublicKey(), []byte("switch on"))
	gcm, _ := EncryptGCM(nil, fuzzAlice, fuzzBob.PublicKey(), []byte("switch on"))
	f.Add(cbc)
	f.Add(gcm)
	f.Add([]byte{})
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, payload []byte) {
		if _, err := DecryptCBC(fuzzBob, fuzzAlice.PublicKey(), payload); err != nil && err != ErrDecrypt {
			t.Fatalf("CBC error %v", err)
		}
		plain, err := DecryptGCM(fuzzBob, fuzzAlice.PublicKey(), payload)
		if err != nil {
			if err != ErrDecrypt {
				t.Fatalf("GCM error %v", err)
			}
			return
		}
		again, err := EncryptGCM(bytes.NewReader(payload[16:28]), fuzzAlice, fuzzBob.PublicKey(), plain)
		if err != nil || !bytes.Equal(again, payload) {
			t.Fatal("authenticated GCM payload does not re-encrypt to itself")
		}
	})
}
