package main

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/keyfile"
)

// seeded returns the same entropy for the program and for the expectation.
func seeded(b byte) *bytes.Reader { return bytes.NewReader(bytes.Repeat([]byte{b}, 64)) }

func expectedKey(t *testing.T, b byte) *nem.PrivateKey {
	t.Helper()
	k, err := nem.GeneratePrivateKey(seeded(b))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// unHalfBlocks is the inverse of halfBlocks: text back to a bitmap of
// rows rows.
func unHalfBlocks(t *testing.T, s string, rows int, invert bool) [][]bool {
	t.Helper()
	bits := map[rune][2]bool{' ': {false, false}, '▄': {false, true}, '▀': {true, false}, '█': {true, true}}
	var bm [][]bool
	for line := range strings.Lines(s) {
		var top, bot []bool
		for _, r := range strings.TrimSuffix(line, "\n") {
			b, ok := bits[r]
			if !ok {
				t.Fatalf("unexpected rune %q in QR code", r)
			}
			// drawn means light (not inverted) or dark (inverted).
			top = append(top, b[0] == invert)
			bot = append(bot, b[1] == invert)
		}
		bm = append(bm, top, bot)
	}
	if len(bm) == rows+1 {
		// The padding row under an odd bitmap must be light.
		if slices.Contains(bm[rows], true) {
			t.Error("padding row is not light")
		}
		bm = bm[:rows]
	}
	return bm
}

func TestHalfBlocks(t *testing.T) {
	for _, bm := range [][][]bool{
		{{true, false}, {false, true}},
		{{true, false, true}, {false, true, true}, {true, true, false}},
		{{false}},
	} {
		for _, invert := range []bool{false, true} {
			got := unHalfBlocks(t, halfBlocks(bm, invert), len(bm), invert)
			if diff := cmp.Diff(bm, got); diff != "" {
				t.Errorf("invert=%v: round trip (-want +got):\n%s", invert, diff)
			}
		}
	}
}

func TestRunShowsKeyAndQR(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-network", "mainnet", "-show"}, &stdout, &stderr, seeded(7)); code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr.String())
	}
	k := expectedKey(t, 7)
	out := stdout.String()
	if !strings.Contains(out, k.Address(nem.Mainnet).Pretty()) || !strings.Contains(out, k.PublicKey().String()) {
		t.Errorf("output lacks the address or public key:\n%s", out)
	}
	secret := strings.ToUpper(k.Hex())
	grouped := secret[:16] + " " + secret[16:32] + " " + secret[32:48] + " " + secret[48:]
	if !strings.Contains(out, grouped) {
		t.Errorf("output lacks the key text")
	}
	q, err := qrcode.New(secret, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	want := q.Bitmap()
	// The QR code is the block of lines made of block glyphs only.
	var qr strings.Builder
	for line := range strings.Lines(out) {
		if strings.Trim(line, " ▀▄█\n") == "" && strings.ContainsAny(line, "▀▄█") {
			qr.WriteString(line)
		}
	}
	got := unHalfBlocks(t, qr.String(), len(want), false)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("displayed QR code is not the key's QR code (-want +got):\n%s", diff)
	}
	if !strings.Contains(strings.Join(strings.Fields(out), " "), "-device "+k.PublicKey().String()) {
		t.Error("the app step does not pin the device key")
	}
	for i := 1; i <= 7; i++ {
		if !strings.Contains(out, "  "+string(rune('0'+i))+". ") {
			t.Errorf("setup step %d missing", i)
		}
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr: %s", stderr.String())
	}
}

func TestRunOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "device.key")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-out", path, "-quiet"}, &stdout, &stderr, seeded(9)); code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr.String())
	}
	k := expectedKey(t, 9)
	got, err := keyfile.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(k) {
		t.Error("saved key differs")
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
	out := strings.ToLower(stdout.String())
	if strings.Contains(out, k.Hex()) || strings.Contains(out, k.Hex()[:16]) || strings.ContainsAny(out, "▀▄█") {
		t.Error("-quiet displayed the key")
	}
	if !strings.Contains(stdout.String(), k.Address(nem.Testnet).Pretty()) {
		t.Error("no testnet address by default")
	}

	// Never overwrite a key.
	before, _ := os.ReadFile(path)
	stdout.Reset()
	if code := run([]string{"-out", path, "-show"}, &stdout, &stderr, seeded(10)); code != 1 {
		t.Errorf("existing -out: exit %d, want 1", code)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("existing key file changed")
	}
	if stdout.Len() != 0 {
		t.Errorf("printed on failure: %s", stdout.String())
	}
}

