package strictjson_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/go-cmp/cmp"

	"github.com/nemiot/nemiot/internal/strictjson"
)

type body struct {
	Cmd  string         `json:"cmd"`
	Args jsontext.Value `json:"args"`
}

// TestRules checks each rule of the package documentation.
func TestRules(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want body
		err  error // nil: accepted as want
	}{
		{`{"cmd":"x","args":{"on":true}}`, body{Cmd: "x", Args: jsontext.Value(`{"on":true}`)}, nil},
		{" \t\r\n{\"cmd\":\"x\"}\n ", body{Cmd: "x"}, nil},
		// Exactly one value.
		{`{"cmd":"x"} {}`, body{}, strictjson.ErrTrailing},
		{`{"cmd":"x"}x`, body{}, strictjson.ErrTrailing},
		{`{"cmd":"x"}}`, body{}, strictjson.ErrTrailing},
		{"{\"cmd\":\"x\"}\x00", body{}, strictjson.ErrTrailing},
		{``, body{}, strictjson.ErrSyntax},
		{`{"cmd":"x"`, body{}, strictjson.ErrSyntax},
		{`{"cmd":"x",}`, body{}, strictjson.ErrSyntax},
		{"\ufeff{}", body{}, strictjson.ErrSyntax},
		// No name twice, at any depth, after escapes.
		{`{"cmd":"x","cmd":"y"}`, body{}, strictjson.ErrDuplicate},
		{`{"cmd":"x","\u0063md":"y"}`, body{}, strictjson.ErrDuplicate},
		{`{"cmd":"x","args":{"a":1,"a":2}}`, body{}, strictjson.ErrDuplicate},
		{`{"cmd":"x","args":[{"a":1},{"a":2}]}`, body{Cmd: "x", Args: jsontext.Value(`[{"a":1},{"a":2}]`)}, nil},
		{`{"cmd":"x","other":{"b":[{"c":1,"c":2}]}}`, body{}, strictjson.ErrDuplicate},
		// Names match exactly; unknown members are ignored.
		{`{"CMD":"x"}`, body{}, nil},
		{`{"Cmd":"x","cmd":"y"}`, body{Cmd: "y"}, nil},
		{`{"\u0063md":"x","pad":"00"}`, body{Cmd: "x"}, nil},
		// Types.
		{`{"cmd":7}`, body{}, strictjson.ErrType},
		{`["cmd","x"]`, body{}, strictjson.ErrType},
		{`"cmd"`, body{}, strictjson.ErrType},
		{`{"cmd":null,"args":null}`, body{Args: jsontext.Value("null")}, nil},
		// Invalid UTF-8 reads as U+FFFD, byte by byte; raw values keep it.
		{"{\"cmd\":\"a\xff\xfeb\"}", body{Cmd: "a\ufffd\ufffdb"}, nil},
		{"{\"cmd\":\"x\",\"args\":\"\xff\"}", body{Cmd: "x", Args: jsontext.Value("\"\xff\"")}, nil},
		{"{\"\xff\":1,\"\xfe\":2}", body{}, strictjson.ErrDuplicate},
		{`{"\ud800":1,"\udfff":2}`, body{}, strictjson.ErrDuplicate},
		// Raw values keep their bytes.
		{`{"cmd":"x","args":[ 1 , "\u00e9\/" ]}`, body{Cmd: "x", Args: jsontext.Value(`[ 1 , "\u00e9\/" ]`)}, nil},
		// Depth: 10,000 levels in all.
		{`{"args":` + strings.Repeat("[", 9_999) + strings.Repeat("]", 9_999) + `}`, body{Args: jsontext.Value(strings.Repeat("[", 9_999) + strings.Repeat("]", 9_999))}, nil},
		{`{"args":` + strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000) + `}`, body{}, strictjson.ErrSyntax},
	} {
		var got body
		err := strictjson.Unmarshal([]byte(tc.in), &got)
		if tc.err != nil {
			var se *strictjson.Error
			if !errors.Is(err, tc.err) || !errors.As(err, &se) {
				t.Errorf("%.60q: %v, want %v", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%.60q: %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%.60q: (-want +got)\n%s", tc.in, diff)
		}
	}
}

// TestErrorDetail: a repeated name says where; no error quotes the input.
func TestErrorDetail(t *testing.T) {
	var m map[string]jsontext.Value
	err := strictjson.Unmarshal([]byte(`{"a":{"x":[{"secret":1,"secret":2}]}}`), &m)
	var se *strictjson.Error
	if !errors.As(err, &se) || se.Err != strictjson.ErrDuplicate || se.Name != "secret" || se.Pointer != "/a/x/0" {
		t.Fatalf("%#v", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error text %q quotes the input", err)
	}
	err = strictjson.Unmarshal([]byte(`{"on":true,"on":false}`), &m)
	if !errors.As(err, &se) || se.Name != "on" || se.Pointer != "" {
		t.Fatalf("%#v", err)
	}
	var b body
	err = strictjson.Unmarshal([]byte(`{"cmd":{"secret":1}}`), &b)
	if !errors.As(err, &se) || se.Err != strictjson.ErrType || se.Pointer != "/cmd" || strings.Contains(err.Error(), "secret") {
		t.Fatalf("%#v", err)
	}
}

// TestNoAliasing: a raw value is a copy; the input may be reused.
func TestNoAliasing(t *testing.T) {
	in := []byte(`{"args":[1]}`)
	var b body
	if err := strictjson.Unmarshal(in, &b); err != nil {
		t.Fatal(err)
	}
	copy(in, "xxxxxxxxxxxx")
	if string(b.Args) != "[1]" {
		t.Fatalf("args changed with the input: %q", b.Args)
	}
}

func ExampleUnmarshal() {
	var b struct {
		Cmd string `json:"cmd"`
	}
	for _, in := range []string{
		`{"cmd":"light","pad":"00"}`,
		`{"CMD":"light"}`,
		`{"cmd":"light","cmd":"door"}`,
		`{"cmd":"light"} {}`,
	} {
		b.Cmd = ""
		err := strictjson.Unmarshal([]byte(in), &b)
		fmt.Printf("%-30s %q %v\n", in, b.Cmd, err)
	}
	// Output:
	// {"cmd":"light","pad":"00"}     "light" <nil>
	// {"CMD":"light"}                "" <nil>
	// {"cmd":"light","cmd":"door"}   "light" a member name repeats
	// {"cmd":"light"} {}             "light" data after the JSON value
}

func BenchmarkUnmarshal(b *testing.B) {
	in := []byte(`{"cmd":"light","args":{"on":true},"pad":"0123456789abcdef0123456789abcdef"}`)
	b.ReportAllocs()
	for b.Loop() {
		var v body
		if err := strictjson.Unmarshal(in, &v); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMembers: the members in input order, values raw; the first fault in
// the input decides the error.
func TestMembers(t *testing.T) {
	type member struct{ Name, Value string }
	read := func(in string) ([]member, error) {
		var out []member
		err := strictjson.Members([]byte(in), func(name string, value jsontext.Value) error {
			out = append(out, member{name, string(value)})
			return nil
		})
		return out, err
	}
	got, err := read(` {"b" : [1, {"c":2}], "\u0061":"\u00e9", "":null} `)
	want := []member{{"b", `[1, {"c":2}]`}, {"a", `"\u00e9"`}, {"", "null"}}
	if err != nil || !cmp.Equal(got, want) {
		t.Fatalf("got %v, %v; want %v", got, err, want)
	}
	for _, tc := range []struct {
		in  string
		err error
	}{
		{`{}`, nil},
		{`[]`, strictjson.ErrType},
		{`"x"`, strictjson.ErrType},
		{``, strictjson.ErrSyntax},
		{`{`, strictjson.ErrSyntax},
		{`{"a":1,"a":2}`, strictjson.ErrDuplicate},
		{`{"a":{"b":1,"b":2}}`, strictjson.ErrDuplicate},
		{`{"a":1} x`, strictjson.ErrTrailing},
		{`{"a":1}{}`, strictjson.ErrTrailing},
		// The name must be a string; Unmarshal would read the object in
		// its place and report the repeated name inside first.
		{`{{"a":0,"a"`, strictjson.ErrSyntax},
		{`{1:2}`, strictjson.ErrSyntax},
		{`{"a":1,"a"`, strictjson.ErrDuplicate},
		{`{"a":{"b":1,"b":2,}}`, strictjson.ErrDuplicate},
		{`{"a":{"b":1,}, "a":2}`, strictjson.ErrSyntax},
	} {
		_, err := read(tc.in)
		if tc.err == nil && err != nil || tc.err != nil && !errors.Is(err, tc.err) {
			t.Errorf("%q: %v, want %v", tc.in, err, tc.err)
		}
	}
	stop := errors.New("stop")
	n := 0
	err = strictjson.Members([]byte(`{"a":1,"b":2,"c":3}`), func(string, jsontext.Value) error {
		if n++; n == 2 {
			return stop
		}
		return nil
	})
	if err != stop || n != 2 {
		t.Errorf("callback's error: %v after %d members", err, n)
	}
}
