package format

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/nemiot/nemiot/internal/strictjson"
)

// Bodies are JSON objects, written in ASCII:
//
//	command {"cmd": string, "args": any, "pad": hex}
//	reply   {"re": hex nonce of the command, "ok": bool, "result": any,
//	         "error": string, "pad": hex}
//
// They are written as encoding/json writes them (<, >, &, U+2028 and
// U+2029 escaped, invalid UTF-8 in strings as U+FFFD), with every other
// non-ASCII character as a \uXXXX escape ([ASCII]), and read by the
// project's one strict reader, internal/strictjson: a single object, member
// names matched exactly and none twice in any object, "cmd", "re" and
// "error" strings, "ok" a boolean; unknown members are ignored.

// The pad: a body's length with its pad is drawn uniformly from PadSpread
// lengths that start at the first multiple of PadBucket that leaves room
// for MinPad pad characters. Every body whose unpadded length rounds to the
// same bucket has the same distribution of padded lengths, odd and even
// alike; PadSpread being a power of two not above 256 makes one random
// byte draw it exactly.
const (
	MinPad    = 32  // characters, 128 random bits: a co-signed body's digest reveals no guessable command
	PadBucket = 64  // characters
	PadSpread = 128 // characters
	MaxPad    = MinPad + PadBucket - 1 + PadSpread - 1
)

// PaddedLength returns the length of a padded body whose length with an
// empty pad is n, for the random byte r.
func PaddedLength(n int, r byte) int {
	return (n+MinPad+PadBucket-1)/PadBucket*PadBucket + int(r)%PadSpread
}

// Pad fills the pad of body, a JSON object whose last member is "pad":"",
// with random lowercase hex characters, as many as make the body
// PaddedLength long: it reads one byte for the length, then the pad, from
// rand. It appends in place when body has the capacity (MaxPad more), as
// the bodies of [MarshalCommand] and [MarshalReply] have.
func Pad(rand io.Reader, body []byte) ([]byte, error) {
	if !bytes.HasSuffix(body, []byte(`"pad":""}`)) {
		return nil, errors.New("command: the body does not end with an empty pad")
	}
	var r [1]byte
	if _, err := io.ReadFull(rand, r[:]); err != nil {
		return nil, fmt.Errorf("command: reading pad length: %w", err)
	}
	n := len(body)
	p := PaddedLength(n, r[0]) - n
	var raw [(MaxPad + 1) / 2]byte
	if _, err := io.ReadFull(rand, raw[:(p+1)/2]); err != nil {
		return nil, fmt.Errorf("command: reading pad: %w", err)
	}
	tail := n - len(`"}`)
	body = slices.Grow(body[:tail], p+1+len(`"}`))
	body = hex.AppendEncode(body, raw[:(p+1)/2])[:tail+p]
	return append(body, `"}`...), nil
}

// ErrNotUTF8 is the error of [ASCII], and so of the Marshal functions, for
// text that is not valid UTF-8.
var ErrNotUTF8 = errors.New("text is not valid UTF-8")

