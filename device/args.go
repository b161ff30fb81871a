package device

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/nemiot/nemiot/internal/strictjson"
)

// maxFields bounds the number of fields in an args object. No built-in
// action takes more than two.
const maxFields = 8

// args is a command's arguments: a JSON object (or nothing, or null,
// meaning no arguments), read by the project's one strict JSON reader
// (internal/strictjson): no name twice in any object, names matched
// exactly (encoding/json would match "ON" to "on"), nothing after the
// object. Values stay raw, as they stand in the input.
type args map[string]jsontext.Value

// parseArgs parses raw. It never panics and every error wraps ErrBadArgs.
// argsref_test.go checks it against a reference on encoding/json: the same
// input gives the same fields or the same error message.
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
	a := make(args, 2)
	err := strictjson.Members(raw, func(name string, value jsontext.Value) error {
		if len(a) == maxFields {
			return badArgs("more than %d fields", maxFields)
		}
		a[name] = bytes.Clone(value)
		return nil
	})
	var se *strictjson.Error
	switch {
	case err == nil:
		return a, nil
	case !errors.As(err, &se):
		return nil, err // the callback's
	case se.Err == strictjson.ErrTrailing:
		return nil, badArgs("data after the args object")
	case se.Err != strictjson.ErrDuplicate:
		return nil, errMalformed()
	case se.Pointer == "":
		return nil, badArgs("duplicate field %s", quote(se.Name, 32))
	}
	var field string // the top-level field the object is in
	for field = range se.Pointer.Tokens() {
		break
	}
	return nil, badArgs("duplicate name %s in field %s", quote(se.Name, 32), quote(field, 32))
}

func errMalformed() error { return badArgs("malformed JSON") }

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
