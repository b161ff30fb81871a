package device

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// maxFields bounds the number of fields in an args object. No built-in
// action takes more than two.
const maxFields = 8

// args is a command's arguments, parsed strictly: a JSON object (or nothing,
// or null, meaning no arguments) with distinct keys, nothing after it. Keys
// match exactly (encoding/json would match "ON" to "on"; this does not).
type args map[string]json.RawMessage

// maxDepth is the deepest nesting of arrays and objects a field's value may
// have, as in encoding/json (which parsed args before).
const maxDepth = 10000

// parseArgs parses raw. It never panics and every error wraps ErrBadArgs.
// names are the fields the caller expects: a key equal to one of them is
// stored as that string, saving an allocation; they change nothing else.
//
// The parser is hand-written for speed (it runs for every command), and
// strict exactly as the json.Decoder it replaces: the same input gives the
// same fields or the same error (argsref_test.go checks it). Values are
// checked for JSON syntax and kept raw; keys decode as encoding/json decodes
// strings, invalid UTF-8 becoming U+FFFD.
func parseArgs(raw json.RawMessage, names ...string) (args, error) {
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
	a := make(args, len(names))
	s := scanner{b: raw, i: 1}
	s.space()
	if s.peek() == '}' {
		s.i++
	} else {
		for {
			k, ok := s.key(names)
			if !ok {
				return nil, errMalformed()
			}
			if _, dup := a[k]; dup {
				return nil, badArgs("duplicate field %s", quote(k, 32))
			}
			if len(a) == maxFields {
				return nil, badArgs("more than %d fields", maxFields)
			}
			s.space()
			if s.next() != ':' {
				return nil, errMalformed()
			}
			s.space()
			start := s.i
			if !s.value(0) {
				return nil, errMalformed()
			}
			a[k] = json.RawMessage(raw[start:s.i:s.i])
			s.space()
			c := s.next()
			if c == '}' {
				break
			}
			if c != ',' {
				return nil, errMalformed()
			}
			s.space()
		}
	}
	s.space()
	if s.i < len(s.b) {
		return nil, badArgs("data after the args object")
	}
	return a, nil
}

func errMalformed() error { return badArgs("malformed JSON") }

// scanner reads JSON from b[i:]. Its methods return false on a syntax error
// (or a value nested deeper than maxDepth); they never read past b.
type scanner struct {
	b []byte
	i int
}

// peek returns the next byte, or 0 at the end.
func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// next consumes and returns the next byte, or 0 at the end.
func (s *scanner) next() byte {
	c := s.peek()
	s.i++
	return c
}

// space skips JSON white space.
func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// key reads a string and decodes it. A key equal to one of names is
// returned as that string.
func (s *scanner) key(names []string) (string, bool) {
	start := s.i
	plain, ok := s.str()
	if !ok {
		return "", false
	}
	lit := s.b[start+1 : s.i-1]
	if !plain || !utf8.Valid(lit) {
		// Escapes or invalid UTF-8: decode as encoding/json does.
		var k string
		if err := json.Unmarshal(s.b[start:s.i], &k); err != nil {
			return "", false
		}
		return k, true
	}
	for _, n := range names {
		if string(lit) == n {
			return n, true
		}
	}
	return string(lit), true
}

// str reads a string; plain reports that it has no escapes.
func (s *scanner) str() (plain, ok bool) {
	if s.next() != '"' {
		return false, false
	}
	plain = true
	for s.i < len(s.b) {
		c := s.b[s.i]
		s.i++
		switch {
		case c == '"':
			return plain, true
		case c < 0x20:
			return false, false
		case c == '\\':
			plain = false
			switch s.next() {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				for range 4 {
					if !isHex(s.next()) {
						return false, false
					}
				}
			default:
				return false, false
			}
		}
	}
	return false, false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// value reads one value nested depth levels deep.
func (s *scanner) value(depth int) bool {
	switch c := s.peek(); c {
	case '{', '[':
		if depth == maxDepth {
			return false
		}
		s.i++
		end := byte(']')
		if c == '{' {
			end = '}'
		}
		s.space()
		if s.peek() == end {
			s.i++
			return true
		}
		for {
			if c == '{' {
				if _, ok := s.str(); !ok {
					return false
				}
				s.space()
				if s.next() != ':' {
					return false
				}
				s.space()
			}
			if !s.value(depth + 1) {
				return false
			}
			s.space()
			switch s.next() {
			case ',':
				s.space()
			case end:
				return true
			default:
				return false
			}
		}
	case '"':
		_, ok := s.str()
		return ok
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	}
	return s.number()
}

func (s *scanner) literal(lit string) bool {
	if !bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
		return false
	}
	s.i += len(lit)
	return true
}

// number reads -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?.
func (s *scanner) number() bool {
	if s.peek() == '-' {
		s.i++
	}
	switch c := s.next(); {
	case c == '0':
	case '1' <= c && c <= '9':
		s.digits()
	default:
		return false
	}
	if s.peek() == '.' {
		s.i++
		if !s.digits() {
			return false
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

// digits reads [0-9]* and reports whether there was at least one.
func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && isDigit(s.b[s.i]) {
		s.i++
	}
	return s.i > start
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
