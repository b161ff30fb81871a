package nem

import (
	"hash"
	"sync"

	"golang.org/x/crypto/sha3"
)

// NEM's "SHA3" is the original Keccak (padding 0x01), not NIST SHA-3.

var keccak512Pool = sync.Pool{New: func() any { return sha3.NewLegacyKeccak512() }}

// Keccak256 returns the legacy Keccak-256 hash of the concatenated data, the
// hash NEM uses for addresses, transaction hashes and message keys.
func Keccak256(data ...[]byte) [32]byte {
	h := sha3.NewLegacyKeccak256()
	for _, d := range data {
		h.Write(d)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Keccak512 returns the legacy Keccak-512 hash of the concatenated data, the
// hash of NIS1 signatures.
func Keccak512(data ...[]byte) [64]byte {
	h := keccak512Pool.Get().(hash.Hash)
	h.Reset()
	for _, d := range data {
		h.Write(d)
	}
	var out [64]byte
	h.Sum(out[:0])
	keccak512Pool.Put(h)
	return out
}
