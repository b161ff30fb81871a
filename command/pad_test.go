package command

import (
	"encoding/json"
	"io"
	"maps"
	"testing"

	"github.com/nemiot/nemiot/command/internal/format"
	"github.com/nemiot/nemiot/nem"
)

// isLowerHex reports whether s is lowercase hex characters only (any count).
func isLowerHex(s string) bool {
	for i := range len(s) {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// byteAt reads from r, except that the byte at offset at is v.
type byteAt struct {
	r   io.Reader
	off int
	at  int
	v   byte
}

func (b *byteAt) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if i := b.at - b.off; 0 <= i && i < n {
		p[i] = b.v
	}
	b.off += n
	return n, err
}

// lengthHistogram returns how often each envelope length comes out of
// mk, called with each value of the byte that follows the nonce in the
// random stream (the pad length's), the rest drawn from seed.
func lengthHistogram(t *testing.T, seed string, mk func(io.Reader) ([]byte, error)) map[int]int {
	t.Helper()
	h := map[int]int{}
	for v := range 256 {
		env, err := mk(&byteAt{r: detRand(seed), at: NonceSize, v: byte(v)})
		if err != nil {
			t.Fatal(err)
		}
		h[len(env)]++
	}
	return h
}

// TestPadHidesBodyLength: {"on":true} and {"on":false} differ by one byte
// of body, yet their commands, and replies of true and false, come out in
// the same lengths, equally often, in both suites (issue 10, item 4: the
// hex pad used to keep the body's parity).
func TestPadHidesBodyLength(t *testing.T) {
	f := newFixture(t)
	dev := f.device.PublicKey()
	for _, s := range benchSuites {
		t.Run(s.name, func(t *testing.T) {
			cmd := func(args string) map[int]int {
				return lengthHistogram(t, "pad "+s.name, func(r io.Reader) ([]byte, error) {
					return seal(r, f.owner, dev, Command{Name: "light", Args: json.RawMessage(args)}, t0, s.suite)
				})
			}
			on, off := cmd(`{"on":true}`), cmd(`{"on":false}`)
			if !maps.Equal(on, off) {
				t.Errorf("command lengths differ:\n on  %v\n off %v", on, off)
			}
			if s.suite == SuiteGCM {
				checkBothParities(t, on)
			}

			env, err := seal(nil, f.owner, dev, Command{Name: "light"}, t0, s.suite)
			if err != nil {
				t.Fatal(err)
			}
			req, err := f.opener.Open(ctx, env)
			if err != nil {
				t.Fatal(err)
			}
			reply := func(state bool) map[int]int {
				return lengthHistogram(t, "reply pad "+s.name, func(r io.Reader) ([]byte, error) {
					return req.Reply(r, map[string]bool{"on": state}, nil)
				})
			}
			on, off = reply(true), reply(false)
			if !maps.Equal(on, off) {
				t.Errorf("reply lengths differ:\n on  %v\n off %v", on, off)
			}
			if s.suite == SuiteGCM {
				checkBothParities(t, on)
			}
		})
	}
}

func checkBothParities(t *testing.T, h map[int]int) {
	t.Helper()
	var odd, even int
	for l, n := range h {
		if l%2 == 1 {
			odd += n
		} else {
			even += n
		}
	}
	if odd != even {
		t.Errorf("%d odd and %d even lengths, want as many of each", odd, even)
	}
}

// TestPadInBody: the pad a sealed body carries is lowercase hex, odd
// counts included, and brings the body to a length the rule allows.
func TestPadInBody(t *testing.T) {
	f := newFixture(t)
	odd := 0
	for i := range 64 {
		env, err := Seal(detRand(string(rune(i))), f.owner, f.device.PublicKey(), benchCmd, t0)
		if err != nil {
			t.Fatal(err)
		}
		e, err := parseEnvelope(env)
		if err != nil {
			t.Fatal(err)
		}
		body, err := nem.DecryptGCM(f.device, f.owner.PublicKey(), e.Ciphertext)
		if err != nil {
			t.Fatal(err)
		}
		odd += checkPad(t, body) % 2
	}
	if odd == 0 || odd == 64 {
		t.Errorf("%d of 64 pads have an odd count", odd)
	}
}

// checkPad checks that body's pad is lowercase hex and brings it to a
// length the padding rule allows, and returns the pad's length.
func checkPad(t *testing.T, body []byte) int {
	t.Helper()
	var b struct{ Pad string }
	if err := json.Unmarshal(body, &b); err != nil || !isLowerHex(b.Pad) {
		t.Fatalf("body %s: %v", body, err)
	}
	n := len(body) - len(b.Pad)
	if lo := format.PaddedLength(n, 0); len(body) < lo || len(body) >= lo+format.PadSpread {
		t.Fatalf("body of %d bytes (%d unpadded), want %d..%d: %s", len(body), n, lo, lo+format.PadSpread-1, body)
	}
	return len(b.Pad)
}
