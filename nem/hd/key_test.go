package hd

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/nemiot/nemiot/nem"
)

func testMaster(t testing.TB) *Key {
	t.Helper()
	return NewMaster(bytes.Repeat([]byte{0x42}, 64))
}

func TestParsePath(t *testing.T) {
	const H = Hardened
	deep := "m" + strings.Repeat("/1'", MaxDepth)
	for _, c := range []struct {
		path string
		want []uint32
		err  error
	}{
		{"m", []uint32{}, nil},
		{"m/44'/43'/0'/0'/0'", []uint32{44 | H, 43 | H, 0 | H, 0 | H, 0 | H}, nil},
		{"m/44h/1H/7'", []uint32{44 | H, 1 | H, 7 | H}, nil},
		{"m/2147483647'", []uint32{2147483647 | H}, nil},
		{"m/007'", []uint32{7 | H}, nil},
		{deep, slices.Repeat([]uint32{1 | H}, MaxDepth), nil},
		{deep + "/1'", nil, ErrInvalidPath},
		{"", nil, ErrInvalidPath},
		{"M/44'", nil, ErrInvalidPath},
		{"/44'", nil, ErrInvalidPath},
		{"44'/43'", nil, ErrInvalidPath},
		{"m/", nil, ErrInvalidPath},
		{"m44'", nil, ErrInvalidPath},
		{"m//1'", nil, ErrInvalidPath},
		{"m/44'/", nil, ErrInvalidPath},
		{"m/'", nil, ErrInvalidPath},
		{"m/h", nil, ErrInvalidPath},
		{"m/2147483648'", nil, ErrInvalidPath},
		{"m/4294967296'", nil, ErrInvalidPath},
		{"m/99999999999999999999'", nil, ErrInvalidPath},
		{"m/-1'", nil, ErrInvalidPath},
		{"m/+1'", nil, ErrInvalidPath},
		{"m/1''", nil, ErrInvalidPath},
		{"m/1'h", nil, ErrInvalidPath},
		{"m/ 1'", nil, ErrInvalidPath},
		{"m/1' ", nil, ErrInvalidPath},
		{"m/1'x", nil, ErrInvalidPath},
		{"m/0x1'", nil, ErrInvalidPath},
		{"m/١'", nil, ErrInvalidPath}, // Arabic-Indic digit one
		{"m/44", nil, ErrNotHardened},
		{"m/44'/43'/0'/0'/0", nil, ErrNotHardened},
		{"m/0", nil, ErrNotHardened},
	} {
		got, err := ParsePath(c.path)
		if c.err == nil {
			if err != nil || !slices.Equal(got, c.want) || got == nil {
				t.Errorf("ParsePath(%q) = %v, %v; want %v", c.path, got, err, c.want)
			}
			continue
		}
		if !errors.Is(err, c.err) || got != nil {
			t.Errorf("ParsePath(%q) = %v, %v; want %v", c.path, got, err, c.err)
		}
		if errors.Is(err, ErrInvalidPath) && errors.Is(err, ErrNotHardened) {
			t.Errorf("ParsePath(%q): error is both sentinels", c.path)
		}
		if _, derr := testMaster(t).DerivePath(c.path); fmt.Sprint(derr) != fmt.Sprint(err) {
			t.Errorf("DerivePath(%q) err = %v; ParsePath says %v", c.path, derr, err)
		}
	}
}

func TestParsePathErrorNamesElement(t *testing.T) {
	_, err := ParsePath("m/44'/43'/0'/0'/7")
	if err == nil || !strings.Contains(err.Error(), `element 5 ("7")`) || !strings.Contains(err.Error(), "7'") {
		t.Errorf("err = %v; want it to name element 5 and suggest 7'", err)
	}
}

