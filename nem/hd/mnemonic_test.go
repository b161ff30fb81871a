package hd

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// bip39File is testdata/bip39-vectors.json, written by testdata/gen-bip39.cjs
// with the npm bip39 package and cross-checked with bitcore-mnemonic.
type bip39File struct {
	Valid []struct {
		Entropy    string `json:"entropy"`
		Mnemonic   string `json:"mnemonic"`
		Passphrase string `json:"passphrase"`
		Seed       string `json:"seed"`
	} `json:"valid"`
	Invalid []struct {
		Mnemonic string `json:"mnemonic"`
		Kind     string `json:"kind"`
		Position int    `json:"position"`
	} `json:"invalid"`
}

func loadBIP39(t testing.TB) *bip39File {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "bip39-vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f bip39File
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("parsing bip39-vectors.json: %v", err)
	}
	if len(f.Valid) < 50 || len(f.Invalid) < 50 {
		t.Fatalf("bip39-vectors.json has %d valid and %d invalid cases; want at least 50 of each", len(f.Valid), len(f.Invalid))
	}
	return &f
}

func TestWordlist(t *testing.T) {
	const canonical = "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda"
	if sum := sha256.Sum256([]byte(englishList)); hex.EncodeToString(sum[:]) != canonical {
		t.Fatalf("SHA-256 of wordlist/english.txt = %x, want %s (the canonical BIP39 english.txt)", sum, canonical)
	}
	if len(english) != 2048 || len(wordIndex) != 2048 {
		t.Fatalf("%d words, %d distinct; want 2048", len(english), len(wordIndex))
	}
	if !slices.IsSorted(english) {
		t.Error("word list is not sorted")
	}
	prefixes := map[string]bool{}
	for i, w := range english {
		if len(w) < 3 || len(w) > 8 || strings.Trim(w, "abcdefghijklmnopqrstuvwxyz") != "" {
			t.Errorf("word %d %q is not 3-8 lower-case letters", i, w)
		}
		p := w[:min(4, len(w))]
		if prefixes[p] {
			t.Errorf("prefix %q is not unique", p)
		}
		prefixes[p] = true
	}
	if english[0] != "abandon" || english[2047] != "zoo" {
		t.Errorf("first and last words are %q and %q", english[0], english[2047])
	}
}

func TestBIP39Valid(t *testing.T) {
	for i, v := range loadBIP39(t).Valid {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			entropy, err := hex.DecodeString(v.Entropy)
			if err != nil {
				t.Fatal(err)
			}
			m, err := MnemonicFromEntropy(entropy)
			if err != nil || m != v.Mnemonic {
				t.Errorf("MnemonicFromEntropy = %q, %v; want %q", m, err, v.Mnemonic)
			}
			back, err := EntropyFromMnemonic(v.Mnemonic)
			if err != nil || !bytes.Equal(back, entropy) {
				t.Errorf("EntropyFromMnemonic = %x, %v; want %s", back, err, v.Entropy)
			}
			if err := ValidateMnemonic(v.Mnemonic); err != nil {
				t.Errorf("ValidateMnemonic: %v", err)
			}
			seed, err := Seed(v.Mnemonic, v.Passphrase)
			if err != nil || hex.EncodeToString(seed) != v.Seed {
				t.Errorf("Seed(_, %q) = %x, %v; want %s", v.Passphrase, seed, err, v.Seed)
			}
		})
	}
}

func TestBIP39Invalid(t *testing.T) {
	for i, v := range loadBIP39(t).Invalid {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			seed, err := Seed(v.Mnemonic, "")
			if seed != nil {
				t.Errorf("Seed returned a seed for an invalid phrase")
			}
			if verr := ValidateMnemonic(v.Mnemonic); fmt.Sprint(verr) != fmt.Sprint(err) {
				t.Errorf("ValidateMnemonic = %v, Seed = %v; want the same", verr, err)
			}
			var we *WordError
			switch v.Kind {
			case "checksum":
				if !errors.Is(err, ErrChecksum) || errors.Is(err, ErrInvalidMnemonic) {
					t.Errorf("err = %v; want ErrChecksum only", err)
				}
			case "word":
				if !errors.As(err, &we) || we.Position != v.Position || !errors.Is(err, ErrInvalidMnemonic) {
					t.Errorf("err = %v; want a WordError at position %d", err, v.Position)
				}
				bad := strings.Fields(v.Mnemonic)[v.Position-1]
				if strings.Contains(err.Error(), bad) {
					t.Errorf("error %q quotes the word", err)
				}
			case "words":
				if !errors.Is(err, ErrInvalidMnemonic) || errors.As(err, &we) || errors.Is(err, ErrChecksum) {
					t.Errorf("err = %v; want ErrInvalidMnemonic for the word count", err)
				}
			default:
				t.Fatalf("unknown kind %q", v.Kind)
			}
			if w := strings.Fields(v.Mnemonic); len(w) >= 2 && strings.Contains(err.Error(), w[0]+" "+w[1]) {
				t.Errorf("error %q quotes the phrase", err)
			}
		})
	}
}

