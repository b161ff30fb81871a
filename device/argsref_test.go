package device

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// parseArgsRef is a reference parser on encoding/json that parseArgs is
// checked against: the same input must give the same fields or the same
// error message. It walks the input token by token, as the strict reader
// does, so that of two faults the first in the input decides the message;
// it checks what encoding/json does not (no object repeats a name, at most
// 10,000 levels of nesting in all) itself.
func parseArgsRef(raw json.RawMessage) (args, error) {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return args{}, nil
	}
	if raw[0] != '{' {
		if bytes.Equal(bytes.TrimRight(raw, " \t\r\n"), []byte("null")) {
			return args{}, nil
		}
		return nil, badArgs("args must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, badArgs("malformed JSON")
	}
	a := args{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, badArgs("malformed JSON")
		}
		k, ok := t.(string)
		if !ok {
			return nil, badArgs("malformed JSON")
		}
		if _, dup := a[k]; dup {
			return nil, badArgs("duplicate field %s", quote(k, 32))
		}
		start := dec.InputOffset()
		if err := refValue(dec, k, 2); err != nil {
			return nil, err
		}
		if len(a) == maxFields { // counted once the value is read
			return nil, badArgs("more than %d fields", maxFields)
		}
		a[k] = jsontext.Value(bytes.TrimLeft(raw[start:dec.InputOffset()], " \t\r\n:"))
	}
	if _, err := dec.Token(); err != nil {
		return nil, badArgs("malformed JSON")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, badArgs("data after the args object")
	}
	return a, nil
}

// refValue reads one value of the top-level field with dec.Token, the
// value at nesting level depth (the args object is level 1).
func refValue(dec *json.Decoder, field string, depth int) error {
	t, err := dec.Token()
	if err != nil {
		return badArgs("malformed JSON")
	}
	d, ok := t.(json.Delim)
	if !ok {
		return nil
	}
	if depth > 10_000 {
		return badArgs("malformed JSON")
	}
	names := map[string]bool{}
	for dec.More() {
		if d == '{' {
			t, err := dec.Token()
			k, ok := t.(string)
			if err != nil || !ok {
				return badArgs("malformed JSON")
			}
			if names[k] {
				return badArgs("duplicate name %s in field %s", quote(k, 32), quote(field, 32))
			}
			names[k] = true
		}
		if err := refValue(dec, field, depth+1); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return badArgs("malformed JSON")
	}
	return nil
}

// sameAsRef fails t unless parseArgs and parseArgsRef agree on raw.
func sameAsRef(t *testing.T, raw []byte) {
	t.Helper()
	got, gerr := parseArgs(raw)
	want, werr := parseArgsRef(raw)
	if (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
		t.Fatalf("parseArgs(%q) error %v, reference %v", raw, gerr, werr)
	}
	if gerr != nil && !errors.Is(gerr, ErrBadArgs) {
		t.Fatalf("parseArgs(%q) = %v, not ErrBadArgs", raw, gerr)
	}
	if !maps.EqualFunc(got, want, func(a, b jsontext.Value) bool { return bytes.Equal(a, b) }) {
		t.Fatalf("parseArgs(%q) = %q, reference %q", raw, got, want)
	}
}

