package main

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/nemiot/nemiot/nem"
)

// CodePassphrase: a passphrase too short to keep a key under, or one that
// does not open the kept key.
const CodePassphrase Code = "passphrase"

// The kept key, when the owner asks the page to remember it:
//
//	kept   = "nemiot-key-v1:" base64url(header | salt (16) | nonce (12) | sealed (48))
//	header = iterations (4, big-endian) | owner public key (32)
//	sealed = AES-256-GCM(key, nonce, private key (32), "nemiot/ui/key/v1" | header)
//	key    = PBKDF2-HMAC-SHA-256(passphrase, salt, iterations, 32 bytes)
//
// It is made and opened here, in the module, so that the plaintext key
// never passes through the page's script on its way to or from storage
// (and so that it works on plain http, where browsers hide WebCrypto).
const (
	keptPrefix = "nemiot-key-v1:"
	keptAD     = "nemiot/ui/key/v1"
	keptHeader = 4 + 32
	keptSize   = keptHeader + 16 + 12 + 32 + 16
	// KeepIterations is PBKDF2's count for new kept keys (OWASP's figure
	// for PBKDF2-HMAC-SHA-256); about 1.5 s in a desktop browser.
	KeepIterations = 600_000
	// minIterations and maxIterations bound what unlock accepts, so that
	// a planted blob can neither weaken nor hang it.
	minIterations = 100_000
	maxIterations = 10_000_000
	// MinPassphrase is the shortest passphrase keep accepts, in characters.
	MinPassphrase = 10
)

var errPassphrase = errors.New("wrong passphrase, or the kept key is damaged")

func keepAEAD(passphrase string, salt []byte, iter int) (cipher.AEAD, error) {
	k, err := pbkdf2.Key(sha256.New, passphrase, salt, iter, 32)
	if err != nil {
		return nil, err
	}
	defer clear(k)
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// keep returns the session's key sealed under passphrase with iter PBKDF2
// iterations, reading salt and nonce from random (nil: crypto/rand).
func (s *session) keep(random io.Reader, passphrase string, iter int) (string, error) {
	if s.key == nil {
		return "", errorf(CodeKey, "no owner key")
	}
	if n := utf8.RuneCountInString(passphrase); n < MinPassphrase {
		return "", errorf(CodePassphrase, "the passphrase has %d characters; use at least %d", n, MinPassphrase)
	}
	if iter < minIterations || iter > maxIterations {
		return "", errorf(CodeUsage, "%d PBKDF2 iterations is out of range", iter)
	}
	if random == nil {
		random = rand.Reader
	}
	buf := make([]byte, keptHeader+16+12, keptSize)
	binary.BigEndian.PutUint32(buf, uint32(iter))
	copy(buf[4:], s.owner[:])
	if _, err := io.ReadFull(random, buf[keptHeader:]); err != nil {
		return "", &Error{Code: CodeUsage, Err: err}
	}
	aead, err := keepAEAD(passphrase, buf[keptHeader:keptHeader+16], iter)
	if err != nil {
		return "", &Error{Code: CodeUsage, Err: err}
	}
	raw := s.key.Bytes()
	defer clear(raw)
	ad := append([]byte(keptAD), buf[:keptHeader]...)
	buf = aead.Seal(buf, buf[keptHeader+16:keptHeader+28], raw, ad)
	return keptPrefix + base64.RawURLEncoding.EncodeToString(buf), nil
}

// keptOwner returns the owner public key a kept key records, without the
// passphrase.
func keptOwner(kept string) (nem.PublicKey, error) {
	b, err := parseKept(kept)
	if err != nil {
		return nem.PublicKey{}, err
	}
	return nem.PublicKey(b[4:keptHeader]), nil
}

func parseKept(kept string) ([]byte, error) {
	b64, ok := strings.CutPrefix(strings.TrimSpace(kept), keptPrefix)
	b, err := base64.RawURLEncoding.DecodeString(b64)
	if !ok || err != nil || len(b) != keptSize {
		return nil, errorf(CodePassphrase, "the kept key is not one this page made")
	}
	if iter := int(binary.BigEndian.Uint32(b)); iter < minIterations || iter > maxIterations {
		return nil, errorf(CodePassphrase, "the kept key's PBKDF2 iteration count %d is out of range", iter)
	}
	return b, nil
}

// unlock opens a kept key with passphrase and makes a session of it, as
// newSession does of the key itself (deviceHex may be empty).
func unlock(kept, passphrase, deviceHex string) (*session, error) {
	b, err := parseKept(kept)
	if err != nil {
		return nil, err
	}
	aead, err := keepAEAD(passphrase, b[keptHeader:keptHeader+16], int(binary.BigEndian.Uint32(b)))
	if err != nil {
		return nil, &Error{Code: CodeUsage, Err: err}
	}
	ad := append([]byte(keptAD), b[:keptHeader]...)
	raw, err := aead.Open(nil, b[keptHeader+16:keptHeader+28], b[keptHeader+28:], ad)
	if err != nil {
		return nil, &Error{Code: CodePassphrase, Err: errPassphrase}
	}
	defer clear(raw)
	key, err := nem.NewPrivateKey(raw)
	if err != nil || key.PublicKey() != nem.PublicKey(b[4:keptHeader]) {
		return nil, &Error{Code: CodePassphrase, Err: errPassphrase}
	}
	return sessionOf(key, deviceHex)
}
