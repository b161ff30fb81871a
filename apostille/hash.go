package apostille

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"fmt"
	"hash"
	"strings"

	"golang.org/x/crypto/sha3"
)

// HashType is the digest algorithm of an apostille: the low bits of the
// message's version byte. NanoWallet calls the Keccak ones "SHA3-256" and
// "SHA3-512", but they are the original Keccak (padding 0x01), not NIST SHA-3.
type HashType byte

// The apostille hash types, with their public version bytes. A private
// apostille's version byte sets [PrivateFlag] as well (0x81, 0x82, 0x83,
// 0x88, 0x89).
const (
	MD5       HashType = 0x01
	SHA1      HashType = 0x02
	SHA256    HashType = 0x03 // NanoWallet's default
	Keccak256 HashType = 0x08 // "SHA3-256" in NanoWallet and nem-sdk
	Keccak512 HashType = 0x09 // "SHA3-512" in NanoWallet and nem-sdk
)

// HashTypes lists every hash type, in version-byte order.
var HashTypes = []HashType{MD5, SHA1, SHA256, Keccak256, Keccak512}

// Valid reports whether h is one of the five apostille hash types.
func (h HashType) Valid() bool {
	switch h {
	case MD5, SHA1, SHA256, Keccak256, Keccak512:
		return true
	}
	return false
}

// Size returns the digest length in bytes, or 0 for an unknown type.
func (h HashType) Size() int {
	switch h {
	case MD5:
		return md5.Size
	case SHA1:
		return sha1.Size
	case SHA256, Keccak256:
		return 32
	case Keccak512:
		return 64
	}
	return 0
}

// New returns a new hash.Hash computing h, or nil for an unknown type.
func (h HashType) New() hash.Hash {
	switch h {
	case MD5:
		return md5.New()
	case SHA1:
		return sha1.New()
	case SHA256:
		return sha256.New()
	case Keccak256:
		return sha3.NewLegacyKeccak256()
	case Keccak512:
		return sha3.NewLegacyKeccak512()
	}
	return nil
}

// Digest returns the digest of content. It fails with [ErrUnknownHash] for
// an unknown type.
func (h HashType) Digest(content []byte) ([]byte, error) {
	d := h.New()
	if d == nil {
		return nil, fmt.Errorf("%w: 0x%02x", ErrUnknownHash, byte(h))
	}
	d.Write(content)
	return d.Sum(nil), nil
}

// String returns the algorithm's name: "MD5", "SHA-1", "SHA-256",
// "Keccak-256" or "Keccak-512", or a hex form for an unknown type.
func (h HashType) String() string {
	switch h {
	case MD5:
		return "MD5"
	case SHA1:
		return "SHA-1"
	case SHA256:
		return "SHA-256"
	case Keccak256:
		return "Keccak-256"
	case Keccak512:
		return "Keccak-512"
	}
	return fmt.Sprintf("HashType(0x%02x)", byte(h))
}

// ParseHashType reads a hash type by name, in any case: the names String
// returns, the nem-sdk names ("MD5", "SHA1", "SHA256", "SHA3-256",
// "SHA3-512"), and "KECCAK256"/"KECCAK512".
func ParseHashType(s string) (HashType, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "MD5":
		return MD5, nil
	case "SHA1", "SHA-1":
		return SHA1, nil
	case "SHA256", "SHA-256":
		return SHA256, nil
	case "KECCAK-256", "KECCAK256", "SHA3-256":
		return Keccak256, nil
	case "KECCAK-512", "KECCAK512", "SHA3-512":
		return Keccak512, nil
	}
	return 0, fmt.Errorf("%w: %q", ErrUnknownHash, s)
}
