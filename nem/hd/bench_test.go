package hd

import (
	"bytes"
	"testing"

	"github.com/nemiot/nemiot/nem"
)

const benchMnemonic = "void come effort suffer camp survey warrior heavy shoot primary clutch crush open amazing screen patrol group space point ten exist slush involve unfold"

func BenchmarkSeed(b *testing.B) {
	for b.Loop() {
		if _, err := Seed(benchMnemonic, "TREZOR"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateMnemonic(b *testing.B) {
	for b.Loop() {
		if err := ValidateMnemonic(benchMnemonic); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDerivePath(b *testing.B) {
	m := NewMaster(bytes.Repeat([]byte{1}, 64))
	path := Path(nem.Mainnet, 0)
	for b.Loop() {
		if _, err := m.DerivePath(path); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAccount is the whole way from a derived node to a usable NEM key
// (the key's public key and signing values are computed here).
func BenchmarkAccount(b *testing.B) {
	m := NewMaster(bytes.Repeat([]byte{1}, 64))
	path := Path(nem.Mainnet, 0)
	for b.Loop() {
		k, err := m.DerivePath(path)
		if err != nil {
			b.Fatal(err)
		}
		_ = k.PrivateKey()
	}
}

func BenchmarkNanoWalletChild(b *testing.B) {
	primary, err := nem.ParsePrivateKey(nanoWalletCases[0].primary)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := NanoWalletChild(primary, "TestTest", 0); err != nil {
			b.Fatal(err)
		}
	}
}
