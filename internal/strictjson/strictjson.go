// Package strictjson reads JSON so that every JSON parser reads it alike:
// the one strict reader of command bodies (package command) and of a
// command's args (package device).
//
// Start with [Unmarshal], or [Members] for an object whose member names
// are not known ahead. Both are encoding/json/v2
// (github.com/go-json-experiment/json) with these rules, which the tests of
// this package check one by one:
//
//   - the input is exactly one JSON value, white space around it aside
//     ([ErrTrailing] otherwise);
//   - no object, at any depth, has a member name twice, names compared
//     after their escapes are decoded ([ErrDuplicate]): parsers disagree on
//     which of two wins, and a co-signed body must mean the same command to
//     the cosigners' software as to the device's;
//   - member names match struct fields exactly, case included: "CMD" is not
//     "cmd" (encoding/json would take it);
//   - members that no struct field names are ignored, so that a body format
//     can grow ("pad" was added so);
//   - invalid UTF-8 in a string reads as U+FFFD, byte by byte, as
//     encoding/json reads it;
//   - nesting deeper than 10,000 arrays and objects is malformed, as in
//     encoding/json.
//
// Raw values ([jsontext.Value] fields and map values) keep their bytes as
// they stand in the input.
package strictjson

import (
	"bytes"
	"errors"
	"io"
	"sync"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// The rules a strict read fails on; each [*Error] wraps one.
var (
	// ErrSyntax: the input is not JSON.
	ErrSyntax = errors.New("malformed JSON")
	// ErrDuplicate: an object has a member name twice.
	ErrDuplicate = errors.New("a member name repeats")
	// ErrTrailing: something other than white space follows the value.
	ErrTrailing = errors.New("data after the JSON value")
	// ErrType: a value has a JSON type that its Go destination cannot hold
	// (a number for a string field, an array for a struct).
	ErrType = errors.New("a value has the wrong JSON type")
)

// Error is a failed strict read. Its text names the rule only: it never
// quotes the input, which may be confidential (a command's plaintext).
type Error struct {
	// Err is ErrSyntax, ErrDuplicate, ErrTrailing or ErrType.
	Err error
	// Pointer locates the problem: for ErrDuplicate the object that
	// repeats a name, for ErrType the value of the wrong type; "" is the
	// top-level value.
	Pointer jsontext.Pointer
	// Name is the repeated member name, decoded (ErrDuplicate only).
	Name string
}

// Error returns the text of Err.
func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// options are the rules of the package documentation. The ones that are
// encoding/json/v2's defaults are set anyway, so that they stand written.
var options = json.JoinOptions(
	jsontext.AllowDuplicateNames(false),
	json.MatchCaseInsensitiveNames(false),
	json.RejectUnknownMembers(false),
	jsontext.AllowInvalidUTF8(true),
	// The depth limit is the library's fixed 10,000.
)

// reader is a decoder and the buffer it reads, kept for reuse: the decoder
// parses a *bytes.Buffer in place, without copying it.
type reader struct {
	buf bytes.Buffer
	dec jsontext.Decoder
}

var readers = sync.Pool{New: func() any { return new(reader) }}

// newReader returns a pooled decoder of data; release it when done.
func newReader(data []byte) *reader {
	r := readers.Get().(*reader)
	r.buf = *bytes.NewBuffer(data)
	r.dec.Reset(&r.buf, options)
	return r
}

// release returns r to the pool, letting go of its data.
func (r *reader) release() {
	r.buf = bytes.Buffer{}
	r.dec.Reset(&r.buf)
	readers.Put(r)
}

// end fails unless the decoder is at the end of the input.
func (r *reader) end() error {
	if _, err := r.dec.ReadToken(); err != io.EOF {
		return &Error{Err: ErrTrailing}
	}
	return nil
}

// Unmarshal decodes data into v (a pointer, as for json.Unmarshal) under
// the rules of the package documentation. Every error it returns is an
// [*Error]; v may then hold part of the input. Of two faults in the input,
// Unmarshal may name the later one: it reads a member name as a whole
// value before it finds that a name must be a string.
func Unmarshal(data []byte, v any) error {
	r := newReader(data)
	defer r.release()
	if err := json.UnmarshalDecode(&r.dec, v); err != nil {
		return classify(err)
	}
	return r.end()
}

// Members reads data, which must hold one JSON object, under the rules of
// the package documentation, and calls member with each member's name
// (decoded) and value (raw, valid only during the call), in input order.
// It stops at the first fault in the input, so that its error is that
// fault's, and at the first error member returns, which it returns as it
// is. Every other error is an [*Error]; a value that is not an object is
// ErrType.
func Members(data []byte, member func(name string, value jsontext.Value) error) error {
	r := newReader(data)
	defer r.release()
	d := &r.dec
	tok, err := d.ReadToken()
	if err != nil {
		return classify(err)
	}
	if tok.Kind() != '{' {
		return &Error{Err: ErrType}
	}
	for d.PeekKind() != '}' {
		tok, err := d.ReadToken() // not a string: an error
		if err != nil {
			return classify(err)
		}
		name := tok.String() // before the next read, which invalidates tok
		value, err := d.ReadValue()
		if err != nil {
			return classify(err)
		}
		if err := member(name, value); err != nil {
			return err
		}
	}
	if _, err := d.ReadToken(); err != nil {
		return classify(err)
	}
	return r.end()
}

// classify turns an error of encoding/json/v2 into an [*Error].
func classify(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*Error); ok {
		return err
	}
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		if se.Err == jsontext.ErrDuplicateName {
			return &Error{Err: ErrDuplicate, Pointer: se.JSONPointer.Parent(), Name: se.JSONPointer.LastToken()}
		}
		return &Error{Err: ErrSyntax}
	}
	var me *json.SemanticError
	if errors.As(err, &me) {
		return &Error{Err: ErrType, Pointer: me.JSONPointer}
	}
	// io.ErrUnexpectedEOF (no value at all), or an error of a value's own
	// UnmarshalJSON method.
	return &Error{Err: ErrSyntax}
}
