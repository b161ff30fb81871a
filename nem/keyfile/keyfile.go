// Package keyfile reads and writes NEM private keys in text files: the
// device's key on the device, the owner's key in the owner's app.
//
// # Where to start
//
// A program that needs its key calls [LoadFile] with the path the user
// gave (or "" to read an environment variable instead), shows the
// returned [File]'s Warnings, and uses its Key and Network. A program that
// makes a key saves it once with [Create], which never overwrites a file:
//
//	k, err := nem.GeneratePrivateKey(nil)
//	err = keyfile.Create("owner.key", &keyfile.File{Key: k, Network: nem.Testnet}, "owner of the garage door")
//	// … later, in the app:
//	f, err := keyfile.LoadFile(path, "MYAPP_OWNER_KEY")
//	for _, w := range f.Warnings {
//		log.Print(w) // e.g. the file is readable by others (ErrExposed)
//	}
//
// # Format
//
// A key file is text. It holds one NEM private key as hex, and may say
// which network the key is for:
//
//	# nemiot device key, mainnet account NB4ZOB-…
//	# network: mainnet
//	8bdfa4d6de5aa0d9f3a9e2e1a5c4f0e3b1c2d3e4f5061728394a5b6c7d8e9f00
//
// The key is 64 hex digits (66 with NanoWallet's "00" prefix) in either
// case. Spaces, tabs and dashes between the digits are ignored, and the
// digits may run over several lines, so the key can be typed back as it
// is shown for writing down (by examples/keygen, say), in groups of 16
// ("8BDFA4D6DE5AA0D9 F3A9E2E1…" or "8bdfa4d6de5aa0d9-f3a9e2e1…"). Blank lines and lines starting with '#'
// are ignored, except one line "# network: NAME" (mainnet, testnet or
// mijin, any case), which records the key's network; a file without one
// names no network, as files written before that line existed.
//
// # Reading and writing
//
// [ReadFile] reads a key file and returns a [File]: the key, its network,
// and warnings, such as a file that group or others can read
// ([ErrExposed]). The package never prints: the caller shows the
// warnings. [LoadFile] reads the key from a file or, when no file is given,
// from an environment variable in the same format. [Read], [Load] and
// [Parse] return the key only.
//
// [Create] writes a new file with mode 0600, recording the network, and
// never overwrites one; [Write] does the same without a network line.
//
// Errors never contain key material: a malformed file is reported by name,
// line number and reason only.
package keyfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/nemiot/nemiot/nem"
)

// MaxSize bounds what a key file may hold; a key is 66 bytes.
const MaxSize = 4096

// ErrNoKey means neither a key file nor the environment variable was given.
var ErrNoKey = errors.New("no key given")

// ErrMalformed means the file or variable does not hold exactly one
// private key and at most one network line.
var ErrMalformed = errors.New("malformed key")

// ErrExposed is the warning for a key file that users other than its owner
// may read or write (any of the mode bits 0077 set). The key still loads;
// chmod 600 the file.
var ErrExposed = errors.New("key file is accessible to group or others")

// networkField starts the comment line that records the network.
const networkField = "network:"

// File is what a key file holds.
type File struct {
	// Key is the private key.
	Key *nem.PrivateKey
	// Network is the network the file records, or 0 when it names none;
	// check with Network.Valid.
	Network nem.Network
	// Warnings are problems that do not stop the key from being used,
	// each wrapping a sentinel of this package ([ErrExposed]). Reading sets
	// them; [Create] ignores them.
	Warnings []error
}

// ReadFile reads the key file at path. A file that group or others may
// access loads with a warning wrapping [ErrExposed] (not on Windows, whose
// files have no such mode bits).
func ReadFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	defer clear(b)
	if len(b) > MaxSize {
		return nil, fmt.Errorf("key file %s: %w: larger than %d bytes", path, ErrMalformed, MaxSize)
	}
	kf, err := ParseFile(b)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		kf.Warnings = append(kf.Warnings, fmt.Errorf("%w: %s has mode %04o; run chmod 600 %s", ErrExposed, path, perm, path))
	}
	return kf, nil
}

// Read reads the private key in the file at path; see [ReadFile] for its
// network and warnings.
func Read(path string) (*nem.PrivateKey, error) {
	f, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return f.Key, nil
}

