package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/keyfile"
	"github.com/nemiot/nemiot/nem/nis/nistest"
	"github.com/nemiot/nemiot/nem/tx"
)

// The sample archives of package apostille, made with nem-sdk and
// described in their manifest.
const archives = "../../apostille/testdata/archives/"

type manifestFile struct {
	TxHash           string          `json:"txHash"`
	DedicatedAddress string          `json:"dedicatedAddress"`
	DedicatedKey     string          `json:"dedicatedPrivateKey"`
	Transaction      json.RawMessage `json:"transaction"`
	Owner            struct {
		PrivateKey string `json:"privateKey"`
		PublicKey  string `json:"publicKey"`
	} `json:"owner"`
}

func manifest(t *testing.T, file string) manifestFile {
	t.Helper()
	b, err := os.ReadFile(archives + "manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Archives []struct {
			File  string         `json:"file"`
			Files []manifestFile `json:"files"`
		} `json:"archives"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, a := range m.Archives {
		if a.File == file && len(a.Files) == 1 {
			return a.Files[0]
		}
	}
	t.Fatalf("%s not in the manifest", file)
	return manifestFile{}
}

func runArgs(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestShowsDeviceAccount(t *testing.T) {
	m := manifest(t, "private-sha256.zip")
	dedicated, err := nem.ParsePrivateKey(m.DedicatedKey)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := nem.ParseAddress(m.DedicatedAddress)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runArgs(t, "-owner", m.Owner.PublicKey, archives+"private-sha256.zip")
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	for _, want := range []string{m.TxHash, addr.Pretty(), dedicated.PublicKey().String(), "content      ok", "owner        ok"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(strings.ToLower(out), m.DedicatedKey) {
		t.Error("printed the dedicated private key")
	}

	// Another owner key fails the owner check.
	stranger, _ := nem.GeneratePrivateKey(nil)
	if code, out, _ := runArgs(t, "-owner", stranger.PublicKey().String(), archives+"private-sha256.zip"); code != 1 || !strings.Contains(out, "owner        FAILED") {
		t.Errorf("stranger as owner: exit %d\n%s", code, out)
	}
}

func TestOut(t *testing.T) {
	m := manifest(t, "private-sha256.zip")
	path := filepath.Join(t.TempDir(), "device.key")
	if code, out, errOut := runArgs(t, "-out", path, archives+"private-sha256.zip"); code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	f, err := keyfile.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Key.Hex() != m.DedicatedKey {
		t.Error("saved another key")
	}
	if f.Network != nem.Testnet || len(f.Warnings) != 0 {
		t.Errorf("key file network %v, warnings %v; want testnet, none", f.Network, f.Warnings)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
	// Several private apostilles: which one is the device is ambiguous.
	if code, _, errOut := runArgs(t, "-out", filepath.Join(t.TempDir(), "k"), archives+"batch.zip"); code != 1 || !strings.Contains(errOut, "exactly one") {
		t.Errorf("batch -out: exit %d, %s", code, errOut)
	}
	// A public apostille has no device account.
	if code, _, _ := runArgs(t, "-out", filepath.Join(t.TempDir(), "k"), archives+"public-sha256.zip"); code != 1 {
		t.Errorf("public -out: exit %d", code)
	}
}

func TestAudit(t *testing.T) {
	m := manifest(t, "private-sha256.zip")
	tx, err := tx.ParseTransactionJSON(m.Transaction)
	if err != nil {
		t.Fatal(err)
	}
	owner, err := nem.ParsePrivateKey(m.Owner.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	// A local testnet dated when the sample was made, holding its transaction.
	net := nistest.NewNetwork(t, 1, &nistest.Options{Time: nem.Epoch.Add(time.Duration(tx.TimeStamp+60) * time.Second)})
	if _, err := net.Fund(owner.Address(nem.Testnet), 10_000_000); err != nil {
		t.Fatal(err)
	}

	// Not on chain yet: the audit fails.
	if code, out, _ := runArgs(t, "-audit", "-node", net.URLs()[0], archives+"private-sha256.zip"); code != 1 || !strings.Contains(out, "chain        FAILED") {
		t.Errorf("before announcing: exit %d\n%s", code, out)
	}
	h, err := net.AddTransaction(tx)
	if err != nil {
		t.Fatal(err)
	}
	if h.String() != m.TxHash {
		t.Fatalf("chain hash %s, want %s", h, m.TxHash)
	}
	code, out, errOut := runArgs(t, "-audit", "-node", net.URLs()[0], archives+"private-sha256.zip")
	if code != 0 || !strings.Contains(out, "chain        ok") || !strings.Contains(out, owner.Address(nem.Testnet).Pretty()) {
		t.Errorf("audit: exit %d\n%s%s", code, out, errOut)
	}
}

func TestUsageAndBadArchives(t *testing.T) {
	m := manifest(t, "public-sha256.zip")
	for _, tc := range []struct {
		args    []string
		code    int
		inError string
	}{
		{nil, 2, "apostille: no archive given"},
		{[]string{"a.zip", "b.zip"}, 2, "apostille: one archive at a time, got 2 arguments"},
		{[]string{archives + "private-sha256.zip", "-owner", m.Owner.PublicKey}, 2, "one archive at a time, got 3 arguments (flags go before the archive)"},
		{[]string{"-audit", archives + "private-sha256.zip"}, 2, "-audit needs -node URL"},
		{[]string{"-node", "http://127.0.0.1:1", archives + "private-sha256.zip"}, 2, "apostille: -node is the node of -audit; add -audit"},
		{[]string{"-owner", "xyz", archives + "private-sha256.zip"}, 2, "-owner"},
		{[]string{"-owner", m.Owner.PublicKey, archives + "public-sha256.zip"}, 2, "is a public apostille, whose signer only the chain knows; add -audit -node URL"},
		{[]string{archives + "hostile-dotdot.zip"}, 1, ""},
		{[]string{archives + "hostile-bomb.zip"}, 1, ""},
		{[]string{archives + "missing.zip"}, 1, ""},
	} {
		code, out, errOut := runArgs(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.inError) {
			t.Errorf("%v: exit %d, want %d\nstdout %s\nstderr %s, want %q", tc.args, code, tc.code, out, errOut, tc.inError)
		}
		if tc.code == 2 && out != "" {
			t.Errorf("%v: bad usage printed %q", tc.args, out)
		}
	}
}

// -owner on a public apostille is checked against the chain's signer.
func TestAuditPublicOwner(t *testing.T) {
	m := manifest(t, "public-keccak256.zip")
	tx, err := tx.ParseTransactionJSON(m.Transaction)
	if err != nil {
		t.Fatal(err)
	}
	net := nistest.NewNetwork(t, 1, &nistest.Options{Time: nem.Epoch.Add(time.Duration(tx.TimeStamp+60) * time.Second)})
	owner, err := nem.ParsePrivateKey(m.Owner.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := net.Fund(owner.Address(nem.Testnet), 10_000_000); err != nil {
		t.Fatal(err)
	}
	if _, err := net.AddTransaction(tx); err != nil {
		t.Fatal(err)
	}
	archive := archives + "public-keccak256.zip"
	code, out, errOut := runArgs(t, "-audit", "-node", net.URLs()[0], "-owner", m.Owner.PublicKey, archive)
	if code != 0 || !strings.Contains(out, "chain        ok") || !strings.Contains(out, "owner        ok") {
		t.Errorf("owner: exit %d\n%s%s", code, out, errOut)
	}
	stranger, _ := nem.GeneratePrivateKey(nil)
	code, out, errOut = runArgs(t, "-audit", "-node", net.URLs()[0], "-owner", stranger.PublicKey().String(), archive)
	if code != 1 || !strings.Contains(out, "owner        FAILED: signed by "+m.Owner.PublicKey+", not by -owner") {
		t.Errorf("stranger: exit %d\n%s%s", code, out, errOut)
	}
}
