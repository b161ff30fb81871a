package nem

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"filippo.io/edwards25519"
)

// From 1.test-keys.dat row 1 (official vectors; public test data, never a real account).
const (
	vecPriv = "575dbb3062267eff57c970a336ebbc8fbcfe12c5bd3ed7bc11eb0481d7704ced"
	vecPub  = "c5f54ba980fcbb657dbaaa42700539b207873e134d2375efeab5f1ab52f87844"
	vecAddr = "NDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5JFXJ4R4"
)

func mustKey(t testing.TB, s string) *PrivateKey {
	t.Helper()
	k, err := ParsePrivateKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParsePrivateKeyForms(t *testing.T) {
	zeroPub := "462ee976890916e54fa825d26bdd0235f5eb5b6a143c199ab0ae5ee9328e08ce"
	tests := []struct {
		name, in, wantHex string
		err               error
	}{
		{"canonical", vecPriv, vecPriv, nil},
		{"upper", strings.ToUpper(vecPriv), vecPriv, nil},
		{"nis 00 prefix", "00" + vecPriv, vecPriv, nil},
		{"nis dropped zero byte", vecPriv[2:], "00" + vecPriv[2:], nil},
		{"all-zero NIS form", "00", strings.Repeat("0", 64), nil},
		{"empty", "", "", ErrInvalidKey},
		{"odd length", vecPriv[1:], "", ErrInvalidKey},
		{"non-hex", "zz" + vecPriv[2:], "", ErrInvalidKey},
		{"66 without 00", "01" + vecPriv, "", ErrInvalidKey},
		{"too long", "0000" + vecPriv, "", ErrInvalidKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParsePrivateKey(tc.in)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				if tc.in != "" && len(tc.in) > 8 && strings.Contains(err.Error(), tc.in[4:12]) {
					t.Fatalf("error echoes the secret input: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if k.Hex() != tc.wantHex {
				t.Fatalf("Hex() = %s, want %s", k.Hex(), tc.wantHex)
			}
		})
	}
	if got := mustKey(t, "00").PublicKey().String(); got != zeroPub {
		t.Fatalf("all-zero key public key %s, want %s", got, zeroPub)
	}
}

func TestPrivateKeyRedacted(t *testing.T) {
	k := mustKey(t, vecPriv)
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("key", "k", k)
	outs := []string{
		fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s %q %x %X %d", k, k, k, k, k, k, k, k),
		fmt.Sprintf("%v", *k), fmt.Sprintf("%+v", struct{ K *PrivateKey }{k}),
		fmt.Sprintf("%#v", struct{ K *PrivateKey }{k}), logged.String(),
	}
	secretParts := []string{vecPriv[:16], strings.ToUpper(vecPriv[:16]), vecPriv[48:]}
	for _, out := range outs {
		for _, s := range secretParts {
			if strings.Contains(out, s) {
				t.Fatalf("secret leaked in %q", out)
			}
		}
		if !strings.Contains(out, "REDACTED") {
			t.Fatalf("output %q is not the redacted form", out)
		}
	}
	b := k.Bytes()
	b[0] ^= 0xff
	if k.Hex() != vecPriv {
		t.Fatal("Bytes() aliases the key's storage")
	}
}

func TestSharedKeyRedacted(t *testing.T) {
	a := mustKey(t, vecPriv)
	b, _ := GeneratePrivateKey(nil)
	sk, err := a.SharedKey(b.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	const want = "nem.SharedKey(REDACTED)"
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
		for _, v := range []any{sk, *sk} {
			if out := fmt.Sprintf(verb, v); out != want && verb != "%T" {
				t.Errorf("Sprintf(%q, %T) = %q, want %q", verb, v, out, want)
			}
		}
	}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("shared", "sk", sk)
	if !strings.Contains(logged.String(), "sk="+want) {
		t.Errorf("slog wrote %q", logged.String())
	}
	if out := fmt.Sprintf("%+v %#v", struct{ S *SharedKey }{sk}, struct{ S SharedKey }{*sk}); strings.Count(out, want) != 2 {
		t.Errorf("inside a struct: %q", out)
	}
}

func TestPrivateKeyEqual(t *testing.T) {
	a, b := mustKey(t, vecPriv), mustKey(t, "00"+vecPriv)
	c, _ := GeneratePrivateKey(nil)
	if !a.Equal(b) || a.Equal(c) || a.Equal(nil) {
		t.Fatal("Equal is wrong")
	}
}

func TestNewPrivateKey(t *testing.T) {
	k, err := NewPrivateKey(mustKey(t, vecPriv).Bytes())
	if err != nil || k.PublicKey().String() != vecPub {
		t.Fatalf("NewPrivateKey: %v %v", k, err)
	}
	for _, n := range []int{0, 31, 33} {
		if _, err := NewPrivateKey(make([]byte, n)); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("%d bytes: err = %v", n, err)
		}
	}
}

