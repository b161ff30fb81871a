// Package nem implements the NEM (NIS1) cryptographic primitives that every
// other nemiot package stands on: keys, addresses, signatures, encrypted
// messages and network time. It does no I/O.
//
// Everything here is byte-for-byte compatible with NIS nodes, nem-sdk,
// NanoWallet and the NEM facade of symbol-sdk 3, and is checked against the
// official NEM test vectors.
//
// # Where to start
//
// Make or load a key with [GeneratePrivateKey] or [ParsePrivateKey], then use
// [PrivateKey.PublicKey], [PrivateKey.Sign] and [PublicKey.Verify]. Accounts
// are named by an [Address] on a [Network]; read one with [ParseAddress].
//
// # Keys
//
// A [PrivateKey] (like a [SharedKey]) is opaque: no fmt verb and no log/slog
// handler prints its secret, as a value, a pointer or nested in containers.
// It prints as a redacted string, or as a memory address where fmt calls no
// method (%p on a value, %w outside fmt.Errorf, an unexported field). The
// secret leaves it only through the explicit, greppable [PrivateKey.Hex] and
// [PrivateKey.Bytes]. Keys are written the way NEM wallets
// show them: 64 hex characters, a big-endian number. [ParsePrivateKey] also
// takes the forms a NIS node prints (a "00" prefix, or leading zero bytes
// dropped). Signing keys precompute what signing needs, so keep one
// *PrivateKey per account rather than parsing it again for every message.
//
// # Signatures
//
// NIS1 signs with Ed25519 over the Keccak-512 hash (not SHA-512), on the
// reversed private-key bytes; [crypto/ed25519] cannot be used for NEM.
// [PublicKey.Verify] applies the rule of the NIS nodes, stricter than
// nem-sdk: it refuses a non-canonical S (S = 0 or S ≥ L), an all-zero public
// key and an undecodable point. A [Verifier] decodes a public key once for
// callers that check many signatures from the same signer.
//
// # Encrypted messages
//
// NEM has two encrypted-message formats, and a payload does not say which one
// it is:
//
//   - CBC, the legacy format that NanoWallet, nem-sdk and NIS use:
//     salt(32) | iv(16) | AES-256-CBC ciphertext, key Keccak-256(salt XOR ECDH).
//     See [EncryptCBC] and [DecryptCBC]. CBC is not authenticated: sign what
//     you encrypt (as package command does) and check the signature first.
//   - GCM, what symbol-sdk 3's NEM facade writes: tag(16) | iv(12) |
//     AES-256-GCM ciphertext, key HKDF-SHA256(ECDH, info "nem-nis1").
//     See [EncryptGCM] and [DecryptGCM].
//
// Every decryption failure is the same [ErrDecrypt], whatever went wrong. The
// key agreement reproduces the NIS result exactly, also for public keys with a
// small-order component. [PrivateKey.SharedKey] precomputes it for a peer you
// exchange many messages with.
//
// # Network time
//
// NEM dates transactions in whole seconds since [Epoch]; see [Timestamp].
package nem
