package command

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// Bodies are read strictly, so that every JSON parser reads them alike: a
// single object, member names matched exactly (encoding/json alone would
// take "CMD" for "cmd"), no name twice (parsers disagree on which of two
// wins, and a co-signed body must mean the same command to the cosigners'
// software as to the device's), members of the prescribed JSON types, and
// nothing after the object. Unknown members are ignored.
//
// The reader is hand-made for speed (it runs on every Open): json.Valid
// checks the syntax, then a scanner that may trust it splits the top-level
// object into its members.

var (
	errNotObject  = errors.New("not a JSON object")
	errRepeated   = errors.New("a member name repeats")
	errMemberType = errors.New("a member has the wrong JSON type")
)

type jsonMember struct {
	name  []byte // decoded; aliases the body when it has no escapes
	value []byte // the raw JSON value
}

// bodyMembers splits a JSON object into its members, in order. It fails on
// anything but one valid JSON object with distinct member names.
func bodyMembers(body []byte) ([]jsonMember, error) {
	if !json.Valid(body) {
		return nil, errNotObject
	}
	i := skipSpace(body, 0)
	if body[i] != '{' {
		return nil, errNotObject
	}
	out := make([]jsonMember, 0, 4)
	i = skipSpace(body, i+1)
	if body[i] == '}' {
		return out, nil // json.Valid: only white space follows
	}
	for {
		end := stringEnd(body, i) // body[i] is the name's opening quote
		out = append(out, jsonMember{name: jsonText(body[i:end])})
		i = skipSpace(body, skipSpace(body, end)+1) // past ':'
		end = valueEnd(body, i)
		out[len(out)-1].value = body[i:end]
		i = skipSpace(body, end)
		if body[i] == '}' {
			break
		}
		i = skipSpace(body, i+1) // past ','
	}
	if repeats(out) {
		return nil, errRepeated
	}
	return out, nil
}

func repeats(ms []jsonMember) bool {
	if len(ms) <= 16 {
		for i := range ms {
			for j := range i {
				if bytes.Equal(ms[i].name, ms[j].name) {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[string]struct{}, len(ms))
	for _, m := range ms {
		if _, dup := seen[string(m.name)]; dup {
			return true
		}
		seen[string(m.name)] = struct{}{}
	}
	return false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the string that opens at b[i].
func stringEnd(b []byte, i int) int {
	for j := i + 1; ; j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
}

// valueEnd returns the index after the JSON value that starts at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; ; j++ {
			switch b[j] {
			case '"':
				j = stringEnd(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
	default: // number, true, false, null
		j := i
		for j < len(b) {
			switch b[j] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				return j
			}
			j++
		}
		return j
	}
}

// jsonText decodes a valid JSON string literal, as encoding/json does
// (invalid UTF-8 becomes U+FFFD); without escapes it aliases lit.
func jsonText(lit []byte) []byte {
	inner := lit[1 : len(lit)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return inner
	}
	var s string
	json.Unmarshal(lit, &s) // valid: cannot fail
	return []byte(s)
}

// find returns the value of the member name, or nil.
func find(ms []jsonMember, name string) []byte {
	for _, m := range ms {
		if string(m.name) == name {
			return m.value
		}
	}
	return nil
}

// stringMember returns the string member name; present is false when it is
// absent or null.
func stringMember(ms []jsonMember, name string) (s string, present bool, err error) {
	v := find(ms, name)
	switch {
	case v == nil || string(v) == "null":
		return "", false, nil
	case v[0] != '"':
		return "", false, errMemberType
	}
	return string(jsonText(v)), true, nil
}

// rawMember returns a copy of the member name's JSON value, nil when it is
// absent or null.
func rawMember(ms []jsonMember, name string) json.RawMessage {
	v := find(ms, name)
	if v == nil || string(v) == "null" {
		return nil
	}
	return bytes.Clone(v)
}

// parseCommandBody decodes a command body: {"cmd": string, "args": any,
// "pad": hex}. The name must be present and not empty; args null or absent
// is no args.
func parseCommandBody(body []byte) (Command, error) {
	ms, err := bodyMembers(body)
	if err != nil {
		return Command{}, refuse(ErrMalformed, "command body: %v", err)
	}
	name, _, err := stringMember(ms, "cmd")
	if err != nil || name == "" {
		return Command{}, refuse(ErrMalformed, "command body has no command name")
	}
	return Command{Name: name, Args: rawMember(ms, "args")}, nil
}

// replyFields is a decoded reply body.
type replyFields struct {
	Re     string
	OK     bool
	Result json.RawMessage
	Error  string
}

// parseReplyBody decodes a reply body: {"re": hex, "ok": bool, "result":
// any, "error": string, "pad": hex}; "re" and "ok" must be present.
func parseReplyBody(body []byte) (*replyFields, error) {
	ms, err := bodyMembers(body)
	if err != nil {
		return nil, refuse(ErrMalformed, "reply body: %v", err)
	}
	var r replyFields
	re, hasRe, err1 := stringMember(ms, "re")
	msg, _, err2 := stringMember(ms, "error")
	if err1 != nil || err2 != nil {
		return nil, refuse(ErrMalformed, "reply body: %v", errMemberType)
	}
	switch string(find(ms, "ok")) {
	case "true":
		r.OK = true
	case "false":
	default:
		return nil, refuse(ErrMalformed, "reply body: ok is absent or not a boolean")
	}
	if !hasRe {
		return nil, refuse(ErrMalformed, "reply body lacks re")
	}
	r.Re, r.Error, r.Result = re, msg, rawMember(ms, "result")
	return &r, nil
}
