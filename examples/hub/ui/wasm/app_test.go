package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/nem"
)

func key(t *testing.T, name string) *nem.PrivateKey {
	t.Helper()
	seed := sha256.Sum256([]byte(name))
	k, err := nem.NewPrivateKey(seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestCheckArgs(t *testing.T) {
	for _, tc := range []struct{ args, want, err string }{
		{"", "", ""},
		{"  \n", "", ""},
		{`{"on":true}`, `{"on":true}`, ""},
		{`3`, `3`, ""},
		{`{"on":tru}`, "", "byte 10 (line 1, column 10)"},
		{"{\n\"a\":1,\n}", "", "line 3, column 1"},
		{`{"a":`, "", "at the end, after byte 5"},
		{`{} {}`, "", "byte 4 (line 1, column 4)"},
	} {
		raw, err := checkArgs(tc.args)
		var e *Error
		switch {
		case tc.err == "" && (err != nil || string(raw) != tc.want):
			t.Errorf("checkArgs(%q) = %q, %v; want %q", tc.args, raw, err, tc.want)
		case tc.err != "" && (!errors.As(err, &e) || e.Code != CodeArgs || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("checkArgs(%q) error %v, want an args error with %q", tc.args, err, tc.err)
		}
	}
}

// TestSessionSealsAsCommand: the module's seal is command.Seal, and open
// is command.OpenReply, with the page's errors mapped to codes.
func TestSessionSealsAsCommand(t *testing.T) {
	owner, device := key(t, "owner"), key(t, "device")
	s, err := newSession(" "+owner.Hex()+"\n", device.PublicKey().String())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	rnd := bytes.Repeat([]byte{7}, 4096)
	env, err := s.seal(bytes.NewReader(rnd), " light ", `{"on":true}`, now)
	if err != nil {
		t.Fatal(err)
	}
	want, err := command.Seal(bytes.NewReader(rnd), owner, device.PublicKey(), command.Command{Name: "light", Args: []byte(`{"on":true}`)}, now)
	if err != nil || !bytes.Equal(env, want) {
		t.Fatalf("seal differs from command.Seal (%v)", err)
	}
	if _, err := s.open(env, env, now); !errors.Is(err, command.ErrRefused) || codeOf(err) != CodeReply {
		t.Errorf("open(env, env): %v, want a refused reply", err)
	}
}

func codeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// TestKeyErrorsDoNotQuoteKey: whatever is wrong with the owner's key, the
// error never contains it.
func TestKeyErrorsDoNotQuoteKey(t *testing.T) {
	secret := key(t, "owner").Hex()
	for _, in := range []string{secret[:63], secret[:62], secret[:60] + "zz" + secret[62:], "01" + secret, secret + " x"} {
		_, err := newSession(in, "")
		if codeOf(err) != CodeKey {
			t.Errorf("newSession(len %d): %v, want a key error", len(in), err)
		}
		if err != nil && strings.Contains(err.Error(), secret[:12]) {
			t.Errorf("the error quotes the key: %v", err)
		}
	}
}

func TestAddress(t *testing.T) {
	pub := key(t, "device").PublicKey()
	got, err := address(" "+pub.String(), "MAINNET")
	if err != nil || got != pub.Address(nem.Mainnet).String() {
		t.Errorf("address = %q, %v; want %s", got, err, pub.Address(nem.Mainnet))
	}
	if _, err := address(pub.String(), "moon"); codeOf(err) != CodeUsage {
		t.Errorf("unknown network: %v, want a usage error", err)
	}
	if _, err := address("abc", "testnet"); codeOf(err) != CodeDevice {
		t.Errorf("bad key: %v, want a device error", err)
	}
}

// TestKeepUnlock: a kept key opens with its passphrase only, into the
// same owner, and the kept text holds neither the key nor the passphrase.
func TestKeepUnlock(t *testing.T) {
	owner, device := key(t, "owner"), key(t, "device")
	s, err := newSession(owner.Hex(), "")
	if err != nil {
		t.Fatal(err)
	}
	const pass = "correct horse battery"
	if _, err := s.keep(nil, "short", minIterations); codeOf(err) != CodePassphrase {
		t.Errorf("short passphrase: %v", err)
	}
	kept, err := s.keep(nil, pass, minIterations)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ToLower(kept), owner.Hex()[:12]) || strings.Contains(kept, pass) {
		t.Fatal("the kept text shows the key or the passphrase")
	}
	if p, err := keptOwner(kept); err != nil || p != owner.PublicKey() {
		t.Errorf("keptOwner = %s, %v", p, err)
	}
	u, err := unlock(kept, pass, device.PublicKey().String())
	if err != nil || u.owner != owner.PublicKey() || u.sender == nil {
		t.Fatalf("unlock: %v", err)
	}
	if _, err := unlock(kept, pass+"!", ""); codeOf(err) != CodePassphrase || strings.Contains(err.Error(), pass) {
		t.Errorf("wrong passphrase: %v", err)
	}
	// A change anywhere in the kept bytes is refused: the iteration count
	// and the owner key in the clear header, the salt, the nonce, the
	// ciphertext and the tag (one byte of each; every unlock costs a
	// PBKDF2).
	b, _ := parseKept(kept)
	for _, i := range []int{3, 4, keptHeader - 1, keptHeader, keptHeader + 16, keptHeader + 28, keptSize - 1} {
		c := bytes.Clone(b)
		c[i] ^= 0x01
		if _, err := unlock(keptPrefix+b64(c), pass, ""); err == nil {
			t.Fatalf("byte %d changed: unlocked", i)
		}
	}
	if _, err := unlock("nemiot-key-v1:AAAA", pass, ""); codeOf(err) != CodePassphrase {
		t.Errorf("garbage: %v", err)
	}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// TestKeyAsShown: the key as keygen shows it (groups of 16, upper case),
// with spaces, line breaks or dashes between groups, is the same key.
func TestKeyAsShown(t *testing.T) {
	k := key(t, "owner")
	h := strings.ToUpper(k.Hex())
	for _, in := range []string{
		h[:16] + " " + h[16:32] + " " + h[32:48] + " " + h[48:],
		h[:32] + "\n" + h[32:] + "\n",
		h[:16] + "-" + h[16:32] + "-" + h[32:48] + "-" + h[48:],
		"\t" + k.Hex() + "\r\n",
	} {
		s, err := newSession(in, "")
		if err != nil || s.owner != k.PublicKey() {
			t.Errorf("newSession(%q…): %v", in[:20], err)
		}
	}
}
