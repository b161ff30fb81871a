package command

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// referenceReplyBody is the reply body struct that Request.Reply used to
// pass through json.Marshal and asciiJSON; appendReplyBody must write the
// same bytes.
type referenceReplyBody struct {
	Re     string          `json:"re"`
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
	Pad    string          `json:"pad"`
}

// referenceReply is Request.Reply as it was before the body was written by
// hand: the result marshalled, then the body struct, then asciiJSON.
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
	body, merr := marshalBody(rb)
	if merr != nil {
		return nil, merr
	}
	if body, merr = padBody(rand, body); merr != nil {
		return nil, merr
	}
	sk, kerr := r.peer.shared(r.dev)
	if kerr != nil {
		return nil, fmt.Errorf("command: key agreement with the sender: %w", kerr)
	}
	return build(rand, r.dev, sk, r.Sender, KindReply, r.suite, ms, &nonce, body)
}

// oldBody and newBody build the body for one nonce, result, error and pad
// the old way and the new way.
func oldBody(re *[NonceSize]byte, result any, err error, pad string) ([]byte, error) {
	rb := referenceReplyBody{Re: hex.EncodeToString(re[:]), OK: err == nil, Pad: pad}
	if err != nil {
		rb.Error = err.Error()
	} else if result != nil {
		b, merr := json.Marshal(result)
		if merr != nil {
			return nil, merr
		}
		rb.Result = b
	}
	return marshalBody(rb)
}

func newBody(re *[NonceSize]byte, result any, err error, pad string) ([]byte, error) {
	var b []byte
	var text string
	if err != nil {
		text = err.Error()
	} else if result != nil {
		var merr error
		if b, merr = json.Marshal(result); merr != nil {
			return nil, merr
		}
	}
	return replyBody(re, err == nil, b, text, pad)
}

// rawMarshaler returns its bytes from MarshalJSON, valid UTF-8 or not.
type rawMarshaler []byte

func (m rawMarshaler) MarshalJSON() ([]byte, error) { return m, nil }

// replyBodyStrings are texts that exercise every escaping rule.
func replyBodyStrings() []string {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	var ascii strings.Builder
	for c := range 128 {
		ascii.WriteByte(byte(c))
	}
	out := []string{
		"", "plain", `quote " backslash \ slash /`, "<script>&amp;</script>",
		"\b\f\n\r\t\x00\x01\x1f\x7f", "é日本😀€", "\u2028\u2029", "\ufffd",
		"\xff", "a\xffb", "\xe2\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf",
		"\U0010ffff\U00010000", "\u00a0\u0080\u07ff\u0800\uffff",
		string(all), ascii.String(), strings.Repeat("x<é\n", 5000),
	}
	r := detRand("reply body strings")
	for n := range 200 {
		b := make([]byte, n%64)
		for i := range b {
			// Mostly bytes near the interesting ranges.
			switch v := r.Uint64(); v % 4 {
			case 0:
				b[i] = byte(v >> 8 & 0x7f)
			case 1:
				b[i] = 0x80 | byte(v>>8&0x7f)
			default:
				b[i] = byte(v >> 8)
			}
		}
		out = append(out, string(b))
		out = append(out, string(utf8.AppendRune(nil, rune(r.Uint64()%(utf8.MaxRune+1)))))
	}
	return out
}

// TestReplyBodyMatchesReference: appendReplyBody writes exactly the bytes
// json.Marshal of the body struct and asciiJSON wrote, and fails alike.
func TestReplyBodyMatchesReference(t *testing.T) {
	var re [NonceSize]byte
	copy(re[:], "0123456789abcdef")
	pads := []string{"", "00", strings.Repeat("ab", 64)}
	var results []any
	results = append(results, nil, true, false, 0, -1.5e300, 1e21, 3.0, "",
		map[string]any{"light": true, "level": 80, "é<>&": []any{nil, "\u2028"}},
		[]byte("bytes \xff"), (*int)(nil), []int(nil), struct{}{},
		json.RawMessage(` { "a" : [ 1 , "<é>" ] } `), json.RawMessage("null"),
		rawMarshaler(`{"k":"\u00e9 é \u2029 <"}`), rawMarshaler(`"bad \xff utf8"`),
		rawMarshaler("[1,\n2]"),
		map[string]string{strings.Repeat("k", 3000): strings.Repeat("v😀", 30000)})
	strs := replyBodyStrings()
	for _, s := range strs {
		results = append(results, s, map[string]string{s: s}, []string{s, s})
	}
	n := 0
	check := func(what string, result any, err error, pad string) {
		t.Helper()
		n++
		want, werr := oldBody(&re, result, err, pad)
		got, gerr := newBody(&re, result, err, pad)
		if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
			t.Fatalf("%s: err = %v, want %v", what, gerr, werr)
		}
		if werr != nil {
			if errors.Is(werr, ErrInvalidCommand) != errors.Is(gerr, ErrInvalidCommand) {
				t.Fatalf("%s: err = %v, want %v", what, gerr, werr)
			}
			return
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
		}
	}
	for _, pad := range pads {
		for i, res := range results {
			check(fmt.Sprintf("result %d %.40q", i, fmt.Sprint(res)), res, nil, pad)
		}
		for i, s := range strs {
			check(fmt.Sprintf("error %d %.40q", i, s), nil, errors.New(s), pad)
			// A result beside an error is dropped, as before.
			check(fmt.Sprintf("error %d with result", i), "ignored", errors.New(s), pad)
		}
	}
	if n < 1000 {
		t.Fatalf("only %d cases", n)
	}
}

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

// FuzzReplyBody: for any result text and error text, appendReplyBody
// agrees with the old json.Marshal + asciiJSON path.
func FuzzReplyBody(f *testing.F) {
	for _, s := range replyBodyStrings()[:20] {
		f.Add(s, s, s)
	}
	f.Fuzz(func(t *testing.T, result, raw, errText string) {
		var re [NonceSize]byte
		for _, tc := range []struct {
			result any
			err    error
		}{
			{result, nil},
			{map[string]any{result: []string{result}}, nil},
			{json.RawMessage(raw), nil},
			{rawMarshaler(raw), nil},
			{nil, errors.New(errText)},
		} {
			want, werr := oldBody(&re, tc.result, tc.err, "00")
			got, gerr := newBody(&re, tc.result, tc.err, "00")
			if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() || !bytes.Equal(got, want) {
				t.Fatalf("%#v, %v:\n got %q, %v\nwant %q, %v", tc.result, tc.err, got, gerr, want, werr)
			}
			if gerr == nil && (!json.Valid(got) || bytes.ContainsFunc(got, func(r rune) bool { return r >= utf8.RuneSelf })) {
				t.Fatalf("body %q is not ASCII JSON", got)
			}
		}
	})
}

// BenchmarkReplyBody compares the body alone, old path against new; read
// it with benchstat -col /impl.
func BenchmarkReplyBody(b *testing.B) {
	var re [NonceSize]byte
	pad := strings.Repeat("ab", 40)
	for _, c := range []struct {
		name   string
		result any
		err    error
	}{
		{"result", benchResult, nil},
		{"nonASCII", map[string]string{"msg": "température élevée <ok>"}, nil},
		{"error", nil, errors.New("jammed: motor stalled")},
	} {
		for _, impl := range []struct {
			name string
			f    func(*[NonceSize]byte, any, error, string) ([]byte, error)
		}{{"old", oldBody}, {"new", newBody}} {
			b.Run("case="+c.name+"/impl="+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := impl.f(&re, c.result, c.err, pad); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
