package talk

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/nemiot/nemiot/internal/strictjson"
	"github.com/nemiot/nemiot/nem/tx"
)

// MaxPayload is the largest message payload NIS accepts in a transfer
// (TransferTransactionValidator since the 2016 fork: 1024 bytes, counted
// on the payload as sent, so for an encrypted message salt, IV and padding
// included). A larger one is refused with FAILURE_MESSAGE_TOO_LARGE (6).
const MaxPayload = 1024

// MaxPlaintext is the largest plaintext whose encrypted message fits in
// MaxPayload: a CBC payload is 32 bytes of salt, 16 of IV and the plaintext
// padded to the next multiple of 16 (always at least one byte of padding),
// so 48 + 16·(⌊975/16⌋+1) = 1024.
const MaxPlaintext = 975

// Message types this package and its examples use. An [Inbox] delivers
// only the types in its Types set (nil means all of these).
const (
	TypeText      = "text"      // free text for a person: Text
	TypeProposal  = "proposal"  // a payment for the owners to approve: Data is a [ProposalData]
	TypeReject    = "reject"    // an owner refuses the proposal Re; Text says why
	TypeOffer     = "offer"     // something for sale, e.g. energy: Data is the offer
	TypeBid       = "bid"       // a bid on the offer Re
	TypeAward     = "award"     // the offer Re goes to this bid: pay now
	TypeDelivered = "delivered" // what the payment Re bought was delivered
	TypeOrder     = "order"     // an order placed after a payment Re
)

// DefaultTypes is the set of types an Inbox accepts when its Types is nil.
var DefaultTypes = map[string]bool{
	TypeText: true, TypeProposal: true, TypeReject: true, TypeOffer: true,
	TypeBid: true, TypeAward: true, TypeDelivered: true, TypeOrder: true,
}

// Body is the plaintext of a message: a small JSON document
//
//	{"type":"bid","re":"<64 hex: hash of the transaction it answers>","text":"…","data":{…}}
//
// Type is required; Re, Text and Data are optional. Non-ASCII text is
// written as \uXXXX escapes, so the plaintext is ASCII and reads the same in
// NanoWallet, nem-sdk and Go.
type Body struct {
	Type string
	Re   tx.Hash // the transaction this message answers; zero: none
	Text string
	Data json.RawMessage // type-specific JSON value; nil: none
}

type bodyJSON struct {
	Type string          `json:"type"`
	Re   string          `json:"re,omitempty"`
	Text string          `json:"text,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

// Marshal encodes the body as ASCII JSON and checks that it fits in a NIS
// message once encrypted (MaxPlaintext; a *SizeError otherwise).
func (b *Body) Marshal() ([]byte, error) {
	if b.Type == "" {
		return nil, fmt.Errorf("%w: no type", ErrBadBody)
	}
	j := bodyJSON{Type: b.Type, Text: b.Text, Data: b.Data}
	if !b.Re.IsZero() {
		j.Re = b.Re.String()
	}
	out, err := json.Marshal(j)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadBody, err)
	}
	out = asciiJSON(out)
	if len(out) > MaxPlaintext {
		return nil, &SizeError{Size: encryptedSize(len(out)), Max: MaxPayload}
	}
	return out, nil
}

// encryptedSize is the CBC payload size for n bytes of plaintext.
func encryptedSize(n int) int { return 48 + 16*(n/16+1) }

// asciiJSON rewrites every non-ASCII character of JSON text (which can
// only occur inside strings) as \uXXXX escapes, with surrogate pairs above
// the BMP.
func asciiJSON(b []byte) []byte {
	ascii := true
	for _, c := range b {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		switch {
		case r < utf8.RuneSelf:
			out = append(out, byte(r))
		case r > 0xFFFF:
			r -= 0x10000
			out = appendU(appendU(out, 0xD800+(r>>10)), 0xDC00+(r&0x3FF))
		default:
			out = appendU(out, r)
		}
	}
	return out
}

func appendU(out []byte, r rune) []byte {
	s := strconv.FormatInt(int64(r), 16)
	out = append(out, `\u`...)
	for range 4 - len(s) {
		out = append(out, '0')
	}
	return append(out, s...)
}

// ParseBody reads a message body: at most MaxPlaintext bytes of strict JSON
// (one object, no duplicate names) with a type in types (nil: DefaultTypes)
// and, if present, a 64-hex "re". Failures wrap ErrBadBody (or are a
// *SizeError).
func ParseBody(plaintext []byte, types map[string]bool) (*Body, error) {
	if len(plaintext) > MaxPlaintext {
		return nil, &SizeError{Size: len(plaintext), Max: MaxPlaintext}
	}
	var j bodyJSON
	if err := strictjson.Unmarshal(plaintext, &j); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadBody, err)
	}
	if types == nil {
		types = DefaultTypes
	}
	if j.Type == "" {
		return nil, fmt.Errorf("%w: no type", ErrBadBody)
	}
	if !types[j.Type] {
		return nil, fmt.Errorf("%w: unknown type %q", ErrBadBody, truncate(j.Type, 32))
	}
	b := &Body{Type: j.Type, Text: j.Text}
	if j.Re != "" {
		h, err := tx.ParseHash(j.Re)
		if err != nil {
			return nil, fmt.Errorf("%w: re is not a transaction hash", ErrBadBody)
		}
		b.Re = h
	}
	if len(j.Data) > 0 && string(j.Data) != "null" {
		b.Data = j.Data
	}
	return b, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
