package hd

import (
	"errors"
	"strings"
	"testing"

	"github.com/nemiot/nemiot/nem"
)

// NanoWallet's own expectations, from the public repository
// NemProject/NanoWallet, tests/specs/CryptoHelpers.spec.js ("Can generate
// bip32 child key (test 1-3)" and "Bip32 return different private key if
// different password").
var nanoWalletCases = []struct {
	primary, password string
	index             uint32
	child             string
}{
	{"6809a9582cd395aa8803bbce10449c9819e34d3afa1cb4f4e2df52fb37864ccb", "TestTest", 0,
		"2a91e1d5c110a8d0105aad4683f962c2a56663a3cad46666b16d243174673d90"},
	{"881f27edee3bb2c01da1d37de124965f60b414d02718d8ec9128ef6c129ea61f", "Test", 1,
		"ad4acecb07b77f8a27b900a5a03cdb04d6bcf1f097e57a39e3f668d80cafdc35"},
	{"881f27edee3bb2c01da1d37de124965f60b414d02718d8ec9128ef6c129ea61f", "Test", 0,
		"2e1e8733ca4fbce4c8697f31243366e50d2d552cd7be6fab591bb389f31a5c2b"},
	{"881f27edee3bb2c01da1d37de124965f60b414d02718d8ec9128ef6c129ea61f", "Testabc", 0,
		"e52e391a94c658f25055e6ad112d9f010567ffb40992b9c7cdbb2df52fc2b2c0"},
}

func TestNanoWalletChild(t *testing.T) {
	for _, c := range nanoWalletCases {
		primary, err := nem.ParsePrivateKey(c.primary)
		if err != nil {
			t.Fatal(err)
		}
		child, err := NanoWalletChild(primary, c.password, c.index)
		if err != nil {
			t.Fatalf("NanoWalletChild(%s…, %q, %d): %v", c.primary[:8], c.password, c.index, err)
		}
		if got := child.Hex(); got != c.child {
			t.Errorf("NanoWalletChild(%s…, %q, %d) = %s, want %s", c.primary[:8], c.password, c.index, got, c.child)
		}
		// An upper-case spelling of the primary key is the same key.
		upper, err := nem.ParsePrivateKey(strings.ToUpper(c.primary))
		if err != nil {
			t.Fatal(err)
		}
		if again, err := NanoWalletChild(upper, c.password, c.index); err != nil || !again.Equal(child) {
			t.Errorf("upper-case primary key gave another child (err %v)", err)
		}
	}
}

func TestNanoWalletChildEmptyPassword(t *testing.T) {
	primary, err := nem.ParsePrivateKey(nanoWalletCases[0].primary)
	if err != nil {
		t.Fatal(err)
	}
	child, err := NanoWalletChild(primary, "", 0)
	if !errors.Is(err, ErrEmptyPassword) || child != nil {
		t.Errorf("empty password: %v, %v; want ErrEmptyPassword", child, err)
	}
}
