// Package keyfile loads and saves the private keys of the example programs.
//
// A key file holds one NEM private key as hex (64 characters, or 66 with
// the NIS "00" prefix), optionally followed by a newline; blank lines and
// lines starting with '#' are ignored, so a file can carry a comment.
// [Write] creates the file with mode 0600 and never overwrites one.
// [Load] reads a key from a file or, when no file is given, from an
// environment variable.
//
// Errors never contain key material: a malformed file is reported by name
// and reason only.
package keyfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/nemiot/nemiot/nem"
)

// MaxSize bounds what Read reads from a key file; a key is 66 bytes.
const MaxSize = 4096

// ErrNoKey means neither a key file nor the environment variable was given.
var ErrNoKey = errors.New("no key given")

// ErrMalformed means the file or variable does not hold exactly one
// private key.
var ErrMalformed = errors.New("malformed key")

// Read reads the private key in the file at path.
func Read(path string) (*nem.PrivateKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	if len(b) > MaxSize {
		return nil, fmt.Errorf("key file %s: %w: larger than %d bytes", path, ErrMalformed, MaxSize)
	}
	k, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return k, nil
}

// Parse reads one private key from b, in the key file format.
func Parse(b []byte) (*nem.PrivateKey, error) {
	var key string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if key != "" {
			return nil, fmt.Errorf("%w: more than one key line", ErrMalformed)
		}
		key = line
	}
	if sc.Err() != nil {
		return nil, fmt.Errorf("%w: line too long", ErrMalformed)
	}
	if key == "" {
		return nil, fmt.Errorf("%w: no key line", ErrMalformed)
	}
	k, err := nem.ParsePrivateKey(key)
	if err != nil {
		// nem's errors do not echo the input; still, say only why.
		return nil, fmt.Errorf("%w: not a NEM private key (64 hex characters)", ErrMalformed)
	}
	return k, nil
}

// Load reads the key from the file at path or, when path is empty, from
// the environment variable env (in the key file format). With neither it
// returns an error wrapping [ErrNoKey].
func Load(path, env string) (*nem.PrivateKey, error) {
	if path != "" {
		return Read(path)
	}
	v, ok := os.LookupEnv(env)
	if !ok || strings.TrimSpace(v) == "" {
		return nil, fmt.Errorf("%w: pass -key FILE or set %s", ErrNoKey, env)
	}
	k, err := Parse([]byte(v))
	if err != nil {
		return nil, fmt.Errorf("$%s: %w", env, err)
	}
	return k, nil
}

// Write saves k to a new file at path with mode 0600, preceded by comment,
// a line of text (may be empty) written as a '#' line. It refuses to
// overwrite an existing file.
func Write(path string, k *nem.PrivateKey, comment string) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	var b strings.Builder
	for line := range strings.Lines(comment) {
		b.WriteString("# " + strings.TrimRight(line, "\r\n") + "\n")
	}
	b.WriteString(k.Hex() + "\n")
	if _, err := f.WriteString(b.String()); err != nil {
		return err
	}
	return f.Sync()
}
