package keyfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nemiot/nemiot/nem"
)

const testHex = "8bdfa4d6de5aa0d9f3a9e2e1a5c4f0e3b1c2d3e4f5061728394a5b6c7d8e9f00"

func TestWriteRead(t *testing.T) {
	k, err := nem.ParsePrivateKey(testHex)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "device.key")
	if err := Write(path, k, "device TABC\nsecond line"); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm != 0o600 {
		t.Errorf("mode %v, want 0600", perm)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(k) {
		t.Error("read back another key")
	}
	if err := Write(path, k, ""); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second Write: %v, want fs.ErrExist", err)
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		ok       bool
	}{
		{"bare", testHex, true},
		{"newline", testHex + "\n", true},
		{"crlf and comment", "# my device\r\n" + strings.ToUpper(testHex) + "\r\n\r\n", true},
		{"nis prefix", "00" + testHex, true},
		{"empty", "", false},
		{"only comment", "# nothing\n", false},
		{"two keys", testHex + "\n" + testHex + "\n", false},
		{"odd length", testHex[:61], false},
		{"too long", testHex + "ab", false},
		{"not hex", strings.Repeat("zz", 32), false},
		{"long line", strings.Repeat("a", 70000), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := Parse([]byte(tc.in))
			if tc.ok {
				if err != nil || k == nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse: %v, want ErrMalformed", err)
			}
			if len(tc.in) >= 8 && strings.Contains(err.Error(), tc.in[:8]) {
				t.Errorf("error %q echoes the input", err)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	const env = "NEMIOT_KEYFILE_TEST_KEY"
	t.Setenv(env, "")
	if _, err := Load("", env); !errors.Is(err, ErrNoKey) {
		t.Errorf("no key: %v, want ErrNoKey", err)
	}
	t.Setenv(env, testHex)
	k, err := Load("", env)
	if err != nil {
		t.Fatal(err)
	}
	if k.Hex() != testHex {
		t.Error("env key differs")
	}
	t.Setenv(env, "nonsense")
	if _, err := Load("", env); !errors.Is(err, ErrMalformed) {
		t.Errorf("bad env: %v, want ErrMalformed", err)
	}
	// A file wins over the variable.
	path := filepath.Join(t.TempDir(), "k")
	if err := os.WriteFile(path, []byte(testHex), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, env); err != nil {
		t.Errorf("file: %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing"), env); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
	big := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(big, []byte(strings.Repeat("#\n", MaxSize)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(big); !errors.Is(err, ErrMalformed) {
		t.Errorf("big file: %v, want ErrMalformed", err)
	}
}
