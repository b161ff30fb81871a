package keyfile_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/keyfile"
)

// An owner's key saved once and loaded by the app; the file records the
// key's network, and a file others can read loads with a warning.
func ExampleCreate() {
	dir, err := os.MkdirTemp("", "keyfile-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "owner.key")

	k, err := nem.GeneratePrivateKey(nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := keyfile.Create(path, &keyfile.File{Key: k, Network: nem.Testnet}, "owner of the garage door"); err != nil {
		log.Fatal(err)
	}
	err = keyfile.Create(path, &keyfile.File{Key: k}, "")
	fmt.Println("a second Create:", errors.Is(err, os.ErrExist))

	f, err := keyfile.LoadFile(path, "MYAPP_OWNER_KEY")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("same key:", f.Key.Equal(k), "network:", f.Network, "warnings:", len(f.Warnings))

	os.Chmod(path, 0o644)
	f, err = keyfile.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	for _, w := range f.Warnings {
		fmt.Println("warning:", errors.Is(w, keyfile.ErrExposed))
	}
	// Output:
	// a second Create: true
	// same key: true network: testnet warnings: 0
	// warning: true
}

// A key typed back as it was shown for writing down: groups of 16, any
// case. The error for a mistyped key says where, never what.
func ExampleParseFile() {
	f, err := keyfile.ParseFile([]byte(`# network: mainnet
8BDFA4D6DE5AA0D9 F3A9E2E1A5C4F0E3 B1C2D3E4F5061728 394A5B6C7D8E9F00
`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.Network, f.Key.PublicKey().Address(f.Network).Pretty())

	_, err = keyfile.ParseFile([]byte("8BDFA4D6DE5AA0D9 F3A9E2E1A5C4F0E3 B1C2D3E4F5O61728 394A5B6C7D8E9F00"))
	fmt.Println(err)
	// Output:
	// mainnet NC5IKF-SXJN2O-3SAPZT-IRINUD-AJE2HE-5J3V7O-ZATA
	// malformed key: line 1, column 45: not a hex digit, space or dash
}
