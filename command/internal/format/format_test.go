package format

import (
	"bytes"
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/nemiot/nemiot/nem"
)

// encode writes e again from its parsed fields.
func encode(e *Envelope) []byte {
	out := AppendHeader(nil, e.Kind, e.Suite, e.Sender, e.Recipient, e.Time, &e.Nonce, len(e.Ciphertext))
	out = append(out, e.Ciphertext...)
	out = append(out, e.Digest...)
	out = append(out, e.Sig[:]...)
	if e.Kind == KindCosigned {
		out = append(out, byte(len(e.Cosigs)))
		for _, c := range e.Cosigs {
			out = append(out, c.Key[:]...)
			out = append(out, c.Sig[:]...)
		}
	}
	return out
}

// FuzzParse feeds raw bytes to Parse. Invariants: no panic; every error is
// an *Error; whatever parses re-encodes byte for byte (the format is
// canonical), pending or not; a complete envelope parses alike either way.
// The seed corpus holds real envelopes (the JavaScript vectors' and
// sealed ones) and their mutations.
func FuzzParse(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 3, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, pending := range []bool{false, true} {
			e, err := Parse(b, pending)
			if err != nil {
				var fe *Error
				if !errors.As(err, &fe) || fe.Reason != ErrMalformed && fe.Reason != ErrUnsupported {
					t.Fatalf("untyped error %T: %v", err, err)
				}
				continue
			}
			if re := encode(e); !bytes.Equal(re, b) {
				t.Fatalf("parsed envelope re-encodes differently:\n%x\n%x", b, re)
			}
			if !bytes.Equal(e.SignedMessage(), append([]byte(SignDomain), b[:e.SignedEnd]...)) {
				t.Fatal("signed message")
			}
		}
	})
}

// TestLayout: the header offsets are those of the package documentation.
func TestLayout(t *testing.T) {
	var s, r nem.PublicKey
	s[0], r[0] = 0xaa, 0xbb
	nonce := [NonceSize]byte{0xcc}
	h := AppendHeader(nil, KindCosigned, SuiteCBC, s, r, 0x0102030405060708, &nonce, 0x0a0b0c0d)
	if len(h) != HeaderSize || h[OffVersion] != Version || h[OffKind] != KindCosigned || h[OffSuite] != SuiteCBC ||
		h[OffSender] != 0xaa || h[OffRecipient] != 0xbb || h[OffTime] != 1 || h[OffTime+7] != 8 ||
		h[OffNonce] != 0xcc || h[OffLength] != 0x0a || h[OffLength+3] != 0x0d {
		t.Fatalf("header %x", h)
	}
}

// TestPaddedLengthRule: for every unpadded length, the 256 values of the
// random byte give each of PadSpread consecutive padded lengths, from a
// multiple of PadBucket, equally often, with at least MinPad characters of
// pad. So bodies whose lengths round to one bucket are padded to the same
// distribution, and the parity of a padded length says nothing.
func TestPaddedLengthRule(t *testing.T) {
	for n := range 1000 {
		seen := map[int]int{}
		for r := range 256 {
			total := PaddedLength(n, byte(r))
			if p := total - n; p < MinPad || p > MaxPad {
				t.Fatalf("n=%d r=%d: pad of %d characters, want %d..%d", n, r, p, MinPad, MaxPad)
			}
			seen[total]++
		}
		lengths := slices.Sorted(maps.Keys(seen))
		first := lengths[0]
		if len(lengths) != PadSpread || first%PadBucket != 0 || first < n+MinPad || first >= n+MinPad+PadBucket ||
			lengths[PadSpread-1] != first+PadSpread-1 {
			t.Fatalf("n=%d: padded lengths %v", n, lengths)
		}
		for _, l := range lengths {
			if seen[l] != 256/PadSpread {
				t.Fatalf("n=%d: length %d drawn %d times of 256", n, l, seen[l])
			}
		}
	}
}

// TestPad: the pad fills the body to PaddedLength with lowercase hex, in
// place when there is room; a body without an empty pad is an error.
func TestPad(t *testing.T) {
	body, err := MarshalCommand("light", []byte(`{"on":true}`))
	if err != nil {
		t.Fatal(err)
	}
	n, c := len(body), cap(body)
	padded, err := Pad(detRand("pad"), body)
	if err != nil {
		t.Fatal(err)
	}
	if &padded[0] != &body[:1][0] || cap(body) != c {
		t.Error("Pad did not fill in place")
	}
	pad := padded[n-2 : len(padded)-2]
	if !bytes.HasPrefix(padded, body[:n-2]) || len(pad) < MinPad || len(bytes.Trim(pad, "0123456789abcdef")) != 0 {
		t.Errorf("padded body %q", padded)
	}
	if _, err := Pad(detRand("pad"), []byte(`{"cmd":"x"}`)); err == nil {
		t.Error("a body without an empty pad was padded")
	}
}