func TestGeneratePrivateKey(t *testing.T) {
	a, err := GeneratePrivateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GeneratePrivateKey(rand.Reader)
	if a.Equal(b) {
		t.Fatal("two generated keys are equal")
	}
	seed := bytes.Repeat([]byte{7}, 32)
	c, err := GeneratePrivateKey(bytes.NewReader(seed))
	if err != nil || !bytes.Equal(c.Bytes(), seed) {
		t.Fatalf("GeneratePrivateKey did not use rand: %v", err)
	}
	if _, err := GeneratePrivateKey(bytes.NewReader(seed[:31])); err == nil {
		t.Fatal("short randomness accepted")
	}
}

func TestVerifyStrictness(t *testing.T) {
	k := mustKey(t, vecPriv)
	msg := []byte("nemiot")
	sig := k.Sign(msg)
	pub := k.PublicKey()
	if !pub.Verify(msg, sig) {
		t.Fatal("valid signature refused")
	}
	if !pub.Verify(nil, k.Sign(nil)) {
		t.Fatal("signature of the empty message refused")
	}

	// S + L satisfies the same equation; nem-sdk accepts it, NIS does not.
	var S, l, sPlusL [32]byte
	copy(S[:], sig[32:])
	lBytes, _ := hex.DecodeString("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
	copy(l[:], lBytes)
	carry := 0
	for i := 0; i < 32; i++ {
		v := int(S[i]) + int(l[i]) + carry
		sPlusL[i] = byte(v)
		carry = v >> 8
	}
	if carry != 0 {
		t.Skip("S+L overflows 256 bits for this signature")
	}
	malleable := sig
	copy(malleable[32:], sPlusL[:])
	if pub.Verify(msg, malleable) {
		t.Fatal("non-canonical S (S+L) accepted")
	}

	zeroS := sig
	clear(zeroS[32:])
	if pub.Verify(msg, zeroS) {
		t.Fatal("S = 0 accepted")
	}
	if (PublicKey{}).Verify(msg, sig) {
		t.Fatal("all-zero public key accepted")
	}
	if (PublicKey{}).Verify(msg, Signature{}) {
		t.Fatal("all-zero key and signature accepted")
	}
	notPoint, _ := ParsePublicKey("0200000000000000000000000000000000000000000000000000000000000000")
	if _, err := NewVerifier(notPoint); err == nil {
		// y = 2 is not on the curve; if this ever decodes, the check below still must fail.
		t.Log("y=2 decoded as a point")
	}
	if notPoint.Verify(msg, sig) {
		t.Fatal("signature verified under an unrelated key")
	}
	if _, err := NewVerifier(PublicKey{}); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("NewVerifier(zero) err = %v", err)
	}
}

// The key agreement must give NIS's result a·P, with the unreduced clamped
// scalar a, even when P has a small-order component: since a is a multiple of
// 8, a·(P+T) = a·P for any T of order dividing 8.
func TestSharedKeyIgnoresTorsion(t *testing.T) {
	k := mustKey(t, vecPriv)
	peer, _ := GeneratePrivateKey(nil)
	var P, T, PT edwards25519.Point
	if _, err := P.SetBytes(peer.secret().pub[:]); err != nil {
		t.Fatal(err)
	}
	if _, err := T.SetBytes(make([]byte, 32)); err != nil { // y = 0: a point of order 4
		t.Fatal(err)
	}
	var T8 edwards25519.Point
	if T8.MultByCofactor(&T); T8.Equal(edwards25519.NewIdentityPoint()) != 1 || T.Equal(edwards25519.NewIdentityPoint()) == 1 {
		t.Fatal("T is not a small-order point")
	}
	PT.Add(&P, &T)
	var mixed PublicKey
	copy(mixed[:], PT.Bytes())

	clean, err := k.SharedKey(peer.secret().pub)
	if err != nil {
		t.Fatal(err)
	}
	torsioned, err := k.SharedKey(mixed)
	if err != nil {
		t.Fatal(err)
	}
	if clean.secret().point != torsioned.secret().point {
		t.Fatalf("ECDH with a torsion component differs: %x vs %x", clean.secret().point, torsioned.secret().point)
	}
	// And it is symmetric for clean keys.
	back, _ := peer.SharedKey(k.secret().pub)
	if back.secret().point != clean.secret().point {
		t.Fatal("ECDH is not symmetric")
	}
}