// TestChecksumExhaustive replaces the last word of a valid phrase by every
// word of the list: the last word carries 11 - words/3 entropy bits, so
// exactly 2^(11 - words/3) of the 2048 candidates have a valid checksum.
func TestChecksumExhaustive(t *testing.T) {
	for _, n := range []int{12, 15, 18, 21, 24} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			m, err := NewMnemonic(bytes.NewReader(bytes.Repeat([]byte{0x5a}, 32)), n)
			if err != nil {
				t.Fatal(err)
			}
			words := strings.Fields(m)
			valid := 0
			for _, w := range english {
				words[n-1] = w
				switch err := ValidateMnemonic(strings.Join(words, " ")); {
				case err == nil:
					valid++
				case !errors.Is(err, ErrChecksum):
					t.Fatalf("unexpected error %v", err)
				}
			}
			if want := 1 << (11 - n/3); valid != want {
				t.Errorf("%d valid last words, want %d", valid, want)
			}
		})
	}
}

// TestSeedNormalizes checks that white space around and between words and
// NFKD-equivalent spellings give the seed of the canonical phrase (the
// vector's), while a different case or passphrase does not.
func TestSeedNormalizes(t *testing.T) {
	v := loadBIP39(t).Valid[0] // all-zero entropy, passphrase TREZOR
	words := strings.Fields(v.Mnemonic)
	fullWidth := strings.Map(func(r rune) rune { return r - 'a' + 'ａ' }, words[0])
	for name, m := range map[string]string{
		"spaces":      "  " + strings.Join(words, " \t ") + "\n",
		"ideographic": strings.Join(words, "\u3000"),
		"full width":  fullWidth + " " + strings.Join(words[1:], " "),
	} {
		seed, err := Seed(m, v.Passphrase)
		if err != nil || hex.EncodeToString(seed) != v.Seed {
			t.Errorf("%s: Seed = %x, %v; want %s", name, seed, err, v.Seed)
		}
	}
	var we *WordError
	if _, err := Seed(strings.ToUpper(v.Mnemonic[:1])+v.Mnemonic[1:], v.Passphrase); !errors.As(err, &we) || we.Position != 1 {
		t.Errorf("capitalized first word: err = %v; want WordError at 1", err)
	}
	if seed, _ := Seed(v.Mnemonic, v.Passphrase+" "); hex.EncodeToString(seed) == v.Seed {
		t.Error("a trailing space in the passphrase did not change the seed")
	}
}

func TestNewMnemonic(t *testing.T) {
	zero, err := NewMnemonic(bytes.NewReader(make([]byte, 16)), 12)
	if want := loadBIP39(t).Valid[0].Mnemonic; err != nil || zero != want {
		t.Errorf("NewMnemonic(zeros, 12) = %q, %v; want %q", zero, err, want)
	}
	for _, n := range []int{12, 15, 18, 21, 24} {
		m, err := NewMnemonic(nil, n)
		if err != nil {
			t.Fatalf("NewMnemonic(nil, %d): %v", n, err)
		}
		if got := len(strings.Fields(m)); got != n {
			t.Errorf("NewMnemonic(nil, %d) has %d words", n, got)
		}
		if err := ValidateMnemonic(m); err != nil {
			t.Errorf("NewMnemonic(nil, %d) does not validate: %v", n, err)
		}
		// Reads exactly the entropy: 4 bytes for every 3 words.
		r := bytes.NewReader(make([]byte, 64))
		if _, err := NewMnemonic(r, n); err != nil || r.Len() != 64-n/3*4 {
			t.Errorf("NewMnemonic(_, %d) read %d bytes, want %d", n, 64-r.Len(), n/3*4)
		}
	}
	for _, n := range []int{-1, 0, 3, 11, 13, 25, 48} {
		if _, err := NewMnemonic(nil, n); !errors.Is(err, ErrStrength) {
			t.Errorf("NewMnemonic(nil, %d) err = %v; want ErrStrength", n, err)
		}
	}
	boom := errors.New("boom")
	if _, err := NewMnemonic(iotest.ErrReader(boom), 24); !errors.Is(err, boom) {
		t.Errorf("failing reader: err = %v; want it wrapped", err)
	}
	if _, err := NewMnemonic(bytes.NewReader(make([]byte, 31)), 24); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short reader: err = %v; want io.ErrUnexpectedEOF", err)
	}
}

func TestMnemonicFromEntropySizes(t *testing.T) {
	for n := 0; n <= 40; n++ {
		m, err := MnemonicFromEntropy(make([]byte, n))
		ok := n >= 16 && n <= 32 && n%4 == 0
		if ok != (err == nil) || (!ok && !errors.Is(err, ErrStrength)) {
			t.Errorf("%d bytes: err = %v", n, err)
		}
		if ok && len(strings.Fields(m)) != n*3/4 {
			t.Errorf("%d bytes gave %d words", n, len(strings.Fields(m)))
		}
	}
}
