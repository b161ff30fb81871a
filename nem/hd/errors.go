package hd

import (
	"errors"
	"strconv"
)

// Errors returned by this package. Test for them with [errors.Is]; returned
// errors wrap them with detail. No error ever quotes a mnemonic word, a
// passphrase, a password or key material: a bad word is reported by its
// position (see [WordError]).
var (
	// ErrInvalidMnemonic reports a phrase that is not a BIP39 English
	// mnemonic: a word count other than 12, 15, 18, 21 or 24, or a word that
	// is not in the list (then the error is also a *[WordError]).
	ErrInvalidMnemonic = errors.New("hd: invalid mnemonic")
	// ErrChecksum reports a mnemonic whose words are all in the list but whose
	// checksum does not match: usually a mistyped or swapped word.
	ErrChecksum = errors.New("hd: mnemonic checksum mismatch")
	// ErrStrength reports an entropy size or word count that BIP39 does not
	// define; it allows 16, 20, 24, 28 or 32 bytes, that is 12, 15, 18, 21 or
	// 24 words.
	ErrStrength = errors.New("hd: unsupported mnemonic strength")
	// ErrInvalidPath reports a derivation path that cannot be parsed, such as
	// one not starting with "m", with an empty or non-numeric element, or an
	// index of 2^31 or more.
	ErrInvalidPath = errors.New("hd: invalid derivation path")
	// ErrNotHardened reports a path element without the hardened mark (').
	// NEM's Ed25519 derivation has hardened children only.
	ErrNotHardened = errors.New("hd: path element is not hardened")
	// ErrEmptyPassword reports an empty wallet password given to
	// [NanoWalletChild]; NanoWallet refuses it too.
	ErrEmptyPassword = errors.New("hd: empty password")
	// ErrUnusableKey reports a NanoWallet derivation whose intermediate
	// secp256k1 scalar is zero or not below the group order. NanoWallet fails
	// the same way. The chance is below 2^-126; try another index.
	ErrUnusableKey = errors.New("hd: derived key is unusable")
)

// WordError reports a mnemonic word that is not in the BIP39 English list.
// It names the word's position only, never the word, since the words are the
// secret. It wraps [ErrInvalidMnemonic].
type WordError struct {
	// Position is the word's 1-based position in the phrase.
	Position int
}

// Error describes the failure; it never contains a private key.
func (e *WordError) Error() string {
	return "hd: invalid mnemonic: word " + strconv.Itoa(e.Position) + " is not in the BIP39 English word list"
}

// Unwrap returns [ErrInvalidMnemonic].
func (e *WordError) Unwrap() error { return ErrInvalidMnemonic }
