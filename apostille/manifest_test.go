package apostille

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/tx"
)

// The manifest of testdata/archives, written by testdata/gen/gen-archives.mjs
// from nem-sdk's output: what each archive must parse to.
type manifest struct {
	NemSdk   string            `json:"nemSdk"`
	JSZip    string            `json:"jszip"`
	Sinks    map[string]string `json:"sinks"`
	Archives []manifestArchive `json:"archives"`
}

type manifestArchive struct {
	File      string         `json:"file"`
	Size      int64          `json:"size"`
	Expect    string         `json:"expect"` // "ok" or the name of a sentinel error
	Note      string         `json:"note"`
	Strangers int            `json:"strangers"`
	Files     []manifestFile `json:"files"`
}

type manifestAccount struct {
	PrivateKey string `json:"privateKey"`
	PublicKey  string `json:"publicKey"`
	Address    string `json:"address"`
	InnerHash  string `json:"innerHash"`
}

type manifestFile struct {
	EntryName           string           `json:"entryName"`
	CertificateName     string           `json:"certificateName"`
	OriginalName        string           `json:"originalName"`
	OriginalNameHex     string           `json:"originalNameHex"`
	TxHash              string           `json:"txHash"`
	Date                string           `json:"date"`
	HashType            byte             `json:"hashType"`
	HashName            string           `json:"hashName"`
	Private             bool             `json:"private"`
	Message             string           `json:"message"`
	Network             string           `json:"network"`
	DedicatedAddress    string           `json:"dedicatedAddress"`
	DedicatedPrivateKey *string          `json:"dedicatedPrivateKey"`
	ContentHex          string           `json:"contentHex"`
	Owner               manifestAccount  `json:"owner"`
	Multisig            *manifestAccount `json:"multisig"`
	Transaction         json.RawMessage  `json:"transaction"`
}

const archivesDir = "testdata/archives"

func loadManifest(t testing.TB) *manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(archivesDir, "manifest.json"))
	if err != nil {
		t.Fatalf("manifest: %v", err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if m.NemSdk != "nem-sdk@1.6.11" || len(m.Archives) == 0 {
		t.Fatalf("manifest: made by %q with %d archives", m.NemSdk, len(m.Archives))
	}
	return &m
}

// files returns every notarized file the sample archives hold.
func (m *manifest) files() []manifestFile {
	var out []manifestFile
	for _, a := range m.Archives {
		out = append(out, a.Files...)
	}
	return out
}

func (a manifestArchive) read(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(archivesDir, a.File))
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != a.Size {
		t.Fatalf("%s: %d bytes, manifest says %d", a.File, len(b), a.Size)
	}
	return b
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("hex %q: %v", s, err)
	}
	return b
}

func (f manifestFile) owner(t testing.TB) *nem.PrivateKey {
	t.Helper()
	k, err := nem.ParsePrivateKey(f.Owner.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	if got := k.PublicKey().String(); got != f.Owner.PublicKey {
		t.Fatalf("owner key derives to %s, nem-sdk says %s", got, f.Owner.PublicKey)
	}
	return k
}

func (f manifestFile) network(t testing.TB) nem.Network {
	t.Helper()
	n, err := nem.ParseNetwork(f.Network)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (f manifestFile) hashType(t testing.TB) HashType {
	t.Helper()
	h, err := ParseHashType(f.HashName)
	if err != nil {
		t.Fatal(err)
	}
	if byte(h) != f.HashType {
		t.Fatalf("%s is 0x%02x here, 0x%02x in nem-sdk", f.HashName, byte(h), f.HashType)
	}
	return h
}

// transaction returns the transaction nem-sdk made and signed for f.
func (f manifestFile) transaction(t testing.TB) *tx.Transaction {
	t.Helper()
	tx, err := tx.ParseTransactionJSON(f.Transaction)
	if err != nil {
		t.Fatalf("nem-sdk transaction: %v", err)
	}
	return tx
}

// parsedSample is a good sample archive, parsed.
type parsedSample struct {
	archive manifestArchive
	parsed  *Archive
}

// parsedSamples parses every good sample archive.
func parsedSamples(t testing.TB, m *manifest) []parsedSample {
	t.Helper()
	var out []parsedSample
	for _, a := range m.Archives {
		if a.Expect != "ok" {
			continue
		}
		data := a.read(t)
		arc, err := Parse(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("%s: %v", a.File, err)
		}
		if len(arc.Files) != len(a.Files) {
			t.Fatalf("%s: %d files, nem-sdk made %d", a.File, len(arc.Files), len(a.Files))
		}
		out = append(out, parsedSample{a, arc})
	}
	if len(out) == 0 {
		t.Fatal("no sample archives")
	}
	return out
}
