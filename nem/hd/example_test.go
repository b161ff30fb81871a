package hd_test

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/hd"
)

// The first account of a wallet restored from its mnemonic. The expected key
// is in the official NEM vectors (nis1/6.test-hd-derivation.json).
func Example() {
	seed, err := hd.Seed("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about", "")
	if err != nil {
		fmt.Println(err)
		return
	}
	account, err := hd.NewMaster(seed).DerivePath(hd.Path(nem.Mainnet, 0))
	if err != nil {
		fmt.Println(err)
		return
	}
	key := account.PrivateKey()
	fmt.Println(key.PublicKey())
	fmt.Println(account) // a Key never prints its secret
	// Output:
	// 4aa3aa159a6417c8986282f4d4d217d4f463298d4e672e16bfc2c271eda1a954
	// hd.Key(REDACTED)
}

func ExampleSeed_mistyped() {
	_, err := hd.Seed("abandon abandon abandon abandon abandon abandom abandon abandon abandon abandon abandon about", "")
	var we *hd.WordError
	if errors.As(err, &we) {
		fmt.Println("check word", we.Position)
	}
	_, err = hd.Seed("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon", "")
	fmt.Println(errors.Is(err, hd.ErrChecksum))
	// Output:
	// check word 6
	// true
}

func ExampleNewMnemonic() {
	// Pass nil (crypto/rand) in real use; fixed entropy keeps the output stable.
	m, err := hd.NewMnemonic(bytes.NewReader(make([]byte, 16)), 12)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m)
	// Output: abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about
}

func ExamplePath() {
	fmt.Println(hd.Path(nem.Mainnet, 0))
	fmt.Println(hd.Path(nem.Testnet, 2))
	// Output:
	// m/44'/43'/0'/0'/0'
	// m/44'/1'/2'/0'/0'
}

func ExampleKey_DerivePath_notHardened() {
	master := hd.NewMaster(make([]byte, 64))
	_, err := master.DerivePath("m/44'/43'/0'/0'/0")
	fmt.Println(errors.Is(err, hd.ErrNotHardened))
	fmt.Println(err)
	// Output:
	// true
	// hd: path element is not hardened: element 5 ("0"): write 0' (NEM derivation is hardened only)
}

// Restoring a NanoWallet secondary account; the key and password are from
// NanoWallet's own tests.
func ExampleNanoWalletChild() {
	primary, err := nem.ParsePrivateKey("881f27edee3bb2c01da1d37de124965f60b414d02718d8ec9128ef6c129ea61f")
	if err != nil {
		fmt.Println(err)
		return
	}
	child, err := hd.NanoWalletChild(primary, "Test", 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(child.Hex())
	// Output: ad4acecb07b77f8a27b900a5a03cdb04d6bcf1f097e57a39e3f668d80cafdc35
}
