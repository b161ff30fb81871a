package device

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
)

// maxFields bounds the number of fields in an args object. No built-in
// action takes more than two.
const maxFields = 8

// args is a command's arguments, parsed strictly: a JSON object (or nothing,
// or null, meaning no arguments) with distinct keys, nothing after it. Keys
// match exactly (encoding/json would match "ON" to "on"; this does not).
type args map[string]json.RawMessage

// parseArgs parses raw. It never panics and every error wraps ErrBadArgs.
func parseArgs(raw json.RawMessage) (args, error) {
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
	if _, err := dec.Token(); err != nil { // the '{'
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
		if len(a) == maxFields {
			return nil, badArgs("more than %d fields", maxFields)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, badArgs("malformed JSON")
		}
		a[k] = v
	}
	if _, err := dec.Token(); err != nil { // the '}'
		return nil, badArgs("malformed JSON")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, badArgs("data after the args object")
	}
	return a, nil
}

// only rejects any field not named in allowed.
func (a args) only(allowed ...string) error {
	for k := range a {
		known := false
		for _, n := range allowed {
			if k == n {
				known = true
				break
			}
		}
		if !known {
			if len(allowed) == 0 {
				return badArgs("takes no args, got field %s", quote(k, 32))
			}
			return badArgs("unknown field %s", quote(k, 32))
		}
	}
	return nil
}

// boolean returns field k, which must be present and be true or false.
func (a args) boolean(k string) (bool, error) {
	v, ok := a[k]
	if !ok {
		return false, badArgs("missing field %q", k)
	}
	switch string(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, badArgs("field %q must be true or false", k)
}

// integer returns field k, which must be present and be an integer JSON
// number (no fraction, no exponent) in [lo, hi].
func (a args) integer(k string, lo, hi int64) (int64, error) {
	v, ok := a[k]
	if !ok {
		return 0, badArgs("missing field %q", k)
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, badArgs("field %q must be an integer from %d to %d", k, lo, hi)
	}
	return n, nil
}

// has reports whether field k is present.
func (a args) has(k string) bool {
	_, ok := a[k]
	return ok
}