func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{
		{"-network", "moon"},
		{"-quiet"},
		{"extra"},
		{"-nope"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr, seeded(1)); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if stdout.Len() != 0 {
			t.Errorf("%v: printed %q", args, stdout.String())
		}
	}
}

// The key as keygen shows it, typed back into a key file, is the key.
func TestShownKeyTypesBack(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-show"}, &stdout, &stderr, seeded(7)); code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr.String())
	}
	k := expectedKey(t, 7)
	secret := strings.ToUpper(k.Hex())
	var shown string
	for line := range strings.Lines(stdout.String()) {
		if strings.Contains(line, secret[:16]) {
			shown += line
		}
	}
	if shown == "" {
		t.Fatal("key not shown")
	}
	for _, typed := range []string{shown, strings.ReplaceAll(strings.TrimSpace(shown), " ", "-"), strings.ToLower(shown)} {
		path := filepath.Join(t.TempDir(), "device.key")
		if err := os.WriteFile(path, []byte(typed), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := keyfile.Read(path)
		if err != nil {
			t.Fatalf("%q typed back: %v", typed, err)
		}
		if !got.Equal(k) {
			t.Errorf("%q typed back: another key", typed)
		}
	}
	if !strings.Contains(stdout.String(), "spaces, dashes and\nline breaks between them are ignored") {
		t.Error("the accepted forms are not said")
	}
}

// Without -show the key is not written where it is not seen (a pipe, a
// file, a buffer); -out -quiet and -show both work there.
func TestRunRefusesNonTerminal(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, stdout := range []io.Writer{f, &bytes.Buffer{}} {
		for _, args := range [][]string{{}, {"-out", filepath.Join(dir, "device.key")}, {"-owner", "-out", filepath.Join(dir, "owner.key")}} {
			var stderr bytes.Buffer
			if code := run(args, stdout, &stderr, seeded(3)); code != 2 {
				t.Errorf("%T %v: exit %d, want 2", stdout, args, code)
			}
			if !strings.Contains(stderr.String(), "not a terminal") || !strings.Contains(stderr.String(), "-show") {
				t.Errorf("%T %v: stderr %q", stdout, args, stderr.String())
			}
		}
	}
	if b, _ := os.ReadFile(f.Name()); len(b) != 0 {
		t.Errorf("wrote to a file: %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "device.key")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("refused, yet saved a key: %v", err)
	}
	// -out -quiet shows no key, so it may write to a file.
	if code := run([]string{"-out", filepath.Join(dir, "quiet.key"), "-quiet"}, f, io.Discard, seeded(3)); code != 0 {
		t.Errorf("-out -quiet to a file: exit %d", code)
	}
	if code := run([]string{"-show"}, f, io.Discard, seeded(3)); code != 0 {
		t.Errorf("-show to a file: exit %d", code)
	}
	if isTerminal(f) || isTerminal(&bytes.Buffer{}) {
		t.Error("a file or a buffer counts as a terminal")
	}
}

// -out records the network, and -owner makes an owner's key with the
// owner's next steps.
func TestRunOutNetworkAndOwner(t *testing.T) {
	for _, owner := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "k.key")
		args := []string{"-out", path, "-quiet", "-network", "mainnet"}
		if owner {
			args = append(args, "-owner")
		}
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr, seeded(5)); code != 0 {
			t.Fatalf("%v: exit %d, stderr %s", args, code, stderr.String())
		}
		f, err := keyfile.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		k := expectedKey(t, 5)
		if !f.Key.Equal(k) || f.Network != nem.Mainnet || len(f.Warnings) != 0 {
			t.Errorf("%v: key file network %v, warnings %v", args, f.Network, f.Warnings)
		}
		b, _ := os.ReadFile(path)
		out := stdout.String()
		if owner {
			if !strings.HasPrefix(out, "New owner account on mainnet") || !strings.HasPrefix(string(b), "# nemiot owner key") {
				t.Errorf("owner: output %q, file %q", out, b)
			}
			for _, want := range []string{"-owners " + k.PublicKey().String(), "examples/app -key " + path, "Never copy it to a device"} {
				if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
					t.Errorf("owner: output lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "Setup:") {
				t.Error("owner: shows the device's setup")
			}
		} else if !strings.HasPrefix(out, "New device account on mainnet") || !strings.HasPrefix(string(b), "# nemiot device key") {
			t.Errorf("device: output %q, file %q", out, b)
		}
	}
}

// The help says where the owner's key comes from.
func TestUsageTellsOwnersKey(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-h"}, &stdout, &stderr, seeded(1)); code != 2 {
		t.Errorf("-h: exit %d", code)
	}
	for _, want := range []string{"-owner -out owner.key", "PUBLIC key", "-show"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, stderr.String())
		}
	}
}
