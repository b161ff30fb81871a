package hd

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	_ "embed"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// englishList is the BIP39 English word list, one word per line.
//
// Source: the npm package bip39 3.1.2 (bitcoinjs), file
// src/wordlists/english.json, written out as its 2048 words joined by "\n"
// plus a final "\n". bitcore-mnemonic 11.5.1 (lib/words/english.js, the list
// symbol-sdk uses) gives the identical file. Its SHA-256 is
// 2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda, the
// well-known hash of the canonical bip-0039/english.txt; TestWordlist checks
// it.
//
//go:embed wordlist/english.txt
var englishList string

// english holds the 2048 words in list order; wordIndex maps each back to
// its 11-bit index.
var english, wordIndex = parseWordlist(englishList)

func parseWordlist(s string) ([]string, map[string]uint16) {
	words := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(words) != 2048 {
		panic("hd: embedded word list does not have 2048 words") // a broken build, not input
	}
	index := make(map[string]uint16, len(words))
	for i, w := range words {
		index[w] = uint16(i)
	}
	return words, index
}

// wordCounts lists the mnemonic lengths BIP39 defines.
const wordCountsText = "12, 15, 18, 21 or 24"

// entropySize returns the entropy size in bytes for a phrase of n words, or
// 0 if BIP39 does not define one.
func entropySize(words int) int {
	switch words {
	case 12, 15, 18, 21, 24:
		return words / 3 * 4
	}
	return 0
}

// NewMnemonic makes a new random mnemonic of words words (12, 15, 18, 21 or
// 24; 24 words hold 256 bits of entropy) from rand. A nil rand means
// [crypto/rand.Reader]. Store the phrase like a private key: it is one.
func NewMnemonic(rand io.Reader, words int) (string, error) {
	n := entropySize(words)
	if n == 0 {
		return "", fmt.Errorf("%w: %d words; want %s", ErrStrength, words, wordCountsText)
	}
	if rand == nil {
		rand = cryptoRand
	}
	entropy := make([]byte, n)
	defer clear(entropy)
	if _, err := io.ReadFull(rand, entropy); err != nil {
		return "", fmt.Errorf("hd: reading entropy for a mnemonic: %w", err)
	}
	return MnemonicFromEntropy(entropy)
}

var cryptoRand = rand.Reader

// MnemonicFromEntropy encodes entropy (16, 20, 24, 28 or 32 bytes) as a
// BIP39 English mnemonic, checksum word bits included. Most callers want
// [NewMnemonic]; this is for entropy that comes from elsewhere (dice, a
// hardware source, a backup).
func MnemonicFromEntropy(entropy []byte) (string, error) {
	n := len(entropy)
	if n < 16 || n > 32 || n%4 != 0 {
		return "", fmt.Errorf("%w: %d bytes of entropy; want 16, 20, 24, 28 or 32", ErrStrength, n)
	}
	sum := sha256.Sum256(entropy)
	// The checksum is the first n/4 bits of the hash; at most 8, so one byte.
	bits := make([]byte, n+1)
	defer clear(bits)
	copy(bits, entropy)
	bits[n] = sum[0]
	words := (n*8 + n/4) / 11
	var b strings.Builder
	for i := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(english[read11(bits, i*11)])
	}
	return b.String(), nil
}

// read11 returns the 11 bits of buf starting at bit offset off (big-endian).
func read11(buf []byte, off int) uint16 {
	var v uint16
	for i := off; i < off+11; i++ {
		v = v<<1 | uint16(buf[i/8]>>(7-i%8)&1)
	}
	return v
}

// splitMnemonic normalizes a phrase (NFKD, as BIP39 requires) and returns
// its words, separated by any run of white space.
func splitMnemonic(mnemonic string) []string {
	return strings.Fields(norm.NFKD.String(mnemonic))
}

// EntropyFromMnemonic decodes a BIP39 English mnemonic back to its entropy,
// checking every word and the checksum. See [ValidateMnemonic] for the rules.
func EntropyFromMnemonic(mnemonic string) ([]byte, error) {
	return entropyOf(splitMnemonic(mnemonic))
}

func entropyOf(words []string) ([]byte, error) {
	n := entropySize(len(words))
	if n == 0 {
		return nil, fmt.Errorf("%w: %d words; want %s", ErrInvalidMnemonic, len(words), wordCountsText)
	}
	bits := make([]byte, n+1)
	defer clear(bits)
	for i, w := range words {
		idx, ok := wordIndex[w]
		if !ok {
			return nil, &WordError{Position: i + 1}
		}
		for j := range 11 {
			if idx>>(10-j)&1 == 1 {
				off := i*11 + j
				bits[off/8] |= 0x80 >> (off % 8)
			}
		}
	}
	entropy := make([]byte, n)
	copy(entropy, bits)
	sum := sha256.Sum256(entropy)
	csBits := uint(n / 4)
	mask := byte(0xFF) << (8 - csBits)
	if (sum[0]^bits[n])&mask != 0 {
		clear(entropy)
		return nil, ErrChecksum
	}
	return entropy, nil
}

// ValidateMnemonic reports whether mnemonic is a valid BIP39 English phrase:
// 12, 15, 18, 21 or 24 words from the list, with a matching checksum. The
// phrase is NFKD-normalized first; words may be separated by any white space
// but must be lower case, as in the list. The error is nil, a *[WordError]
// (which is also [ErrInvalidMnemonic]), [ErrInvalidMnemonic] for a wrong word
// count, or [ErrChecksum].
func ValidateMnemonic(mnemonic string) error {
	e, err := EntropyFromMnemonic(mnemonic)
	clear(e)
	return err
}

// Seed turns a BIP39 mnemonic and optional passphrase into the 64-byte seed
// that [NewMaster] takes: PBKDF2-HMAC-SHA512 with 2048 iterations over the
// NFKD-normalized phrase, salted with "mnemonic" + the NFKD-normalized
// passphrase. The phrase is validated first as [ValidateMnemonic] describes,
// and hashed in its canonical form (words joined by single spaces), so stray
// white space does not change the seed. The passphrase is used exactly as
// given (after NFKD): a different passphrase is a different wallet.
func Seed(mnemonic, passphrase string) ([]byte, error) {
	words := splitMnemonic(mnemonic)
	e, err := entropyOf(words)
	clear(e)
	if err != nil {
		return nil, err
	}
	seed, err := pbkdf2.Key(sha512.New, strings.Join(words, " "),
		[]byte("mnemonic"+norm.NFKD.String(passphrase)), 2048, 64)
	if err != nil {
		return nil, fmt.Errorf("hd: deriving the seed: %w", err)
	}
	return seed, nil
}
