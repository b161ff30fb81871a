// Package sharedtest finds the project's shared reference folder (../shared
// beside the module root, holding the official NEM vectors and NIS fixtures)
// for tests. That folder is not part of the module: tests that need it skip
// cleanly when it is absent, except in CI (CI=true), where its absence fails.
package sharedtest

import (
	"os"
	"path/filepath"
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

// Path returns the path of elem inside ../shared. When it does not exist the
// test is skipped, or failed when the environment has CI=true.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{ModuleRoot(t), "..", "shared"}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("sharedtest: %s is missing in CI: %v", p, err)
		}
		t.Skipf("sharedtest: %s not present; skipping", p)
	}
	return p
}

// Testdata returns the path of elem inside the module's own testdata folder.
func Testdata(t testing.TB, elem ...string) string {
	t.Helper()
	return filepath.Join(append([]string{ModuleRoot(t), "testdata"}, elem...)...)
}
