package nem

import (
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"strings"

	//lint:ignore SA1019 NEM addresses are defined with RIPEMD-160; there is no substitute.
	"golang.org/x/crypto/ripemd160"
)

// AddressSize is the size of a decoded address in bytes: network byte,
// RIPEMD-160 of the key's Keccak-256 hash, and a 4-byte checksum.
const AddressSize = 25

// Address is a NEM account address. The zero value is no address; valid ones
// come from [ParseAddress], [AddressFromBytes] or [PublicKey.Address].
// Addresses are comparable with ==.
type Address struct {
	raw [AddressSize]byte
}

// Address returns p's account address on network n.
func (p PublicKey) Address(n Network) Address {
	h := Keccak256(p[:])
	r := ripemd160.New()
	r.Write(h[:])
	var a Address
	a.raw[0] = byte(n)
	r.Sum(a.raw[1:1])
	sum := Keccak256(a.raw[:21])
	copy(a.raw[21:], sum[:4])
	return a
}

// ParseAddress reads an address: 40 base32 characters, in any case, with or
// without the dashes of the pretty form. The checksum and the network byte are
// checked.
func ParseAddress(s string) (Address, error) {
	var clean [40]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' {
			continue
		}
		if n == len(clean) {
			return Address{}, fmt.Errorf("%w: %q is longer than 40 characters", ErrInvalidAddress, s)
		}
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		clean[n] = c
		n++
	}
	if n != len(clean) {
		return Address{}, fmt.Errorf("%w: %q has %d characters, want 40", ErrInvalidAddress, s, n)
	}
	var raw [AddressSize]byte
	if m, err := base32.StdEncoding.Decode(raw[:], clean[:]); err != nil || m != AddressSize {
		return Address{}, fmt.Errorf("%w: %q is not base32", ErrInvalidAddress, s)
	}
	a, err := AddressFromBytes(raw[:])
	if err != nil {
		return Address{}, fmt.Errorf("%w: %q", err, s)
	}
	return a, nil
}

// ParseAddressOn is [ParseAddress] that also requires the address to be on
// network n, failing with [ErrWrongNetwork] otherwise.
func ParseAddressOn(s string, n Network) (Address, error) {
	a, err := ParseAddress(s)
	if err != nil {
		return Address{}, err
	}
	if a.Network() != n {
		return Address{}, fmt.Errorf("%w: %s is a %s address, want %s", ErrWrongNetwork, a, a.Network(), n)
	}
	return a, nil
}

// AddressFromBytes makes an address from its 25 decoded bytes, checking the
// network byte and the checksum.
func AddressFromBytes(b []byte) (Address, error) {
	var a Address
	if len(b) != AddressSize {
		return a, fmt.Errorf("%w: %d bytes, want %d", ErrInvalidAddress, len(b), AddressSize)
	}
	copy(a.raw[:], b)
	if !Network(a.raw[0]).Valid() {
		return Address{}, fmt.Errorf("%w: address network byte 0x%02x", ErrUnknownNetwork, a.raw[0])
	}
	sum := Keccak256(a.raw[:21])
	if subtle.ConstantTimeCompare(sum[:4], a.raw[21:]) != 1 {
		return Address{}, ErrChecksum
	}
	return a, nil
}

// String returns the canonical form: 40 upper-case characters, no dashes.
// The zero Address prints as the empty string.
func (a Address) String() string {
	if a.IsZero() {
		return ""
	}
	return base32.StdEncoding.EncodeToString(a.raw[:])
}

// Pretty returns the address in groups of six joined by dashes, as wallets
// show it (NBONKW-COWBZY-…-KDEB).
func (a Address) Pretty() string {
	s := a.String()
	if s == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(46)
	for i := 0; i < len(s); i += 6 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(s[i:min(i+6, len(s))])
	}
	return b.String()
}

// Network returns the address's network.
func (a Address) Network() Network { return Network(a.raw[0]) }

// Bytes returns the 25 decoded bytes of the address.
func (a Address) Bytes() []byte { b := a.raw; return b[:] }

// IsZero reports whether a is the zero Address (no address).
func (a Address) IsZero() bool { return a == Address{} }

// MarshalText encodes the address in its canonical form.
func (a Address) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText decodes an address, as [ParseAddress].
func (a *Address) UnmarshalText(b []byte) error {
	v, err := ParseAddress(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}