// ParseFile reads b in the key file format.
func ParseFile(b []byte) (*File, error) {
	var (
		f        File
		digits   []byte // the key's hex digits, separators removed
		keyLines int
	)
	defer clear(digits)
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if line[0] == '#' {
			v, ok := networkLine(line)
			if !ok {
				continue
			}
			if f.Network != 0 {
				return nil, fmt.Errorf("%w: line %d: a second network line", ErrMalformed, n)
			}
			nw, err := nem.ParseNetwork(v)
			if err != nil {
				// The value is not echoed: it might be a misplaced key.
				return nil, fmt.Errorf("%w: line %d: unknown network (want mainnet, testnet or mijin)", ErrMalformed, n)
			}
			f.Network = nw
			continue
		}
		keyLines++
		for col, c := range sc.Bytes() {
			switch {
			case isHex(c):
				digits = append(digits, c)
			case c == '-' || c == ' ' || '\t' <= c && c <= '\r':
			default:
				return nil, fmt.Errorf("%w: line %d, column %d: not a hex digit, space or dash", ErrMalformed, n, col+1)
			}
		}
	}
	if sc.Err() != nil {
		return nil, fmt.Errorf("%w: line too long", ErrMalformed)
	}
	switch {
	case keyLines == 0:
		return nil, fmt.Errorf("%w: no key line", ErrMalformed)
	case len(digits) != 64 && len(digits) != 66:
		return nil, fmt.Errorf("%w: %d hex digits on %d line(s), want one key of 64 (or 66 with the 00 prefix)", ErrMalformed, len(digits), keyLines)
	}
	k, err := nem.ParsePrivateKey(string(digits))
	if err != nil {
		// nem's errors do not echo the input; still, say only why.
		return nil, fmt.Errorf("%w: not a NEM private key", ErrMalformed)
	}
	f.Key = k
	return &f, nil
}

// Parse reads one private key from b, in the key file format.
func Parse(b []byte) (*nem.PrivateKey, error) {
	f, err := ParseFile(b)
	if err != nil {
		return nil, err
	}
	return f.Key, nil
}

// networkLine reports whether the comment line is the network line, and
// returns its value.
func networkLine(line []byte) (string, bool) {
	s := strings.TrimSpace(string(line[1:]))
	if len(s) < len(networkField) || !strings.EqualFold(s[:len(networkField)], networkField) {
		return "", false
	}
	return s[len(networkField):], true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// LoadFile reads the key file at path or, when path is empty, the key in
// the environment variable env (in the key file format, without the
// mode check). With neither it returns an error wrapping [ErrNoKey].
func LoadFile(path, env string) (*File, error) {
	if path != "" {
		return ReadFile(path)
	}
	v, ok := os.LookupEnv(env)
	if !ok || strings.TrimSpace(v) == "" {
		return nil, fmt.Errorf("%w: pass -key FILE or set %s", ErrNoKey, env)
	}
	f, err := ParseFile([]byte(v))
	if err != nil {
		return nil, fmt.Errorf("$%s: %w", env, err)
	}
	return f, nil
}

// Load reads the key from the file at path or, when path is empty, from
// the environment variable env; see [LoadFile] for its network and
// warnings.
func Load(path, env string) (*nem.PrivateKey, error) {
	f, err := LoadFile(path, env)
	if err != nil {
		return nil, err
	}
	return f.Key, nil
}

// Create saves f.Key to a new file at path with mode 0600, preceded by
// comment (text, may be empty, each line written as a '#' line) and, when
// f.Network is set, the network line. It refuses to overwrite an existing
// file, a network that is not valid, and a comment line that would read as
// a network line.
func Create(path string, f *File, comment string) (err error) {
	if f == nil || f.Key == nil {
		return errors.New("keyfile: no key to write")
	}
	if f.Network != 0 && !f.Network.Valid() {
		return fmt.Errorf("keyfile: %w", nem.ErrUnknownNetwork)
	}
	var b strings.Builder
	for line := range strings.Lines(comment) {
		line = "# " + strings.TrimRight(line, "\r\n") + "\n"
		if _, ok := networkLine([]byte(line)); ok {
			return errors.New("keyfile: a comment line reads as a network line")
		}
		b.WriteString(line)
	}
	if f.Network != 0 {
		b.WriteString("# " + networkField + " " + f.Network.String() + "\n")
	}
	b.WriteString(f.Key.Hex() + "\n")

	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	if _, err := out.WriteString(b.String()); err != nil {
		return err
	}
	return out.Sync()
}

// Write saves k to a new file at path with mode 0600, as [Create] does,
// without a network line.
func Write(path string, k *nem.PrivateKey, comment string) error {
	return Create(path, &File{Key: k}, comment)
}
