package device

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	ok := []struct {
		in   string
		want map[string]string // field → raw value
	}{
		{"", map[string]string{}},
		{"  \n", map[string]string{}},
		{"null", map[string]string{}},
		{" null \t", map[string]string{}},
		{"{}", map[string]string{}},
		{` { "on" : true } `, map[string]string{"on": "true"}},
		{`{"a":1,"b":"x","c":[1, 2],"d":{"e":null}}`, map[string]string{"a": "1", "b": `"x"`, "c": "[1, 2]", "d": `{"e":null}`}},
		{`{"\u006fn":false}`, map[string]string{"on": "false"}}, // escapes decode to the same key
	}
	for _, tc := range ok {
		a, err := parseArgs(json.RawMessage(tc.in))
		if err != nil {
			t.Errorf("parseArgs(%q): %v", tc.in, err)
			continue
		}
		if len(a) != len(tc.want) {
			t.Errorf("parseArgs(%q) = %d fields, want %d", tc.in, len(a), len(tc.want))
		}
		for k, v := range tc.want {
			if string(a[k]) != v {
				t.Errorf("parseArgs(%q)[%q] = %q, want %q", tc.in, k, a[k], v)
			}
		}
	}
	bad := []struct{ in, why string }{
		{"true", "args must be a JSON object"},
		{"[]", "args must be a JSON object"},
		{`"on"`, "args must be a JSON object"},
		{"nul", "args must be a JSON object"},
		{"null null", "args must be a JSON object"},
		{"{", "malformed JSON"},
		{`{"on"}`, "malformed JSON"},
		{`{"on":}`, "malformed JSON"},
		{`{"on":tru}`, "malformed JSON"},
		{`{"on":true,}`, "malformed JSON"},
		{`{on:true}`, "malformed JSON"},
		{`{"on":true}}`, "data after the args object"},
		{`{"on":true} {}`, "data after the args object"},
		{`{"on":true}x`, "data after the args object"},
		{`{"on":true,"on":false}`, `duplicate field "on"`},
		{`{"\u006fn":true,"on":false}`, `duplicate field "on"`},
		{`{"a":{"b":1,"b":2}}`, `duplicate name "b" in field "a"`},
		{`{"a":[{"b":{"c":1,"c":2}}]}`, `duplicate name "c" in field "a"`},
		{`{{"a":0,"a"`, "malformed JSON"}, // the first fault decides
		{`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9}`, "more than 8 fields"},
	}
	for _, tc := range bad {
		_, err := parseArgs(json.RawMessage(tc.in))
		if !errors.Is(err, ErrBadArgs) {
			t.Errorf("parseArgs(%q) = %v, want ErrBadArgs", tc.in, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.why) {
			t.Errorf("parseArgs(%q) = %q, want it to say %q", tc.in, err, tc.why)
		}
	}
}

func TestArgsFields(t *testing.T) {
	a, err := parseArgs(json.RawMessage(`{"t":true,"f":false,"n":null,"s":"true","i":3,"neg":-2,"fr":1.0,"e":1e0}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := parseArgs(json.RawMessage(`{"big":99999999999999999999,"zero":-0}`))
	if err != nil {
		t.Fatal(err)
	}
	a["big"], a["zero"] = b["big"], b["zero"]
	for k, want := range map[string]bool{"t": true, "f": false} {
		if got, err := a.boolean(k); err != nil || got != want {
			t.Errorf("boolean(%q) = %v, %v; want %v", k, got, err, want)
		}
	}
	for _, k := range []string{"n", "s", "i", "missing"} {
		if _, err := a.boolean(k); !errors.Is(err, ErrBadArgs) {
			t.Errorf("boolean(%q) = %v, want ErrBadArgs", k, err)
		}
	}
	for k, want := range map[string]int64{"i": 3, "neg": -2, "zero": 0} {
		if got, err := a.integer(k, -5, 5); err != nil || got != want {
			t.Errorf("integer(%q) = %v, %v; want %v", k, got, err, want)
		}
	}
	for _, k := range []string{"fr", "e", "big", "s", "n", "t", "missing"} {
		if _, err := a.integer(k, -5, 5); !errors.Is(err, ErrBadArgs) {
			t.Errorf("integer(%q) = %v, want ErrBadArgs", k, err)
		}
	}
	if _, err := a.integer("i", 0, 2); !errors.Is(err, ErrBadArgs) {
		t.Errorf("integer above range = %v, want ErrBadArgs", err)
	}
	if _, err := a.integer("neg", 0, 2); !errors.Is(err, ErrBadArgs) {
		t.Errorf("integer below range = %v, want ErrBadArgs", err)
	}
	if err := a.only("t"); err == nil || !strings.Contains(err.Error(), "unknown field") {
		t.Errorf("only = %v, want unknown field", err)
	}
	if err := (args{"x": nil}).only(); err == nil || !strings.Contains(err.Error(), "takes no args") {
		t.Errorf("only() = %v, want takes no args", err)
	}
	if err := (args{"ON": nil}).only("on"); !errors.Is(err, ErrBadArgs) {
		t.Errorf(`only("on") accepted "ON": %v`, err)
	}
}

// BenchmarkParseArgs measures parsing a typical args object and reading a
// field from it.
func BenchmarkParseArgs(b *testing.B) {
	for _, c := range []struct{ name, raw, field string }{
		{"speed", `{"speed": 2}`, "speed"},
		{"two", `{"reg":250,"n":32}`, "n"},
	} {
		b.Run(c.name, func(b *testing.B) {
			raw := json.RawMessage(c.raw)
			b.ReportAllocs()
			for b.Loop() {
				a, err := parseArgs(raw)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := a.integer(c.field, 0, 255); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