func TestEncryptRoundTrip(t *testing.T) {
	alice, _ := GeneratePrivateKey(nil)
	bob, _ := GeneratePrivateKey(nil)
	eve, _ := GeneratePrivateKey(nil)
	type pair struct {
		name string
		enc  func([]byte) ([]byte, error)
		dec  func(*PrivateKey, PublicKey, []byte) ([]byte, error)
	}
	formats := []pair{
		{"CBC", func(p []byte) ([]byte, error) { return EncryptCBC(nil, alice, bob.PublicKey(), p) }, DecryptCBC},
		{"GCM", func(p []byte) ([]byte, error) { return EncryptGCM(nil, alice, bob.PublicKey(), p) }, DecryptGCM},
	}
	for _, f := range formats {
		for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 1000} {
			plain := bytes.Repeat([]byte{0xa5}, n)
			payload, err := f.enc(plain)
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.dec(bob, alice.PublicKey(), payload)
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("%s n=%d: round trip = %x, %v", f.name, n, got, err)
			}
			if f.name == "GCM" {
				// GCM is authenticated: a wrong key or any flipped bit must fail.
				if _, err := f.dec(eve, alice.PublicKey(), payload); !errors.Is(err, ErrDecrypt) {
					t.Fatalf("GCM n=%d: wrong key err = %v", n, err)
				}
				for i := range payload {
					tampered := bytes.Clone(payload)
					tampered[i] ^= 0x80
					if _, err := f.dec(bob, alice.PublicKey(), tampered); !errors.Is(err, ErrDecrypt) {
						t.Fatalf("GCM n=%d: byte %d flipped: err = %v", n, i, err)
					}
				}
			}
			for _, cut := range []int{1, 16, len(payload)} {
				if cut > len(payload) {
					continue
				}
				if _, err := f.dec(bob, alice.PublicKey(), payload[:len(payload)-cut]); !errors.Is(err, ErrDecrypt) {
					t.Fatalf("%s n=%d: truncated by %d: err = %v", f.name, n, cut, err)
				}
			}
		}
	}
}

func TestDecryptCBCPadding(t *testing.T) {
	alice, _ := GeneratePrivateKey(nil)
	bob, _ := GeneratePrivateKey(nil)
	s, _ := alice.SharedKey(bob.PublicKey())
	payload, _ := s.EncryptCBC(nil, []byte("sixteen bytes!!!")) // a whole block of padding
	// Flipping the last byte of the second-to-last ciphertext block flips
	// the last plaintext byte (a pad byte of value 16) in a controlled way.
	for _, x := range []byte{0x01, 0x10, 0x1f, 0xff} {
		bad := bytes.Clone(payload)
		bad[len(bad)-17] ^= x
		if _, err := s.DecryptCBC(bad); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("bad padding (xor %#x) accepted: %v", x, err)
		}
	}
}

func TestMessageRandomnessConsumption(t *testing.T) {
	alice, _ := GeneratePrivateKey(nil)
	bob, _ := GeneratePrivateKey(nil)
	r := bytes.NewReader(make([]byte, 100))
	if _, err := EncryptCBC(r, alice, bob.PublicKey(), []byte("x")); err != nil {
		t.Fatal(err)
	}
	if r.Len() != 100-48 {
		t.Fatalf("EncryptCBC read %d bytes of randomness, want 48", 100-r.Len())
	}
	r = bytes.NewReader(make([]byte, 100))
	if _, err := EncryptGCM(r, alice, bob.PublicKey(), []byte("x")); err != nil {
		t.Fatal(err)
	}
	if r.Len() != 100-12 {
		t.Fatalf("EncryptGCM read %d bytes of randomness, want 12", 100-r.Len())
	}
	if _, err := EncryptGCM(bytes.NewReader(nil), alice, bob.PublicKey(), nil); err == nil {
		t.Fatal("EncryptGCM without randomness succeeded")
	}
}