func TestPath(t *testing.T) {
	for _, c := range []struct {
		net     nem.Network
		account uint32
		want    string
	}{
		{nem.Mainnet, 0, "m/44'/43'/0'/0'/0'"},
		{nem.Mainnet, 12, "m/44'/43'/12'/0'/0'"},
		{nem.Testnet, 0, "m/44'/1'/0'/0'/0'"},
		{nem.Testnet, 2147483647, "m/44'/1'/2147483647'/0'/0'"},
		{nem.Mijin, 3, "m/44'/1'/3'/0'/0'"},
	} {
		if got := Path(c.net, c.account); got != c.want {
			t.Errorf("Path(%v, %d) = %q, want %q", c.net, c.account, got, c.want)
		}
		if _, err := ParsePath(c.want); err != nil {
			t.Errorf("ParsePath(Path(%v, %d)): %v", c.net, c.account, err)
		}
	}
	if _, err := ParsePath(Path(nem.Mainnet, 1<<31)); !errors.Is(err, ErrInvalidPath) {
		t.Errorf("account 2^31: err = %v; want ErrInvalidPath", err)
	}
}

func TestDerive(t *testing.T) {
	m := testMaster(t)
	a, b := m.Derive(5), m.Derive(5|Hardened)
	if a.secret().key != b.secret().key || a.secret().chainCode != b.secret().chainCode {
		t.Error("Derive(5) and Derive(5|Hardened) differ")
	}
	if c := m.Derive(6); c.secret().key == a.secret().key || c.secret().chainCode == a.secret().chainCode {
		t.Error("Derive(6) equals Derive(5)")
	}
	p, err := m.DerivePath("m/44'/43'/5'/0'/0'")
	if err != nil {
		t.Fatal(err)
	}
	q := m.Derive(44).Derive(43).Derive(5).Derive(0).Derive(0)
	if p.secret().key != q.secret().key || p.secret().chainCode != q.secret().chainCode {
		t.Error("DerivePath differs from the chain of Derive calls")
	}
	root, err := m.DerivePath("m")
	if err != nil || root == m || root.secret().key != m.secret().key || root.secret().chainCode != m.secret().chainCode {
		t.Errorf("DerivePath(m) = %p, %v; want an equal copy of %p", root, err, m)
	}
	before := *m.secret()
	if _, err := m.DerivePath("m/1'/2'/3'"); err != nil || *m.secret() != before {
		t.Errorf("DerivePath changed its receiver (err %v)", err)
	}
}

func TestChainCodeIsCopy(t *testing.T) {
	m := testMaster(t)
	cc := m.ChainCode()
	if len(cc) != 32 || !bytes.Equal(cc, m.secret().chainCode[:]) {
		t.Fatalf("ChainCode = %x", cc)
	}
	cc[0] ^= 0xff
	if bytes.Equal(cc, m.ChainCode()) {
		t.Error("ChainCode aliases the key's chain code")
	}
}

func TestPrivateKeyReversed(t *testing.T) {
	m := testMaster(t)
	got := m.PrivateKey().Bytes()
	for i := range 32 {
		if got[i] != m.secret().key[31-i] {
			t.Fatalf("PrivateKey bytes %x are not the node key %x reversed", got, m.secret().key)
		}
	}
}

func TestKeyRedacted(t *testing.T) {
	m := testMaster(t)
	secrets := []string{
		hex.EncodeToString(m.secret().key[:]), strings.ToUpper(hex.EncodeToString(m.secret().key[:])),
		hex.EncodeToString(m.secret().chainCode[:]), hex.EncodeToString(m.secret().key[:4]),
		fmt.Sprint(m.secret().key[:4]),
	}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3v", "%08b"} {
		outs = append(outs, fmt.Sprintf(verb, m), fmt.Sprintf(verb, *m), fmt.Sprintf(verb, []*Key{m}),
			fmt.Sprintf(verb, struct{ K Key }{*m}))
	}
	outs = append(outs, m.String(), m.GoString(), fmt.Sprint(m), fmt.Sprintln(*m))
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("k", "key", m, "val", *m)
	outs = append(outs, logged.String())
	for _, out := range outs {
		if !strings.Contains(out, "REDACTED") {
			t.Errorf("output %q has no redaction mark", out)
		}
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("output %q contains secret material %q", out, s)
			}
		}
	}
}
