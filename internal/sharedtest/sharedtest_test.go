package sharedtest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// recorder is a testing.TB whose failures are recorded instead of reported.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	failed bool
	fatal  bool
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.TB.Log("(recorded)", fmt.Sprintf(format, args...))
	r.mu.Lock()
	r.failed = true
	r.mu.Unlock()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.mu.Lock()
	r.fatal = true
	r.mu.Unlock()
	runtime.Goexit()
}

func (r *recorder) Skipf(format string, args ...any) {
	r.TB.Errorf("skipped instead of failing: "+format, args...)
	runtime.Goexit()
}

// run calls f with a recorder in its own goroutine (Fatalf ends it) and
// returns whether f failed.
func run(t *testing.T, f func(testing.TB)) (failed bool) {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r.failed
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestCheckSums(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.json"), `{"a":1}`)
	writeFile(t, filepath.Join(dir, "b.json"), `{"b":2}`)
	readme := "# x\n\n| file | what | sha256 |\n| --- | --- | --- |\n" +
		"| `a.json` | the a | `" + sum(`{"a":1}`) + "` |\n" +
		"| `b.json` | the b | `" + sum(`{"b":2}`) + "` |\n"
	writeFile(t, filepath.Join(dir, "README.md"), readme)

	var listed []string
	if run(t, func(tb testing.TB) { listed = CheckSums(tb, dir) }) || len(listed) != 2 {
		t.Fatalf("a good folder: listed %v", listed)
	}
	for name, change := range map[string]func(){
		"changed file":  func() { writeFile(t, filepath.Join(dir, "a.json"), `{"a":2}`) },
		"missing file":  func() { os.Remove(filepath.Join(dir, "b.json")) },
		"empty file":    func() { writeFile(t, filepath.Join(dir, "b.json"), ``) },
		"unlisted file": func() { writeFile(t, filepath.Join(dir, "c.json"), `{}`) },
		"no table":      func() { writeFile(t, filepath.Join(dir, "README.md"), "# x\n") },
		"no README":     func() { os.Remove(filepath.Join(dir, "README.md")) },
	} {
		t.Run(name, func(t *testing.T) {
			writeFile(t, filepath.Join(dir, "a.json"), `{"a":1}`)
			writeFile(t, filepath.Join(dir, "b.json"), `{"b":2}`)
			writeFile(t, filepath.Join(dir, "README.md"), readme)
			os.Remove(filepath.Join(dir, "c.json"))
			change()
			if !run(t, func(tb testing.TB) { CheckSums(tb, dir) }) {
				t.Errorf("%s passed", name)
			}
		})
	}
}

func TestReadFileFailsNeverSkips(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "empty"), "")
	writeFile(t, filepath.Join(dir, "ok"), "x")
	for _, name := range []string{"missing", "empty"} {
		if !run(t, func(tb testing.TB) { ReadFile(tb, filepath.Join(dir, name)) }) {
			t.Errorf("ReadFile of a %s file did not fail", name)
		}
	}
	var got []byte
	if run(t, func(tb testing.TB) { got = ReadFile(tb, filepath.Join(dir, "ok")) }) || string(got) != "x" {
		t.Errorf("ReadFile of a good file: %q", got)
	}
}

func TestTestdata(t *testing.T) {
	p := Testdata(t, "vectors", "transactions.json")
	if _, err := os.Stat(p); err != nil {
		t.Errorf("the module's vectors: %v", err)
	}
}
