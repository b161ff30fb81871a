// Package sharedtest reads, for tests, the test data committed with the
// module: the vectors generated into the module's testdata/vectors
// ([Testdata]), the NIS fixtures vendored from the project's shared reference
// folder into a package's testdata ([ReadFile], [CheckSums]), and fuzz seed
// corpora ([RequireSeeds]); it also holds the small-order key vectors the
// weak-key tests of several packages walk ([SmallOrderKeys]). These files
// are part of the module, so a file that does not load fails the test; it
// is never skipped.
package sharedtest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// ModuleRoot returns the directory holding go.mod, walking up from the test's
// working directory.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("sharedtest: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("sharedtest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Testdata returns the path of elem inside the module's own testdata folder.
func Testdata(t testing.TB, elem ...string) string {
	t.Helper()
	return filepath.Join(append([]string{ModuleRoot(t), "testdata"}, elem...)...)
}

// ReadFile returns the contents of the vendored file at path (relative to
// the test's package directory). It fails t, never skips it, when the file is
// missing, unreadable or empty.
func ReadFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("sharedtest: vendored file: %v", err)
	}
	if len(b) == 0 {
		t.Fatalf("sharedtest: vendored file %s is empty", path)
	}
	return b
}

// row is a README table row naming a file and its sha256: | `name` | … | `hex` |
var row = regexp.MustCompile("^\\| `([^`/]+)` \\|.*\\| `([0-9a-f]{64})` \\|$")

// CheckSums checks the folder dir of vendored files against the table in its
// README.md: every file listed there must exist with the listed sha256, and
// every file in dir (other than README.md) must be listed. It returns the
// listed names and fails t for each difference.
func CheckSums(t testing.TB, dir string) []string {
	t.Helper()
	readme := ReadFile(t, filepath.Join(dir, "README.md"))
	var listed []string
	sc := bufio.NewScanner(bytes.NewReader(readme))
	for sc.Scan() {
		m := row.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		name, want := m[1], m[2]
		listed = append(listed, name)
		sum := sha256.Sum256(ReadFile(t, filepath.Join(dir, name)))
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("sharedtest: %s: sha256 %s, README.md lists %s", filepath.Join(dir, name), got, want)
		}
	}
	if len(listed) == 0 {
		t.Fatalf("sharedtest: %s lists no file with its sha256", filepath.Join(dir, "README.md"))
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("sharedtest: %v", err)
	}
	for _, e := range entries {
		if e.Name() != "README.md" && !slices.Contains(listed, e.Name()) {
			t.Errorf("sharedtest: %s is not listed in README.md", filepath.Join(dir, e.Name()))
		}
	}
	return listed
}

// RequireSeeds fails the fuzz test f when its committed seed corpus,
// testdata/fuzz/<name of f>, holds fewer than min files.
func RequireSeeds(f *testing.F, min int) {
	f.Helper()
	entries, err := os.ReadDir(filepath.Join("testdata", "fuzz", f.Name()))
	if err != nil || len(entries) < min {
		f.Fatalf("sharedtest: seed corpus of %s: %d files (%v), want at least %d", f.Name(), len(entries), err, min)
	}
}
