package hd

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/internal/testvectors"
)

// hdVector is one seed of nemtech test-vectors nis1/6.test-hd-derivation.json.
type hdVector struct {
	Mnemonic      string `json:"mnemonic"`
	Passphrase    string `json:"passphrase"`
	Seed          string `json:"seed"`
	RootPublicKey string `json:"rootPublicKey"`
	ChildAccounts []struct {
		Path      []uint32 `json:"path"`
		PublicKey string   `json:"publicKey"`
	} `json:"childAccounts"`
}

// officialVectors reads the vendored nis1/6.test-hd-derivation.json; a file
// that does not load, or does not hold all 96 seeds and 288 children, fails
// the test.
func officialVectors(t testing.TB) (publicNet, testNet []hdVector) {
	t.Helper()
	path := filepath.Join("testdata", "vectors", "nis1", "6.test-hd-derivation.json.gz")
	var file struct {
		PublicNet []hdVector `json:"public_net"`
		TestNet   []hdVector `json:"test_net"`
	}
	if err := json.Unmarshal(testvectors.Read(t, path), &file); err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	seeds, children := 0, 0
	for _, v := range append(file.PublicNet, file.TestNet...) {
		seeds++
		children += len(v.ChildAccounts)
	}
	if seeds != 96 || children != 288 {
		t.Fatalf("loaded %d seeds and %d children; the official file has 96 and 288", seeds, children)
	}
	return file.PublicNet, file.TestNet
}

// TestOfficialVectors checks the official NEM HD vectors: BIP39 seed, root
// key and three accounts per seed, on mainnet and testnet. They are vendored,
// so they run in every checkout (they used to be read from ../shared and
// skipped when it was absent).
func TestOfficialVectors(t *testing.T) {
	publicNet, testNet := officialVectors(t)
	for _, set := range []struct {
		name string
		net  nem.Network
		vecs []hdVector
	}{{"public_net", nem.Mainnet, publicNet}, {"test_net", nem.Testnet, testNet}} {
		for i, v := range set.vecs {
			t.Run(fmt.Sprintf("%s/%d", set.name, i), func(t *testing.T) {
				t.Parallel()
				checkOfficialVector(t, set.net, v)
			})
		}
	}
}

func checkOfficialVector(t *testing.T, net nem.Network, v hdVector) {
	seed, err := Seed(v.Mnemonic, v.Passphrase)
	if err != nil {
		t.Fatalf("Seed: %v", err)
	}
	if got := hex.EncodeToString(seed); !strings.EqualFold(got, v.Seed) {
		t.Fatalf("seed = %s, want %s", got, v.Seed)
	}
	master := NewMaster(seed)

	// The file's rootPublicKey takes the node key as a NEM private key
	// without the reversal that accounts get (reference/crypto.md §10.2).
	rootAsIs, err := nem.NewPrivateKey(master.secret().key[:])
	if err != nil {
		t.Fatal(err)
	}
	if got := rootAsIs.PublicKey().String(); !strings.EqualFold(got, v.RootPublicKey) {
		t.Errorf("root public key = %s, want %s", got, v.RootPublicKey)
	}
	if got := master.PrivateKey().PublicKey().String(); strings.EqualFold(got, v.RootPublicKey) {
		t.Errorf("root public key also matches with the reversal; the quirk is gone?")
	}

	for _, c := range v.ChildAccounts {
		if len(c.Path) != 5 {
			t.Fatalf("path %v: want 5 elements", c.Path)
		}
		p := Path(net, c.Path[2])
		want := fmt.Sprintf("m/%d'/%d'/%d'/%d'/%d'", c.Path[0], c.Path[1], c.Path[2], c.Path[3], c.Path[4])
		if p != want {
			t.Errorf("Path(%v, %d) = %s, want the vector's %s", net, c.Path[2], p, want)
		}
		k, err := master.DerivePath(want)
		if err != nil {
			t.Fatalf("DerivePath(%s): %v", want, err)
		}
		if got := k.PrivateKey().PublicKey().String(); !strings.EqualFold(got, c.PublicKey) {
			t.Errorf("%s: public key = %s, want %s", want, got, c.PublicKey)
		}
		step := master
		for _, i := range c.Path {
			step = step.Derive(i)
		}
		if !step.PrivateKey().Equal(k.PrivateKey()) {
			t.Errorf("%s: Derive step by step differs from DerivePath", want)
		}
	}
}
