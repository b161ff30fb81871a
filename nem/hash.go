package nem

import (
	"hash"
	"sync"

	"golang.org/x/crypto/sha3"
)

// NEM's "SHA3" is the original Keccak (padding 0x01), not NIST SHA-3.

// keccakState is a pooled hasher with a scratch buffer. Data is copied
// through the scratch buffer before it reaches the hasher's Write, and Sum
// appends into it: the hasher is an interface, and handing it the caller's
// slices would move them (a signature on the stack, say) to the heap on
// every call.
type keccakState struct {
	h       hash.Hash
	scratch [256]byte
}

var (
	keccak256Pool = sync.Pool{New: func() any { return &keccakState{h: sha3.NewLegacyKeccak256()} }}
	keccak512Pool = sync.Pool{New: func() any { return &keccakState{h: sha3.NewLegacyKeccak512()} }}
)

// sum hashes the concatenation of data with a hasher from pool and copies
// the digest into out.
func sum(pool *sync.Pool, out []byte, data [][]byte) {
	st := pool.Get().(*keccakState)
	st.h.Reset()
	for _, d := range data {
		for len(d) > 0 {
			n := copy(st.scratch[:], d)
			st.h.Write(st.scratch[:n])
			d = d[n:]
		}
	}
	copy(out, st.h.Sum(st.scratch[:0]))
	pool.Put(st)
}

// Keccak256 returns the legacy Keccak-256 hash of the concatenated data, the
// hash NEM uses for addresses, transaction hashes and message keys.
func Keccak256(data ...[]byte) [32]byte {
	var out [32]byte
	sum(&keccak256Pool, out[:], data)
	return out
}

// Keccak512 returns the legacy Keccak-512 hash of the concatenated data, the
// hash of NIS1 signatures.
func Keccak512(data ...[]byte) [64]byte {
	var out [64]byte
	sum(&keccak512Pool, out[:], data)
	return out
}
