package keyfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

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

// grouped is testHex as examples/keygen shows it: upper case, four groups
// of 16.
func grouped(sep string) string {
	u := strings.ToUpper(testHex)
	return u[:16] + sep + u[16:32] + sep + u[32:48] + sep + u[48:]
}

// The key typed back as keygen shows it, or as people write it down.
func TestParseGrouped(t *testing.T) {
	want, err := nem.ParsePrivateKey(testHex)
	if err != nil {
		t.Fatal(err)
	}
	u := strings.ToUpper(testHex)
	for _, in := range []string{
		grouped(" "),
		"  " + grouped(" ") + "  \n",
		grouped("-"),
		strings.ToLower(grouped("-")),
		grouped(" - "),
		grouped("\t"),
		u[:32] + "\n" + u[32:], // two lines
		"  " + u[:16] + " " + u[16:32] + "\r\n  " + u[32:48] + " " + u[48:] + "\r\n", // keygen's old two-line display
		"# device\n" + u[:32] + "\n\n# the rest\n" + u[32:],
		"00 " + grouped(" "),
	} {
		k, err := Parse([]byte(in))
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if !k.Equal(want) {
			t.Errorf("%q: another key", in)
		}
	}
	for _, in := range []string{
		grouped("_"),
		grouped(":"),
		grouped(" ") + "\n" + grouped(" "), // two keys
		grouped(" ")[:66],                  // a digit short
		grouped(" ") + "0",                 // a digit too many
		"0x" + testHex,
	} {
		_, err := Parse([]byte(in))
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v, want ErrMalformed", in, err)
			continue
		}
		for i := 0; i+8 <= len(testHex); i += 8 {
			if strings.Contains(strings.ToLower(err.Error()), testHex[i:i+8]) {
				t.Errorf("%q: error %q echoes the key", in, err)
			}
		}
	}
}

func TestParseFileNetwork(t *testing.T) {
	k, err := nem.ParsePrivateKey(testHex)
	if err != nil {
		t.Fatal(err)
	}
	keyCmp := cmp.Comparer(func(a, b *nem.PrivateKey) bool { return a.Equal(b) })
	for _, tc := range []struct {
		in   string
		want nem.Network
	}{
		{testHex, 0},
		{"# network: mainnet\n" + testHex, nem.Mainnet},
		{"#network:TESTNET\n" + testHex, nem.Testnet},
		{testHex + "\n  #  Network:  mijin  \n", nem.Mijin},
		{"# networked devices\n" + testHex, 0},
	} {
		got, err := ParseFile([]byte(tc.in))
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(&File{Key: k, Network: tc.want}, got, keyCmp, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%q: (-want +got)\n%s", tc.in, diff)
		}
	}
	for _, in := range []string{
		"# network: moon\n" + testHex,
		"# network:\n" + testHex,
		"# network: mainnet\n# network: mainnet\n" + testHex,
		"# network: " + testHex + "\n" + testHex, // a key on the network line is not echoed
	} {
		_, err := ParseFile([]byte(in))
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v, want ErrMalformed", in, err)
		} else if strings.Contains(err.Error(), testHex[:8]) {
			t.Errorf("%q: error %q echoes the key", in, err)
		}
	}
}

// Create records the network, and ReadFile gives it back.
func TestCreateNetwork(t *testing.T) {
	k, err := nem.ParsePrivateKey(testHex)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, n := range []nem.Network{nem.Mainnet, nem.Testnet, nem.Mijin, 0} {
		path := filepath.Join(dir, n.String()+".key")
		if err := Create(path, &File{Key: k, Network: n}, "nemiot device key\nmade in a test"); err != nil {
			t.Fatal(err)
		}
		f, err := ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if f.Network != n || !f.Key.Equal(k) || len(f.Warnings) != 0 {
			t.Errorf("%v: read back network %v, warnings %v", n, f.Network, f.Warnings)
		}
		// Load and Read still give the key.
		if got, err := Load(path, "NEMIOT_KEYFILE_UNSET"); err != nil || !got.Equal(k) {
			t.Errorf("%v: Load: %v", n, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "mainnet.key"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "# nemiot device key\n# made in a test\n# network: mainnet\n" + testHex + "\n"; string(b) != want {
		t.Errorf("file:\n%s\nwant:\n%s", b, want)
	}
	for name, f := range map[string]*File{
		"bad network":  {Key: k, Network: 0x42},
		"no key":       {Network: nem.Mainnet},
		"comment line": nil,
	} {
		path := filepath.Join(dir, "bad")
		comment := ""
		if f == nil {
			f, comment = &File{Key: k, Network: nem.Testnet}, "network: mainnet"
		}
		if err := Create(path, f, comment); err == nil {
			t.Errorf("%s: Create succeeded", name)
		}
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: left a file: %v", name, err)
		}
	}
	// The network also comes from the environment.
	const env = "NEMIOT_KEYFILE_TEST_KEY"
	t.Setenv(env, "# network: mainnet\n"+grouped(" "))
	f, err := LoadFile("", env)
	if err != nil || f.Network != nem.Mainnet || !f.Key.Equal(k) {
		t.Errorf("LoadFile from env: %+v, %v", f, err)
	}
}

// A key file others can read loads with a warning; a 0600 one without.
func TestReadFileExposed(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix mode bits")
	}
	path := filepath.Join(t.TempDir(), "device.key")
	if err := os.WriteFile(path, []byte(testHex+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o600, 0o400, 0o640, 0o604, 0o644, 0o660, 0o602} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		f, err := ReadFile(path)
		if err != nil {
			t.Fatalf("%04o: %v", mode, err)
		}
		exposed := mode&0o077 != 0
		if !exposed {
			if len(f.Warnings) != 0 {
				t.Errorf("%04o: warnings %v", mode, f.Warnings)
			}
			continue
		}
		if len(f.Warnings) != 1 || !errors.Is(f.Warnings[0], ErrExposed) {
			t.Fatalf("%04o: warnings %v, want one ErrExposed", mode, f.Warnings)
		}
		msg := f.Warnings[0].Error()
		if !strings.Contains(msg, path) || !strings.Contains(msg, "chmod 600") || strings.Contains(msg, testHex[:8]) {
			t.Errorf("%04o: warning %q", mode, msg)
		}
	}
}
