package command

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"io"
)

// Bodies are read strictly, so that every JSON parser reads them alike: a
// single object, member names matched exactly (encoding/json alone would
// take "CMD" for "cmd"), no name twice (parsers disagree on which of two
// wins, and a co-signed body must mean the same command to the cosigners'
// software as to the device's), members of the prescribed JSON types, and
// nothing after the object. Unknown members are ignored.

// bodyObject splits a JSON object into its members. It fails on anything
// but one object with distinct member names.
func bodyObject(body []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	members := make(map[string]json.RawMessage)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, errors.New("not a JSON object")
		}
		name, _ := tok.(string)
		if _, dup := members[name]; dup {
			return nil, errors.New("a member name repeats")
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, errors.New("not a JSON object")
		}
		members[name] = v
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, errors.New("not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the object")
	}
	return members, nil
}

// member decodes the member name of m into v if present and not null, and
// reports whether it did. A member of the wrong JSON type is an error.
func member(m map[string]json.RawMessage, name string, v any) (bool, error) {
	raw, ok := m[name]
	if !ok || string(raw) == "null" {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, errors.New(`member "` + name + `" has the wrong type`)
	}
	return true, nil
}

// parseCommandBody decodes a command body: {"cmd": string, "args": any,
// "pad": hex}. The name must be present and not empty; args null or absent
// is no args.
func parseCommandBody(body []byte) (Command, error) {
	m, err := bodyObject(body)
	if err != nil {
		return Command{}, refuse(ErrMalformed, "command body: %v", err)
	}
	var cmd Command
	if ok, err := member(m, "cmd", &cmd.Name); err != nil || !ok || cmd.Name == "" {
		return Command{}, refuse(ErrMalformed, "command body has no command name")
	}
	if args, ok := m["args"]; ok && string(args) != "null" {
		cmd.Args = args
	}
	return cmd, nil
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
	m, err := bodyObject(body)
	if err != nil {
		return nil, refuse(ErrMalformed, "reply body: %v", err)
	}
	var r replyFields
	hasRe, err1 := member(m, "re", &r.Re)
	hasOK, err2 := member(m, "ok", &r.OK)
	_, err3 := member(m, "error", &r.Error)
	if err := cmp.Or(err1, err2, err3); err != nil {
		return nil, refuse(ErrMalformed, "reply body: %v", err)
	}
	if !hasRe || !hasOK {
		return nil, refuse(ErrMalformed, "reply body lacks re or ok")
	}
	if res, ok := m["result"]; ok && string(res) != "null" {
		r.Result = res
	}
	return &r, nil
}
