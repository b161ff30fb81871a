package hd

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"testing"

	"github.com/nemiot/nemiot/internal/sharedtest"
	"github.com/nemiot/nemiot/nem"
)

// TestSymbolSDKVectors checks testdata/vectors/hd.json at the module root,
// made by testdata/gen/gen-vectors.mjs with symbol-sdk 3.3.2 (cross-checked
// with nem-sdk). It is skipped until that file exists.
func TestSymbolSDKVectors(t *testing.T) {
	path := sharedtest.Testdata(t, "vectors", "hd.json")
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s not generated yet", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []struct {
			Entropy       string `json:"entropy"`
			Words         int    `json:"words"`
			Mnemonic      string `json:"mnemonic"`
			Passphrase    string `json:"passphrase"`
			Seed          string `json:"seed"`
			RootKey       string `json:"rootKey"`
			RootChainCode string `json:"rootChainCode"`
			Children      []struct {
				Network    string   `json:"network"`
				Path       string   `json:"path"`
				Indices    []uint32 `json:"indices"`
				NodeKey    string   `json:"nodeKey"`
				ChainCode  string   `json:"chainCode"`
				PrivateKey string   `json:"privateKey"`
				PublicKey  string   `json:"publicKey"`
				Address    string   `json:"address"`
			} `json:"children"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	if len(file.Cases) == 0 {
		t.Fatalf("%s has no cases", path)
	}
	for i, c := range file.Cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			entropy, err := hex.DecodeString(c.Entropy)
			if err != nil {
				t.Fatal(err)
			}
			if m, err := MnemonicFromEntropy(entropy); err != nil || m != c.Mnemonic || len(entropy)*3/4 != c.Words {
				t.Errorf("MnemonicFromEntropy = %q, %v; want %q (%d words)", m, err, c.Mnemonic, c.Words)
			}
			seed, err := Seed(c.Mnemonic, c.Passphrase)
			if err != nil || hex.EncodeToString(seed) != c.Seed {
				t.Fatalf("Seed = %x, %v; want %s", seed, err, c.Seed)
			}
			root := NewMaster(seed)
			if hex.EncodeToString(root.secret().key[:]) != c.RootKey || hex.EncodeToString(root.ChainCode()) != c.RootChainCode {
				t.Errorf("root = %x / %x; want %s / %s", root.secret().key, root.secret().chainCode, c.RootKey, c.RootChainCode)
			}
			for _, ch := range c.Children {
				net, err := nem.ParseNetwork(ch.Network)
				if err != nil {
					t.Fatal(err)
				}
				if len(ch.Indices) != 5 || Path(net, ch.Indices[2]) != ch.Path {
					t.Errorf("Path(%v, %v) = %q; want %q", net, ch.Indices, Path(net, ch.Indices[2]), ch.Path)
				}
				indices, err := ParsePath(ch.Path)
				want := make([]uint32, len(ch.Indices))
				for j, v := range ch.Indices {
					want[j] = v | Hardened
				}
				if err != nil || !slices.Equal(indices, want) {
					t.Errorf("ParsePath(%q) = %v, %v; want %v", ch.Path, indices, err, want)
				}
				k, err := root.DerivePath(ch.Path)
				if err != nil {
					t.Fatalf("DerivePath(%q): %v", ch.Path, err)
				}
				pk := k.PrivateKey()
				if got := hex.EncodeToString(k.secret().key[:]); got != ch.NodeKey {
					t.Errorf("%s: node key %s, want %s", ch.Path, got, ch.NodeKey)
				}
				if got := hex.EncodeToString(k.ChainCode()); got != ch.ChainCode {
					t.Errorf("%s: chain code %s, want %s", ch.Path, got, ch.ChainCode)
				}
				if pk.Hex() != ch.PrivateKey {
					t.Errorf("%s: private key differs from symbol-sdk's", ch.Path)
				}
				if got := pk.PublicKey().String(); got != ch.PublicKey {
					t.Errorf("%s: public key %s, want %s", ch.Path, got, ch.PublicKey)
				}
				if got := pk.Address(net).String(); got != ch.Address {
					t.Errorf("%s: address %s, want %s", ch.Path, got, ch.Address)
				}
			}
		})
	}
}
