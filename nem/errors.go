package nem

import "errors"

// Errors returned by this package. Each is a sentinel to test with
// [errors.Is]; returned errors wrap them with detail that never includes
// secret input.
var (
	// ErrInvalidKey reports a private or public key that cannot be decoded.
	ErrInvalidKey = errors.New("nem: invalid key")
	// ErrInvalidSignature reports a signature string that cannot be decoded.
	// (A signature that does not verify is reported by Verify returning false.)
	ErrInvalidSignature = errors.New("nem: invalid signature encoding")
	// ErrInvalidAddress reports an address that is not 40 base32 characters
	// (dashes aside) or 25 bytes.
	ErrInvalidAddress = errors.New("nem: invalid address")
	// ErrChecksum reports an address whose checksum does not match.
	ErrChecksum = errors.New("nem: address checksum mismatch")
	// ErrWrongNetwork reports an address of another network than the one required.
	ErrWrongNetwork = errors.New("nem: address is for another network")
	// ErrUnknownNetwork reports a network byte or name that is not mainnet,
	// testnet or mijin.
	ErrUnknownNetwork = errors.New("nem: unknown network")
	// ErrWeakKey reports a public key that is a curve point of small order
	// (the all-zero key is one). Anyone can forge a signature that verifies
	// under such a key and read what is encrypted to it, so nemiot refuses it
	// as an owner, a device, a sender and an encryption peer. NIS itself does
	// not refuse it; [PublicKey.Verify] keeps the NIS rule for chain data.
	ErrWeakKey = errors.New("nem: weak public key (small order)")
	// ErrDecrypt is the single error for every failed decryption: wrong key,
	// tampered or truncated payload, bad padding or failed authentication.
	ErrDecrypt = errors.New("nem: message decryption failed")
)
