package apostille

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/nemiot/nemiot/nem"
)

// Known digests of "" (NanoWallet's "SHA3" is Keccak: c5d24601… for 256).
var emptyDigests = map[HashType]string{
	MD5:       "d41d8cd98f00b204e9800998ecf8427e",
	SHA1:      "da39a3ee5e6b4b0d3255bfef95601890afd80709",
	SHA256:    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	Keccak256: "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
	Keccak512: "0eab42de4c3ceb9235fc91acffe746b29c29a8c366b7c60e4e67c466f36a4304c00fa9caf9d87976ba469bcbe06713b435f091ef2769fb160cdab33d3670680e",
}

func TestHashTypes(t *testing.T) {
	for _, h := range HashTypes {
		d, err := h.Digest(nil)
		if err != nil || hex.EncodeToString(d) != emptyDigests[h] || len(d) != h.Size() || !h.Valid() {
			t.Errorf("%s: digest of \"\" %x, %v; size %d", h, d, err, h.Size())
		}
		if p, err := ParseHashType(h.String()); err != nil || p != h {
			t.Errorf("ParseHashType(%q) = %v, %v", h.String(), p, err)
		}
	}
	valid := 0
	for v := range 256 {
		h := HashType(v)
		if h.Valid() {
			valid++
			continue
		}
		if h.Size() != 0 || h.New() != nil {
			t.Errorf("%s: size %d", h, h.Size())
		}
		if _, err := h.Digest(nil); !errors.Is(err, ErrUnknownHash) {
			t.Errorf("%s: Digest: %v", h, err)
		}
	}
	if valid != len(HashTypes) {
		t.Errorf("%d valid hash types, want %d", valid, len(HashTypes))
	}
	for in, want := range map[string]HashType{"sha3-256": Keccak256, "SHA3-512": Keccak512, "sha1": SHA1, "SHA256": SHA256, "md5": MD5, "Keccak512": Keccak512} {
		if h, err := ParseHashType(in); err != nil || h != want {
			t.Errorf("ParseHashType(%q) = %v, %v", in, h, err)
		}
	}
	if _, err := ParseHashType("SHA-512"); !errors.Is(err, ErrUnknownHash) {
		t.Errorf("ParseHashType(SHA-512): %v", err)
	}
}

// versionBytes are the ten apostille message versions.
var versionBytes = []byte{0x01, 0x02, 0x03, 0x08, 0x09, 0x81, 0x82, 0x83, 0x88, 0x89}

func TestMessageRoundTrip(t *testing.T) {
	owner := testKey(t, 1)
	content := []byte("device-7 configuration\n")
	for _, v := range versionBytes {
		h, private := HashType(v&^PrivateFlag), v&PrivateFlag != 0
		m, err := NewMessage(owner, h, content, private)
		if err != nil {
			t.Fatalf("0x%02x: %v", v, err)
		}
		b := m.Bytes()
		wantLen := HeaderSize + h.Size()
		if private {
			wantLen = HeaderSize + nem.SignatureSize
		}
		if len(b) != wantLen || string(b[:4]) != "\xfeNTY" || b[4] != v || m.Version() != v {
			t.Fatalf("0x%02x: message %x", v, b)
		}
		p, err := ParseMessage(b)
		if err != nil {
			t.Fatalf("0x%02x: ParseMessage: %v", v, err)
		}
		if !bytes.Equal(p.Bytes(), b) || p.Hash != h || p.Private != private {
			t.Fatalf("0x%02x: round trip %x -> %x", v, b, p.Bytes())
		}
		if err := p.VerifyContent(content); err != nil {
			t.Errorf("0x%02x: VerifyContent: %v", v, err)
		}
		if private {
			if err := p.VerifyOwner(content, owner.PublicKey()); err != nil {
				t.Errorf("0x%02x: VerifyOwner: %v", v, err)
			}
			if err := p.VerifyOwner(content, testKey(t, 2).PublicKey()); !errors.Is(err, ErrBadSignature) {
				t.Errorf("0x%02x: VerifyOwner with another key: %v", v, err)
			}
			if err := p.VerifyOwner(append(content, '!'), owner.PublicKey()); !errors.Is(err, ErrBadSignature) {
				t.Errorf("0x%02x: VerifyOwner of other content: %v", v, err)
			}
		} else {
			if err := p.VerifyOwner(content, owner.PublicKey()); !errors.Is(err, ErrPublic) {
				t.Errorf("0x%02x: VerifyOwner of a public message: %v", v, err)
			}
			if err := p.VerifyContent(append(content, '!')); !errors.Is(err, ErrDigestMismatch) {
				t.Errorf("0x%02x: VerifyContent of other content: %v", v, err)
			}
		}
		// Any flipped data byte fails verification.
		for i := HeaderSize; i < len(b); i++ {
			bad := bytes.Clone(b)
			bad[i] ^= 0x04
			pm, err := ParseMessage(bad)
			if err != nil {
				t.Fatalf("0x%02x: ParseMessage of flipped byte %d: %v", v, i, err)
			}
			if private {
				err = pm.VerifyOwner(content, owner.PublicKey())
			} else {
				err = pm.VerifyContent(content)
			}
			if err == nil {
				t.Fatalf("0x%02x: flipped byte %d verifies", v, i)
			}
		}
		// Wrong lengths and headers are refused.
		for _, bad := range [][]byte{b[:len(b)-1], append(bytes.Clone(b), 0), b[:HeaderSize], b[:3]} {
			if _, err := ParseMessage(bad); !errors.Is(err, ErrMessage) {
				t.Errorf("0x%02x: ParseMessage of %d bytes: %v", v, len(bad), err)
			}
		}
		for i := range 4 {
			bad := bytes.Clone(b)
			bad[i] ^= 0x20
			if _, err := ParseMessage(bad); !errors.Is(err, ErrMessage) {
				t.Errorf("0x%02x: header byte %d flipped: %v", v, i, err)
			}
		}
	}
}

