package hd

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// FuzzSeed checks mnemonic parsing on arbitrary text. Invariants: no panic;
// Seed and ValidateMnemonic agree; a failure is ErrChecksum or
// ErrInvalidMnemonic (a WordError with a position inside the phrase) and
// returns no seed and never quotes the phrase; a success gives 64 bytes, the
// phrase round-trips through its entropy to its canonical form, and the
// canonical form gives the same seed.
func FuzzSeed(f *testing.F) {
	f.Add("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about", "TREZOR")
	f.Add("legal winner thank year wave sausage worth useful legal winner thank yellow", "")
	f.Add("zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo vote", "caf\u00e9")
	f.Add("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon", "")
	f.Add("Abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about", "")
	f.Add("ａｂａｎｄｏｎ abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about", "ﬁ")
	f.Add("", "")
	f.Add("  \t\n", "\x00")
	f.Add("abandon", "\xff\xfe")
	f.Fuzz(func(t *testing.T, mnemonic, passphrase string) {
		seed, err := Seed(mnemonic, passphrase)
		verr := ValidateMnemonic(mnemonic)
		if (err == nil) != (verr == nil) || (err != nil && err.Error() != verr.Error()) {
			t.Fatalf("Seed err %v, ValidateMnemonic err %v", err, verr)
		}
		words := strings.Fields(norm.NFKD.String(mnemonic))
		if err != nil {
			if seed != nil {
				t.Fatal("seed returned with an error")
			}
			var we *WordError
			switch {
			case errors.As(err, &we):
				if we.Position < 1 || we.Position > len(words) || !errors.Is(err, ErrInvalidMnemonic) {
					t.Fatalf("WordError position %d of %d words", we.Position, len(words))
				}
			case errors.Is(err, ErrChecksum), errors.Is(err, ErrInvalidMnemonic):
			default:
				t.Fatalf("untyped error %v", err)
			}
			if len(mnemonic) >= 8 && strings.Contains(err.Error(), mnemonic) {
				t.Fatalf("error %q quotes the phrase", err)
			}
			return
		}
		if len(seed) != 64 {
			t.Fatalf("seed of %d bytes", len(seed))
		}
		canonical := strings.Join(words, " ")
		entropy, err := EntropyFromMnemonic(mnemonic)
		if err != nil {
			t.Fatalf("EntropyFromMnemonic: %v", err)
		}
		if m, err := MnemonicFromEntropy(entropy); err != nil || m != canonical {
			t.Fatalf("round trip gave %q, %v; want %q", m, err, canonical)
		}
		if again, err := Seed(canonical, passphrase); err != nil || !bytes.Equal(again, seed) {
			t.Fatalf("canonical phrase gave another seed (%v)", err)
		}
	})
}

// FuzzDerivePath checks path parsing. Invariants: no panic; DerivePath and
// ParsePath agree; a failure is exactly one of ErrInvalidPath and
// ErrNotHardened; a success has at most MaxDepth hardened indexes, its
// canonical spelling parses to the same indexes, and DerivePath equals the
// chain of Derive calls.
func FuzzDerivePath(f *testing.F) {
	for _, s := range []string{
		"m", "m/44'/43'/0'/0'/0'", "m/44'/1'/2147483647'/0'/0'", "m/0h/1H", "m/44", "m/44'/",
		"m//", "m/2147483648'", "m/1''", "M/0'", "", "m/00000000001'", "m/1'/2'/3'/4'/5'/6'/7'/8'",
	} {
		f.Add(s)
	}
	master := NewMaster(bytes.Repeat([]byte{7}, 64))
	f.Fuzz(func(t *testing.T, path string) {
		indexes, err := ParsePath(path)
		k, derr := master.DerivePath(path)
		if (err == nil) != (derr == nil) {
			t.Fatalf("ParsePath err %v, DerivePath err %v", err, derr)
		}
		if err != nil {
			if errors.Is(err, ErrInvalidPath) == errors.Is(err, ErrNotHardened) {
				t.Fatalf("error %v is not exactly one sentinel", err)
			}
			if indexes != nil || k != nil {
				t.Fatal("result returned with an error")
			}
			return
		}
		if len(indexes) > MaxDepth {
			t.Fatalf("%d elements", len(indexes))
		}
		canonical := "m"
		want := master
		for _, i := range indexes {
			if i&Hardened == 0 {
				t.Fatalf("index %#x is not hardened", i)
			}
			canonical += "/" + strconv.FormatUint(uint64(i&^Hardened), 10) + "'"
			want = want.Derive(i)
		}
		again, err := ParsePath(canonical)
		if err != nil || len(again) != len(indexes) {
			t.Fatalf("canonical %q: %v, %v", canonical, again, err)
		}
		for j := range again {
			if again[j] != indexes[j] {
				t.Fatalf("canonical %q parses to %v, not %v", canonical, again, indexes)
			}
		}
		if k.secret().key != want.secret().key || k.secret().chainCode != want.secret().chainCode {
			t.Fatal("DerivePath differs from the Derive chain")
		}
	})
}