// ASCII rewrites every non-ASCII character of a valid JSON text as a
// \uXXXX escape (a surrogate pair outside the BMP), so that the body reads
// the same after nem-sdk's text conversion, which mangles characters
// outside the BMP. Outside strings valid JSON has no non-ASCII bytes, so
// this touches only string contents. It returns b itself when b is ASCII,
// and fails with ErrNotUTF8 on invalid UTF-8. No JSON library has this
// option; nem-sdk interoperability needs it.
func ASCII(b []byte) ([]byte, error) {
	i := 0
	for i < len(b) && b[i] < utf8.RuneSelf {
		i++
	}
	if i == len(b) {
		return b, nil
	}
	out := make([]byte, 0, len(b)+len(b)/2+MaxPad+1)
	out = append(out, b[:i]...)
	const hexdigits = "0123456789abcdef"
	esc := func(r rune) {
		out = append(out, '\\', 'u', hexdigits[r>>12&0xf], hexdigits[r>>8&0xf], hexdigits[r>>4&0xf], hexdigits[r&0xf])
	}
	for i < len(b) {
		c := b[i]
		if c < utf8.RuneSelf {
			out = append(out, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return nil, ErrNotUTF8
		}
		i += size
		if r > 0xffff {
			r -= 0x10000
			esc(0xd800 + r>>10)
			esc(0xdc00 + r&0x3ff)
		} else {
			esc(r)
		}
	}
	return out, nil
}

// writeOptions write JSON as encoding/json does (json.Marshal: HTML and
// JavaScript line terminators escaped, invalid UTF-8 in a Go string as
// U+FFFD, raw values as they are). Raw values may repeat a name, as
// encoding/json lets them: a reply result whose own MarshalJSON does so
// is sent, and the app's strict reader refuses it.
var writeOptions = json.JoinOptions(
	jsontext.EscapeForHTML(true),
	jsontext.EscapeForJS(true),
	jsontext.AllowInvalidUTF8(true),
	jsontext.AllowDuplicateNames(true),
	jsontext.PreserveRawStrings(true),
)

// marshal writes v as an ASCII JSON body into a buffer with room for
// size bytes and the pad.
func marshal(v any, size int) ([]byte, error) {
	buf := bytes.NewBuffer(make([]byte, 0, size+MaxPad+1))
	if err := json.MarshalWrite(buf, v, writeOptions); err != nil {
		return nil, err
	}
	return ASCII(buf.Bytes())
}

// commandBody is the body of a command envelope, as written.
type commandBody struct {
	Cmd  string         `json:"cmd"`
	Args jsontext.Value `json:"args,omitzero"`
	Pad  string         `json:"pad"`
}

// MarshalCommand returns the body of a command envelope with an empty pad,
// for [Pad] to fill. args, if not empty, must be valid JSON; it is written
// compact. Its errors are the JSON library's and ErrNotUTF8.
func MarshalCommand(name string, args []byte) ([]byte, error) {
	b := commandBody{Cmd: name}
	if len(args) > 0 {
		b.Args = args
	}
	return marshal(&b, len(`{"cmd":"","args":,"pad":""}`)+len(name)+len(args))
}

// replyBody is the body of a reply envelope, as written.
type replyBody struct {
	Re     string         `json:"re"`
	OK     bool           `json:"ok"`
	Result jsontext.Value `json:"result,omitzero"`
	Error  string         `json:"error,omitempty"`
	Pad    string         `json:"pad"`
}

// MarshalReply returns the body of a reply envelope to the command whose
// nonce is re, with an empty pad for [Pad] to fill: "result" is left out
// when result is empty, "error" when errText is. result must be valid
// JSON, as json.Marshal writes it. Its errors are the JSON library's and
// ErrNotUTF8 (invalid UTF-8 in result; in errText it becomes U+FFFD).
func MarshalReply(re *[NonceSize]byte, ok bool, result []byte, errText string) ([]byte, error) {
	b := replyBody{Re: hex.EncodeToString(re[:]), OK: ok, Error: errText}
	if len(result) > 0 {
		b.Result = result
	}
	return marshal(&b, len(`{"re":"","ok":false,"result":,"error":"","pad":""}`)+2*NonceSize+len(result)+len(errText)+len(errText)/4)
}

// ParseCommand reads a command body: {"cmd": string, "args": any, "pad":
// hex}. The name must be present and not empty; args null or absent is
// none (nil). Every error is an [*Error].
func ParseCommand(body []byte) (name string, args []byte, err error) {
	var b struct {
		Cmd  string         `json:"cmd"`
		Args jsontext.Value `json:"args"`
	}
	if err := strictjson.Unmarshal(body, &b); err != nil {
		e := fail(ErrMalformed, "command body: %v", err)
		e.Err = err
		return "", nil, e
	}
	if b.Cmd == "" {
		return "", nil, fail(ErrMalformed, "command body has no command name")
	}
	return b.Cmd, nullToNil(b.Args), nil
}

// Reply is a reply body as [ParseReply] read it.
type Reply struct {
	Re     string
	OK     bool
	Result []byte // nil when absent or null
	Error  string
}

// ParseReply reads a reply body: {"re": hex, "ok": bool, "result": any,
// "error": string, "pad": hex}; "re" and "ok" must be present, and not
// null. Every error is an [*Error].
func ParseReply(body []byte) (*Reply, error) {
	var b struct {
		Re     *string        `json:"re"`
		OK     *bool          `json:"ok"`
		Result jsontext.Value `json:"result"`
		Error  string         `json:"error"`
	}
	if err := strictjson.Unmarshal(body, &b); err != nil {
		e := fail(ErrMalformed, "reply body: %v", err)
		e.Err = err
		return nil, e
	}
	if b.OK == nil {
		return nil, fail(ErrMalformed, "reply body: ok is absent or null")
	}
	if b.Re == nil {
		return nil, fail(ErrMalformed, "reply body lacks re")
	}
	return &Reply{Re: *b.Re, OK: *b.OK, Result: nullToNil(b.Result), Error: b.Error}, nil
}

// nullToNil returns v, or nil for JSON null.
func nullToNil(v jsontext.Value) []byte {
	if v.Kind() == 'n' || len(v) == 0 {
		return nil
	}
	return v
}
