package tx

import (
	"encoding/hex"
	"fmt"
)

// Hash is a NIS transaction hash: the Keccak-256 of the transaction's
// serialization without signatures (see [Transaction.Hash]).
type Hash [32]byte

// ParseHash reads a hash written as 64 hex characters, in any case. Other
// text fails with [ErrInvalidHash].
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 64 {
		return h, fmt.Errorf("%w: %d characters, want 64", ErrInvalidHash, len(s))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return Hash{}, fmt.Errorf("%w: not hex: %q", ErrInvalidHash, s)
	}
	return h, nil
}

// String returns the hash as 64 lower-case hex characters.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is all zero bytes (no hash).
func (h Hash) IsZero() bool { return h == Hash{} }

// MarshalText encodes the hash as lower-case hex.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText decodes a hex hash, as [ParseHash].
func (h *Hash) UnmarshalText(b []byte) error {
	v, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
}
