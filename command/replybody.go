package command

import (
	"encoding/hex"
	"fmt"
	"unicode/utf8"
)

// appendReplyBody appends the JSON body of a reply envelope to dst:
//
//	{"re":hex,"ok":bool,"result":…,"error":"…","pad":hex}
//
// with "result" left out when result is empty and "error" when errText is.
// result must be the output of json.Marshal (compact, with <, >, &, U+2028
// and U+2029 escaped); its other non-ASCII characters are written as \uXXXX
// escapes, and invalid UTF-8 in it is an [ErrInvalidCommand]. errText is
// written as encoding/json writes a string, then made ASCII the same way
// (invalid UTF-8 becomes \ufffd). The bytes are those json.Marshal of the
// body struct followed by [asciiJSON] would give, without either pass.
func appendReplyBody(dst []byte, re *[NonceSize]byte, ok bool, result []byte, errText, pad string) ([]byte, error) {
	dst = append(dst, `{"re":"`...)
	dst = hex.AppendEncode(dst, re[:])
	if ok {
		dst = append(dst, `","ok":true`...)
	} else {
		dst = append(dst, `","ok":false`...)
	}
	if len(result) > 0 {
		dst = append(dst, `,"result":`...)
		var err error
		if dst, err = appendASCII(dst, result); err != nil {
			return nil, err
		}
	}
	if errText != "" {
		dst = append(dst, `,"error":`...)
		dst = appendJSONString(dst, errText)
	}
	dst = append(dst, `,"pad":"`...)
	dst = append(dst, pad...) // hex: nothing to escape
	return append(dst, `"}`...), nil
}

// replyBody is appendReplyBody into a new slice large enough for most
// bodies, with room for [padBody] to fill an empty pad in place.
func replyBody(re *[NonceSize]byte, ok bool, result []byte, errText, pad string) ([]byte, error) {
	size := len(`{"re":"","ok":false,"result":,"error":"","pad":""}`) + 2*NonceSize +
		len(result) + len(result)/4 + len(errText) + len(errText)/4 + len(pad) + maxPad + 1
	return appendReplyBody(make([]byte, 0, size), re, ok, result, errText, pad)
}

const lowerHex = "0123456789abcdef"

// appendUEscape appends \uXXXX for r, a surrogate pair outside the BMP.
func appendUEscape(dst []byte, r rune) []byte {
	if r > 0xffff {
		r -= 0x10000
		dst = appendUEscape(dst, 0xd800+r>>10)
		return appendUEscape(dst, 0xdc00+r&0x3ff)
	}
	return append(dst, '\\', 'u', lowerHex[r>>12&0xf], lowerHex[r>>8&0xf], lowerHex[r>>4&0xf], lowerHex[r&0xf])
}

// appendASCII appends valid JSON text b with every non-ASCII character as a
// \uXXXX escape, as [asciiJSON] writes it. It fails on invalid UTF-8.
func appendASCII(dst, b []byte) ([]byte, error) {
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] < utf8.RuneSelf {
			i++
		}
		dst = append(dst, b[:i]...)
		if b = b[i:]; len(b) == 0 {
			break
		}
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			return nil, fmt.Errorf("%w: text is not valid UTF-8", ErrInvalidCommand)
		}
		dst = appendUEscape(dst, r)
		b = b[size:]
	}
	return dst, nil
}

// appendJSONString appends s as a JSON string the way encoding/json writes
// it with HTML escaping (\", \\, \b, \f, \n, \r, \t, other control bytes
// and <, >, & as \u00XX, invalid UTF-8 as \ufffd), except that every
// non-ASCII character is a \uXXXX escape, as [asciiJSON] would make it.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', lowerHex[c>>4], lowerHex[c&0xf])
			}
			i++
			start = i
			continue
		}
		dst = append(dst, s[start:i]...)
		r, size := utf8.DecodeRuneInString(s[i:])
		// Invalid UTF-8 decodes as U+FFFD, which is what encoding/json writes.
		dst = appendUEscape(dst, r)
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
