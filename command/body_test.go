package command

import (
	"errors"
	"testing"
)

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
		{`{"cmd":""}`, "", ""},
		{`{"cmd":null}`, "", ""},
		{`{"cmd":7}`, "", ""},
		{`{"cmd":"x"} {}`, "", ""},
		{`{"cmd":"x"}x`, "", ""},
		{`{"cmd":"x"`, "", ""},
		{`["cmd","x"]`, "", ""},
		{`"cmd"`, "", ""},
		{``, "", ""},
		{`{"cmd":"x",}`, "", ""},
		{`{"\u0063md":"x"}`, "x", ""}, // the name is what the escapes say
		{`{"cmd":"a","\u0063md":"b"}`, "", ""},
		{`{"cmd":"a\"}\\","args":{"s":"}]\"{["},"z":[1,[2,{}]]}`, `a"}\`, `{"s":"}]\"{["}`},
		{"{\"cmd\":\"\xff\"}", "\ufffd", ""},
		{`{"cmd":"x","args":-1.5e3}`, "x", `-1.5e3`},
		{` {"cmd":"x","args":true} ` + "\n", "x", `true`},
		{`{}`, "", ""},
	} {
		cmd, err := parseCommandBody([]byte(tc.body))
		if tc.name == "" {
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: %+v, %v; want ErrMalformed", tc.body, cmd, err)
			}
			continue
		}
		if err != nil || cmd.Name != tc.name || string(cmd.Args) != tc.args {
			t.Errorf("%s: %q %s, %v; want %q %s", tc.body, cmd.Name, cmd.Args, err, tc.name, tc.args)
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
		{`{"re":"00","ok":"true"}`, false},
		{`{"re":0,"ok":true}`, false},
		{`{"re":"00","ok":true,"error":5}`, false},
		{`{"re":"00","ok":true,"OK":false}`, true}, // "OK" is an unknown member, not "ok"
		{`{"re":"00","ok":true,"ok":false}`, false},
		{`{"RE":"00","ok":true}`, false},
	} {
		r, err := parseReplyBody([]byte(tc.body))
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrMalformed)) {
			t.Errorf("%s: %+v, %v", tc.body, r, err)
		}
		if err == nil && (r.Re != "00" || !r.OK && r.Error != "no") {
			t.Errorf("%s: read as %+v", tc.body, r)
		}
	}
}