// argsCases are inputs on the edges of the strictness rules.
var argsCases = []string{
	"", " ", "null", " null\n", "nullx", "null null", "Null", "{}", " {} ", "{ }", "{\t\r\n}",
	`{"on":true}`, `{"on":TRUE}`, `{"On":true}`, `{"on":true,"on":true}`, `{"on":1,"on":`,
	`{"on":true,}`, `{,}`, `{,"on":true}`, `{"on" true}`, `{"on":true "x":1}`, `{"on"::true}`,
	`{"a":1}}`, `{"a":1}]`, `{"a":1},`, `{"a":1} `, `{"a":1} x`, `{"a":1}{}`, `{"a":1}null`,
	`{"a":[1,2,{"b":[]}],"c":{"d":"e"}}`, `{"a":[1,]}`, `{"a":[,1]}`, `{"a":{"b"}}`, `{"a":{"b":1,}}`,
	`{"a":{1:2}}`, `{"a":[}`, `{"a":{]}`, `{"a":"}`, `{"a":"\"}`, `{"a":"\\"}`, `{"a":"\q"}`,
	`{"a":"\u12"}`, `{"a":"\u12G4"}`, `{"a":"\uD800"}`, "{\"a\":\"\x1f\"}", "{\"a\":\"\x7f\"}",
	`{"a":0}`, `{"a":-0}`, `{"a":00}`, `{"a":01}`, `{"a":-}`, `{"a":-a}`, `{"a":1.}`, `{"a":1.5}`,
	`{"a":.5}`, `{"a":1e}`, `{"a":1e+}`, `{"a":1E-7}`, `{"a":1e07}`, `{"a":+1}`, `{"a":0x1}`,
	`{"a":1`, `{"a":1.5`, `{"a":"x"`, `{"a"`, `{"a":`, `{"a`, `{"`, `{`, `{"a":nul}`, `{"a":nulll}`,
	`{"a":true1}`, `{"a":t}`, `{"a":fals}`, `{"a":null}`, `{"a":"\u00e9\ud83d\ude00\/\b\f\n\r\t"}`,
	`{"\u006fn":true,"on":false}`, `{"\ud800":1,"\udfff":2}`, `{"\ud83d\ude00":1}`, `{"\uDBFF\uDFFF":1}`,
	"{\"\xff\":1,\"\xfe\":2}", "{\"\xff\":1}", "{\"é\":1,\"\\u00e9\":2}", "{\"a\xc3\":1}", "{\"a\":\"\xff\"}",
	"{\"\x00\":1}", `{"\/":1,"/":2}`, `{"":1}`, `{"":1,"":2}`, `{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8}`,
	`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9}`, `{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":`,
	`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"a":9}`, `{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,}`,
	"\ufeff{}", "{\"a\":1}\x00", "{\"a\":\v1}", "{\"a\":\u00a01}", "[]", "true", `"x"`, "1", "}",
	`{"a":"` + strings.Repeat("\\u0041", 40) + `"}`, `{"` + strings.Repeat("k", 40) + `":1,"` + strings.Repeat("k", 40) + `":2}`,
	`{"a":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`,
	`{"a":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`,
	`{"a":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`,
	`{"a":` + strings.Repeat(`{"b":`, 10000) + "1" + strings.Repeat("}", 10000) + `}`,
	`{"a":` + strings.Repeat(`{"b":`, 10001) + "1" + strings.Repeat("}", 10001) + `}`,
	`{"a":` + strings.Repeat("[", 10001) + `}`,
	`{"a":{"b":1,"b":2}}`, `{"a":[{"b":1},{"b":2}]}`, `{"a":[{"b":1,"b":2}]}`, `{"a":{"b":{"c":1,"\u0063":2}}}`,
	`{"a":{"b":1,"b":2},"a":3}`, `{"a":{"b":1,"b":2,}}`, `{"a":{"b":1,}, "a":2}`, `{"a":1,"a"`, `{"a":1,"a" x`,
	`{"a":{"b":1},"b":{"b":2}}`, `{"a":{"` + strings.Repeat("k", 40) + `":1,"` + strings.Repeat("k", 40) + `":2}}`,
	`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9} x`, `{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":{"j":1,"j":2}}`,
	`{"a":` + strings.Repeat("[", 9998) + `{"b":1,"b":2}` + strings.Repeat("]", 9998) + `}`,
	`{"a":` + strings.Repeat("[", 9999) + `{"b":1,"b":2}` + strings.Repeat("]", 9999) + `}`,
}

func TestParseArgsMatchesReference(t *testing.T) {
	for _, c := range argsCases {
		sameAsRef(t, []byte(c))
	}
}

// FuzzParseArgs checks parseArgs against the reference parser on any input.
func FuzzParseArgs(f *testing.F) {
	for _, c := range argsCases {
		if len(c) < 200 {
			f.Add([]byte(c))
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) { sameAsRef(t, raw) })
}