func TestParseMessageVersions(t *testing.T) {
	known := map[byte]bool{}
	for _, v := range versionBytes {
		known[v] = true
	}
	for v := range 256 {
		payload := append([]byte(Header), byte(v))
		payload = append(payload, make([]byte, 64)...)
		_, err := ParseMessage(payload)
		switch {
		case !known[byte(v)]:
			if !errors.Is(err, ErrUnknownHash) || !errors.Is(err, ErrMessage) {
				t.Errorf("version 0x%02x: %v", v, err)
			}
		case v == 0x09 || v&PrivateFlag != 0: // 64 bytes of data is right
			if err != nil {
				t.Errorf("version 0x%02x: %v", v, err)
			}
		default:
			if !errors.Is(err, ErrMessage) || errors.Is(err, ErrUnknownHash) {
				t.Errorf("version 0x%02x with 64 bytes: %v", v, err)
			}
		}
	}
}

// TestMessagesAgainstNemSdk parses and rebuilds every message nem-sdk made
// for the sample archives, and checks its signatures with the owner's key.
func TestMessagesAgainstNemSdk(t *testing.T) {
	m := loadManifest(t)
	seen := map[byte]bool{}
	for _, f := range m.files() {
		payload := mustHex(t, f.Message)
		msg, err := ParseMessage(payload)
		if err != nil {
			t.Fatalf("%s: %v", f.OriginalName, err)
		}
		seen[msg.Version()] = true
		if msg.Hash != f.hashType(t) || msg.Private != f.Private || !bytes.Equal(msg.Bytes(), payload) {
			t.Errorf("%s: parsed %+v", f.OriginalName, msg)
		}
		content := mustHex(t, f.ContentHex)
		owner := f.owner(t)
		built, err := NewMessage(owner, msg.Hash, content, msg.Private)
		if err != nil || !bytes.Equal(built.Bytes(), payload) {
			t.Errorf("%s: NewMessage = %x, %v; nem-sdk %s", f.OriginalName, built.Bytes(), err, f.Message)
		}
		if err := msg.VerifyContent(content); err != nil {
			t.Errorf("%s: VerifyContent: %v", f.OriginalName, err)
		}
		if msg.Private {
			if err := msg.VerifyOwner(content, owner.PublicKey()); err != nil {
				t.Errorf("%s: VerifyOwner: %v", f.OriginalName, err)
			}
		}
	}
	for _, v := range versionBytes {
		if !seen[v] {
			t.Errorf("no nem-sdk sample with version byte 0x%02x", v)
		}
	}
}

func TestVerifyContentMalformedSignature(t *testing.T) {
	m := &Message{Hash: SHA256, Private: true}
	if err := m.VerifyContent(nil); !errors.Is(err, ErrBadSignature) {
		t.Errorf("zero signature: %v", err)
	}
	for i := range m.Signature {
		m.Signature[i] = 0xff // S not canonical, R not a point
	}
	if err := m.VerifyContent(nil); !errors.Is(err, ErrBadSignature) {
		t.Errorf("0xff signature: %v", err)
	}
	if _, err := NewMessage(nil, SHA256, nil, true); err == nil {
		t.Errorf("private message without an owner")
	}
	if _, err := NewMessage(nil, HashType(4), nil, false); !errors.Is(err, ErrUnknownHash) {
		t.Errorf("hash type 4: %v", err)
	}
}

// TestNotarizationVerify checks VerifyContent and VerifyOwner on every sample
// file, as parsed, and on tampered copies.
func TestNotarizationVerify(t *testing.T) {
	m := loadManifest(t)
	for _, s := range parsedSamples(t, m) {
		for i := range s.parsed.Files {
			n := s.parsed.Files[i]
			owner := s.archive.Files[i].owner(t).PublicKey()
			if err := n.VerifyContent(); err != nil {
				t.Errorf("%s: VerifyContent: %v", n.OriginalName, err)
			}
			err := n.VerifyOwner(owner)
			if n.Private && err != nil || !n.Private && !errors.Is(err, ErrPublic) {
				t.Errorf("%s: VerifyOwner: %v", n.OriginalName, err)
			}
			if n.Private {
				if err := n.VerifyOwner(testKey(t, 3).PublicKey()); !errors.Is(err, ErrBadSignature) {
					t.Errorf("%s: VerifyOwner by a stranger: %v", n.OriginalName, err)
				}
			}
			tampered := n
			tampered.Content = append(bytes.Clone(n.Content), 0)
			if n.Private {
				err = tampered.VerifyOwner(owner)
				if !errors.Is(err, ErrBadSignature) {
					t.Errorf("%s: VerifyOwner of tampered content: %v", n.OriginalName, err)
				}
			} else if err := tampered.VerifyContent(); !errors.Is(err, ErrDigestMismatch) {
				t.Errorf("%s: VerifyContent of tampered content: %v", n.OriginalName, err)
			}
			tampered = n
			tampered.Message = bytes.Clone(n.Message)
			tampered.Message[len(tampered.Message)-1] ^= 1
			if n.Private {
				err = tampered.VerifyOwner(owner)
			} else {
				err = tampered.VerifyContent()
			}
			if err == nil {
				t.Errorf("%s: tampered message verifies", n.OriginalName)
			}
		}
	}
}

// testKey returns a fixed key for tests (not one of nem-sdk's).
func testKey(t testing.TB, i byte) *nem.PrivateKey {
	t.Helper()
	b := bytes.Repeat([]byte{i}, nem.PrivateKeySize)
	k, err := nem.NewPrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
