package format

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nemiot/nemiot/internal/strictjson"
)

// detRand returns a deterministic random source for seed.
func detRand(seed string) *rand.ChaCha8 {
	var s [32]byte
	copy(s[:], seed)
	return rand.NewChaCha8(s)
}

// TestBodyStrict: bodies are read so that any JSON parser reads them alike.
func TestBodyStrict(t *testing.T) {
	for _, tc := range []struct {
		body, name, args string // name "" means refused
	}{
		{`{"cmd":"light","args":{"on":true},"pad":"00"}`, "light", `{"on":true}`},
		{` {"pad":"00", "cmd" : "x"} `, "x", ""},
		{`{"cmd":"x","args":null}`, "x", ""},
		{`{"cmd":"x","args":[1,{"a":"b"}],"extra":7}`, "x", `[1,{"a":"b"}]`},
		{`{"cmd":"\u0078"}`, "x", ""},
		{`{"CMD":"x"}`, "", ""},
		{`{"Cmd":"x","cmd":"y"}`, "y", ""}, // "Cmd" is an unknown member, as in JavaScript
		{`{"cmd":"x","cmd":"y"}`, "", ""},
		{`{"cmd":"x","args":1,"args":2}`, "", ""},
		{`{"cmd":"x","args":{"on":true,"on":false}}`, "", ""}, // no name twice at any depth
		{`{"cmd":"x","extra":[{"a":1,"a":2}]}`, "", ""},
		{`{"cmd":"x","args":[{"a":1},{"a":2}]}`, "x", `[{"a":1},{"a":2}]`},
		{`{"cmd":""}`, "", ""},
		{`{"cmd":null}`, "", ""},
		{`{"cmd":7}`, "", ""},
		{`{"cmd":"x"} {}`, "", ""},
		{`{"cmd":"x"}x`, "", ""},
		{`{"cmd":"x"`, "", ""},
		{`["cmd","x"]`, "", ""},
		{`"cmd"`, "", ""},
		{`null`, "", ""},
		{``, "", ""},
		{`{"cmd":"x",}`, "", ""},
		{`{"\u0063md":"x"}`, "x", ""}, // the name is what the escapes say
		{`{"cmd":"a","\u0063md":"b"}`, "", ""},
		{`{"cmd":"a\"}\\","args":{"s":"}]\"{["},"z":[1,[2,{}]]}`, `a"}\`, `{"s":"}]\"{["}`},
		{"{\"cmd\":\"\xff\"}", "\ufffd", ""},
		{`{"cmd":"x","args":-1.5e3}`, "x", `-1.5e3`},
		{` {"cmd":"x","args":true} ` + "\n", "x", `true`},
		{`{"cmd":"x","args":[ 1 , "\u00e9" ]}`, "x", `[ 1 , "\u00e9" ]`}, // raw, as sent
		{`{}`, "", ""},
		{`{"cmd":"x","pad":5}`, "x", ""}, // the pad is ignored, whatever it is
	} {
		name, args, err := ParseCommand([]byte(tc.body))
		if tc.name == "" {
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: %q %s, %v; want ErrMalformed", tc.body, name, args, err)
			}
			continue
		}
		if err != nil || name != tc.name || string(args) != tc.args {
			t.Errorf("%s: %q %s, %v; want %q %s", tc.body, name, args, err, tc.name, tc.args)
		}
	}
	for _, tc := range []struct {
		body string
		ok   bool // accepted
	}{
		{`{"re":"00","ok":true,"result":{"a":1},"pad":"00"}`, true},
		{`{"re":"00","ok":false,"error":"no"}`, true},
		{`{"re":"00","ok":true,"error":null,"result":null}`, true},
		{`{"re":"00"}`, false},
		{`{"ok":true}`, false},
		{`{"re":null,"ok":true}`, false},
		{`{"re":"00","ok":null}`, false},
		{`{"re":"00","ok":"true"}`, false},
		{`{"re":0,"ok":true}`, false},
		{`{"re":"00","ok":true,"error":5}`, false},
		{`{"re":"00","ok":true,"OK":false}`, true}, // "OK" is an unknown member, not "ok"
		{`{"re":"00","ok":true,"ok":false}`, false},
		{`{"re":"00","ok":true,"result":{"a":1,"a":2}}`, false},
		{`{"RE":"00","ok":true}`, false},
	} {
		r, err := ParseReply([]byte(tc.body))
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrMalformed)) {
			t.Errorf("%s: %+v, %v", tc.body, r, err)
		}
		if err == nil && (r.Re != "00" || !r.OK && r.Error != "no" || r.Result != nil && string(r.Result) != `{"a":1}`) {
			t.Errorf("%s: read as %+v", tc.body, r)
		}
	}
}

// checkBody compares the strict body reader with encoding/json: what it
// accepts, encoding/json decodes to the same command or reply; what
// encoding/json rejects (or reads as no object), it rejects too; and what
// encoding/json reads as a command or reply with the right member types,
// it refuses only for a repeated name (encoding/json takes the last).
// Members are looked up in encoding/json's map, whose names are exact.
func checkBody(t *testing.T, body []byte) {
	t.Helper()
	var m map[string]json.RawMessage
	jerr := json.Unmarshal(body, &m)
	// member decodes the member name into v; present is false when it is
	// absent or null, ok false when it has the wrong type.
	member := func(name string, v any) (present, ok bool) {
		raw, found := m[name]
		if !found || string(raw) == "null" {
			return false, true
		}
		return true, json.Unmarshal(raw, v) == nil
	}

	name, args, err := ParseCommand(body)
	var jname string
	present, ok := member("cmd", &jname)
	jcmd := jerr == nil && m != nil && present && ok && jname != ""
	switch {
	case err == nil && !jcmd:
		t.Fatalf("%q: read as command %q, encoding/json: %v", body, name, jerr)
	case err == nil:
		wantArgs := []byte(m["args"])
		if string(wantArgs) == "null" {
			wantArgs = nil
		}
		if name != jname || !bytes.Equal(args, wantArgs) {
			t.Fatalf("%q: read as %q %q, encoding/json %q %q", body, name, args, jname, wantArgs)
		}
	case jcmd && !errors.Is(err, strictjson.ErrDuplicate):
		t.Fatalf("%q: refused (%v), encoding/json reads command %q", body, err, jname)
	}

	r, err := ParseReply(body)
	var re, text string
	var okv bool
	hasRe, reOK := member("re", &re)
	hasOK, okOK := member("ok", &okv)
	_, textOK := member("error", &text)
	jrep := jerr == nil && m != nil && hasRe && reOK && hasOK && okOK && textOK
	switch {
	case err == nil && !jrep:
		t.Fatalf("%q: read as reply %+v, encoding/json: %v", body, r, jerr)
	case err == nil:
		if r.Re != re || r.OK != okv || r.Error != text {
			t.Fatalf("%q: read as %+v, encoding/json %q %v %q", body, r, re, okv, text)
		}
	case jrep && !errors.Is(err, strictjson.ErrDuplicate):
		t.Fatalf("%q: refused (%v), encoding/json reads a reply", body, err)
	}
}

// FuzzParseBody checks both body readers against encoding/json on any
// input (checkBody).
func FuzzParseBody(f *testing.F) {
	for _, s := range []string{
		`{"cmd":"light","args":{"on":true},"pad":"00"}`, `{"cmd":"x","cmd":"y"}`, `{"CMD":"x"}`,
		`{"Cmd":"x","cmd":"y"}`, `{"cmd":"x","args":{"a":[{"b":1,"b":2}]}}`, `{"\u0063md":"x"}`,
		`{"re":"00","ok":true,"result":{"a":1},"pad":"00"}`, `{"re":"00","ok":false,"error":"no"}`,
		`{"re":"00","ok":true,"OK":false}`, `{"re":"00","ok":true,"error":null}`, "{\"cmd\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkBody(t, body) })
}

func TestASCII(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"a":"plain"}`, `{"a":"plain"}`},
		{`"é"`, `"\u00e9"`},
		{`"日本"`, `"\u65e5\u672c"`},
		{`"😀"`, `"\ud83d\ude00"`},
		{`["\u2028", "€x"]`, `["\u2028", "\u20acx"]`},
	} {
		got, err := ASCII([]byte(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("ASCII(%s) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
		var a, b any
		if json.Unmarshal([]byte(tc.in), &a) != nil || json.Unmarshal(got, &b) != nil || !reflect.DeepEqual(a, b) {
			t.Errorf("ASCII(%s) changed the value", tc.in)
		}
	}
	if _, err := ASCII([]byte("\"\xff\"")); err != ErrNotUTF8 {
		t.Errorf("invalid UTF-8: err = %v", err)
	}
}

// The bodies were written with encoding/json (json.Marshal of a body
// struct, then ASCII) before the JSON library wrote them: the reference
// functions below are that writer, and the library's bodies must be the
// same bytes, or fail alike.

// referenceReplyBody is the reply body struct json.Marshal wrote.
type referenceReplyBody struct {
	Re     string          `json:"re"`
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
	Pad    string          `json:"pad"`
}

// referenceCommandBody is the command body struct json.Marshal wrote.
type referenceCommandBody struct {
	Cmd  string          `json:"cmd"`
	Args json.RawMessage `json:"args,omitempty"`
	Pad  string          `json:"pad"`
}

// referenceMarshal is the old body writer.
func referenceMarshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return ASCII(b)
}

// oldBody and newBody build the reply body for one nonce, result and error
// the old way and the new way. The result is json.Marshal's in both: a
// reply's result is encoding/json's encoding of the device's value.
func oldBody(re *[NonceSize]byte, result any, err error) ([]byte, error) {
	rb := referenceReplyBody{Re: hex.EncodeToString(re[:]), OK: err == nil}
	if err != nil {
		rb.Error = err.Error()
	} else if result != nil {
		b, merr := json.Marshal(result)
		if merr != nil {
			return nil, merr
		}
		rb.Result = b
	}
	return referenceMarshal(rb)
}

func newBody(re *[NonceSize]byte, result any, err error) ([]byte, error) {
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
	return MarshalReply(re, err == nil, b, text)
}

// rawMarshaler returns its bytes from MarshalJSON, valid UTF-8 or not.
type rawMarshaler []byte

func (m rawMarshaler) MarshalJSON() ([]byte, error) { return m, nil }

// bodyStrings are texts that exercise every escaping rule.
func bodyStrings() []string {
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

// sameBody fails t unless the two writers gave the same bytes, or both
// failed; the new writer's failure on invalid UTF-8 is ErrNotUTF8 as the
// old one's.
func sameBody(t *testing.T, what string, got []byte, gerr error, want []byte, werr error) {
	t.Helper()
	if (werr == nil) != (gerr == nil) || errors.Is(werr, ErrNotUTF8) != errors.Is(gerr, ErrNotUTF8) {
		t.Fatalf("%s: err = %v, want %v", what, gerr, werr)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// TestReplyBodyMatchesReference: MarshalReply writes exactly the bytes
// json.Marshal of the body struct and ASCII wrote, and fails alike.
func TestReplyBodyMatchesReference(t *testing.T) {
	var re [NonceSize]byte
	copy(re[:], "0123456789abcdef")
	var results []any
	results = append(results, nil, true, false, 0, -1.5e300, 1e21, 3.0, "",
		map[string]any{"light": true, "level": 80, "é<>&": []any{nil, "\u2028"}},
		[]byte("bytes \xff"), (*int)(nil), []int(nil), struct{}{},
		json.RawMessage(` { "a" : [ 1 , "<é>" ] } `), json.RawMessage("null"),
		rawMarshaler(`{"k":"\u00e9 é \u2029 <"}`), rawMarshaler(`"bad \xff utf8"`),
		rawMarshaler("[1,\n2]"), rawMarshaler(`{"a":1,"a":2}`),
		map[string]string{strings.Repeat("k", 3000): strings.Repeat("v😀", 30000)})
	strs := bodyStrings()
	for _, s := range strs {
		results = append(results, s, map[string]string{s: s}, []string{s, s})
	}
	n := 0
	check := func(what string, result any, err error) {
		t.Helper()
		n++
		want, werr := oldBody(&re, result, err)
		got, gerr := newBody(&re, result, err)
		sameBody(t, what, got, gerr, want, werr)
	}
	for i, res := range results {
		check(fmt.Sprintf("result %d %.40q", i, fmt.Sprint(res)), res, nil)
	}
	for i, s := range strs {
		check(fmt.Sprintf("error %d %.40q", i, s), nil, errors.New(s))
		// A result beside an error is dropped, as before.
		check(fmt.Sprintf("error %d with result", i), "ignored", errors.New(s))
	}
	if n < 600 {
		t.Fatalf("only %d cases", n)
	}
}

// TestCommandBodyMatchesReference: MarshalCommand writes exactly the bytes
// the old writer wrote, and fails where it failed.
func TestCommandBodyMatchesReference(t *testing.T) {
	args := []string{"", "null", `{"on":true}`, ` { "a" : [ 1 , "<é>" ] } `, `"\u00e9 é \u2029 < \/"`,
		"[1,\n2]", `{"a":1,"a":2}`, "1e21", "-0.0", `{"a":`, "x", "\"\xff\"", "{}", "[]"}
	for _, s := range bodyStrings() {
		b, _ := json.Marshal(s)
		args = append(args, string(b))
	}
	for i, name := range bodyStrings() {
		for j, a := range args {
			if i%7 != j%7 && len(name) > 0 { // a sample of the pairs, all of each alone
				continue
			}
			want, werr := referenceMarshal(referenceCommandBody{Cmd: name, Args: json.RawMessage(a)})
			got, gerr := MarshalCommand(name, []byte(a))
			sameBody(t, fmt.Sprintf("command %.40q args %.40q", name, a), got, gerr, want, werr)
		}
	}
}

// FuzzReplyBody: for any result text and error text, MarshalReply agrees
// with the old json.Marshal + ASCII path; so does MarshalCommand for any
// name and args.
func FuzzReplyBody(f *testing.F) {
	for _, s := range bodyStrings()[:20] {
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
			want, werr := oldBody(&re, tc.result, tc.err)
			got, gerr := newBody(&re, tc.result, tc.err)
			sameBody(t, fmt.Sprintf("%#v, %v", tc.result, tc.err), got, gerr, want, werr)
			if gerr == nil && (!json.Valid(got) || bytes.ContainsFunc(got, func(r rune) bool { return r >= utf8.RuneSelf })) {
				t.Fatalf("body %q is not ASCII JSON", got)
			}
		}
		want, werr := referenceMarshal(referenceCommandBody{Cmd: errText, Args: json.RawMessage(raw)})
		got, gerr := MarshalCommand(errText, []byte(raw))
		sameBody(t, fmt.Sprintf("command %q %q", errText, raw), got, gerr, want, werr)
	})
}

// BenchmarkReplyBody compares the body alone, old path against new; read
// it with benchstat -col /impl.
func BenchmarkReplyBody(b *testing.B) {
	var re [NonceSize]byte
	for _, c := range []struct {
		name   string
		result any
		err    error
	}{
		{"result", map[string]any{"light": true, "level": 80}, nil},
		{"nonASCII", map[string]string{"msg": "température élevée <ok>"}, nil},
		{"error", nil, errors.New("jammed: motor stalled")},
	} {
		for _, impl := range []struct {
			name string
			f    func(*[NonceSize]byte, any, error) ([]byte, error)
		}{{"old", oldBody}, {"new", newBody}} {
			b.Run("case="+c.name+"/impl="+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := impl.f(&re, c.result, c.err); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkParseCommand reads a typical command body.
func BenchmarkParseCommand(b *testing.B) {
	body := []byte(`{"cmd":"light","args":{"on":true},"pad":"0123456789abcdef0123456789abcdef0123456789abcdef"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParseCommand(body); err != nil {
			b.Fatal(err)
		}
	}
}
