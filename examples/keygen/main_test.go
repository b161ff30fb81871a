package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/nemiot/nemiot/examples/internal/keyfile"
	"github.com/nemiot/nemiot/nem"
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
			if !slices.EqualFunc(got, bm, slices.Equal) {
				t.Errorf("invert=%v: round trip %v, want %v", invert, got, bm)
			}
		}
	}
}

func TestRunShowsKeyAndQR(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-network", "mainnet"}, &stdout, &stderr, seeded(7)); code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr.String())
	}
	k := expectedKey(t, 7)
	out := stdout.String()
	if !strings.Contains(out, k.Address(nem.Mainnet).Pretty()) || !strings.Contains(out, k.PublicKey().String()) {
		t.Errorf("output lacks the address or public key:\n%s", out)
	}
	secret := strings.ToUpper(k.Hex())
	grouped := secret[:16] + " " + secret[16:32] + "\n  " + secret[32:48] + " " + secret[48:]
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
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Error("displayed QR code is not the key's QR code")
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
	if code := run([]string{"-out", path}, &stdout, &stderr, seeded(10)); code != 1 {
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