func TestAddressParse(t *testing.T) {
	pretty := "NDD2CT-6LQLIY-Q56KIX-I3ENTM-6EK3D4-4P5JFX-J4R4"
	a, err := ParseAddress(pretty)
	if err != nil {
		t.Fatal(err)
	}
	if a.String() != vecAddr || a.Pretty() != pretty || a.Network() != Mainnet {
		t.Fatalf("got %s / %s / %s", a, a.Pretty(), a.Network())
	}
	if b, _ := ParseAddress(strings.ToLower(vecAddr)); b != a {
		t.Fatal("lower-case form differs")
	}
	bad := []struct {
		in  string
		err error
	}{
		{"", ErrInvalidAddress},
		{vecAddr[:39], ErrInvalidAddress},
		{vecAddr + "A", ErrInvalidAddress},
		{vecAddr[:39] + "1", ErrInvalidAddress}, // '1' is not base32
		{vecAddr[:39] + "5", ErrChecksum},
		{"NDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK2", ErrChecksum}, // testnet checksum under a mainnet prefix
		{" " + vecAddr, ErrInvalidAddress},
	}
	for _, tc := range bad {
		if _, err := ParseAddress(tc.in); !errors.Is(err, tc.err) {
			t.Errorf("ParseAddress(%q) err = %v, want %v", tc.in, err, tc.err)
		}
	}
	if _, err := ParseAddressOn(vecAddr, Testnet); !errors.Is(err, ErrWrongNetwork) {
		t.Fatalf("wrong network err = %v", err)
	}
	// A valid checksum over an unknown network byte.
	raw := a.Bytes()
	raw[0] = 0x99
	sum := Keccak256(raw[:21])
	copy(raw[21:], sum[:4])
	if _, err := AddressFromBytes(raw); !errors.Is(err, ErrUnknownNetwork) {
		t.Fatalf("unknown network err = %v", err)
	}
	if (Address{}).String() != "" || !(Address{}).IsZero() {
		t.Fatal("zero address")
	}
}

func TestTextMarshaling(t *testing.T) {
	k := mustKey(t, vecPriv)
	sig := k.Sign([]byte("x"))
	var (
		p  PublicKey
		s  Signature
		a  Address
		nw Network
	)
	for _, c := range []struct {
		m interface{ MarshalText() ([]byte, error) }
		u interface{ UnmarshalText([]byte) error }
	}{{k.PublicKey(), &p}, {sig, &s}, {k.Address(Testnet), &a}, {Testnet, &nw}} {
		b, err := c.m.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.u.UnmarshalText(b); err != nil {
			t.Fatal(err)
		}
	}
	if p != k.PublicKey() || s != sig || a != k.Address(Testnet) || nw != Testnet {
		t.Fatal("text round trip lost data")
	}
	if err := p.UnmarshalText([]byte("xyz")); !errors.Is(err, ErrInvalidKey) {
		t.Fatal(err)
	}
	if err := s.UnmarshalText([]byte("xyz")); !errors.Is(err, ErrInvalidSignature) {
		t.Fatal(err)
	}
}

func TestNetwork(t *testing.T) {
	for _, n := range []Network{Mainnet, Testnet, Mijin} {
		got, err := ParseNetwork(strings.ToUpper(n.String()))
		if err != nil || got != n {
			t.Fatalf("ParseNetwork(%s) = %v, %v", n, got, err)
		}
	}
	if _, err := ParseNetwork("symbol"); !errors.Is(err, ErrUnknownNetwork) {
		t.Fatal(err)
	}
	// nem-sdk: testnet v1 = 0x98000001 as int32.
	if Testnet.Version(1) != -1744830463 || Mainnet.Version(1) != 0x68000001 || Mijin.Version(2) != 0x60000002 {
		t.Fatal("Version")
	}
}

func TestTimestamp(t *testing.T) {
	if TimestampOf(Epoch) != 0 || Timestamp(0).Time() != Epoch {
		t.Fatal("epoch")
	}
	if Epoch.Unix() != 1427587585 {
		t.Fatal("epoch unix")
	}
	tm := time.Date(2026, 11, 25, 12, 0, 0, 999_000_000, time.UTC)
	ts := TimestampOf(tm)
	if int64(ts) != tm.Unix()-1427587585 || !ts.Time().Equal(tm.Truncate(time.Second)) {
		t.Fatalf("TimestampOf(%v) = %d", tm, ts)
	}
	if TimestampOf(Epoch.Add(-500*time.Millisecond)) != -1 {
		t.Fatal("times before the epoch must round down")
	}
}

func TestKeccak(t *testing.T) {
	if h := Keccak256(); hex.EncodeToString(h[:]) != "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470" {
		t.Fatal("Keccak-256 of empty input")
	}
	if h := Keccak512(); !strings.HasPrefix(hex.EncodeToString(h[:]), "0eab42de4c3ceb9235fc91acffe746b2") {
		t.Fatal("Keccak-512 of empty input")
	}
	if Keccak256([]byte("ab"), []byte("c")) != Keccak256([]byte("abc")) {
		t.Fatal("Keccak256 does not concatenate")
	}
}
