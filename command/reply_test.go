package command

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/nemiot/nemiot/command/internal/format"
)

// referenceReplyBody is the reply body struct that Request.Reply used to
// pass through json.Marshal and the ASCII rewrite; the body writer of
// package format must write the same bytes (its own tests compare the
// bodies alone).
type referenceReplyBody struct {
	Re     string          `json:"re"`
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
	Pad    string          `json:"pad"`
}

// referenceReply is Request.Reply as it was when encoding/json wrote the
// body: the result marshalled, then the body struct, then format.ASCII.
func referenceReply(r *Request, rand io.Reader, result any, err error) ([]byte, error) {
	rb := referenceReplyBody{Re: hex.EncodeToString(r.Nonce[:]), OK: err == nil}
	if err != nil {
		rb.Error = err.Error()
	} else if result != nil {
		b, merr := json.Marshal(result)
		if merr != nil {
			return nil, fmt.Errorf("command: encoding the result: %w", merr)
		}
		rb.Result = b
	}
	ms, terr := envelopeTime(r.clock())
	if terr != nil {
		return nil, terr
	}
	nonce, rerr := readNonce(rand)
	if rerr != nil {
		return nil, rerr
	}
	body, merr := json.Marshal(rb)
	if merr != nil {
		return nil, merr
	}
	if body, merr = format.ASCII(body); merr != nil {
		return nil, invalidBody(merr)
	}
	if body, merr = format.Pad(rand, body); merr != nil {
		return nil, merr
	}
	sk, kerr := r.peer.shared(r.dev)
	if kerr != nil {
		return nil, fmt.Errorf("command: key agreement with the sender: %w", kerr)
	}
	return build(rand, r.dev, sk, r.Sender, KindReply, r.suite, ms, &nonce, body)
}

// rawMarshaler returns its bytes from MarshalJSON, valid UTF-8 or not.
type rawMarshaler []byte

func (m rawMarshaler) MarshalJSON() ([]byte, error) { return m, nil }

// TestReplyMatchesReference: for the same randomness and clock, Reply
// writes the very envelope the old Reply wrote.
func TestReplyMatchesReference(t *testing.T) {
	for _, s := range benchSuites {
		t.Run(s.name, func(t *testing.T) {
			f := newFixture(t)
			env, err := seal(nil, f.owner, f.device.PublicKey(), Command{Name: "light"}, t0, s.suite)
			if err != nil {
				t.Fatal(err)
			}
			req, err := f.opener.Open(t.Context(), env)
			if err != nil {
				t.Fatal(err)
			}
			for i, tc := range []struct {
				result any
				err    error
			}{
				{nil, nil},
				{benchResult, nil},
				{"é<\u2028>", nil},
				{nil, errors.New("jammed: é\xff<&>\n")},
				{rawMarshaler(`"\xff"`), nil},
			} {
				seed := fmt.Sprintf("reply %d", i)
				want, werr := referenceReply(req, detRand(seed), tc.result, tc.err)
				got, gerr := req.Reply(detRand(seed), tc.result, tc.err)
				if !bytes.Equal(got, want) || (werr == nil) != (gerr == nil) ||
					werr != nil && werr.Error() != gerr.Error() {
					t.Errorf("case %d: Reply = %x, %v\nwant %x, %v", i, got, gerr, want, werr)
				}
			}
		})
	}
}
