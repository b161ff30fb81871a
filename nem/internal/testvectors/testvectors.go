// Package testvectors reads the gzip-compressed test vector files vendored
// in the testdata folders of nem and nem/hd, for their tests. A file that
// cannot be read is a test failure, never a skip: the vectors are part of
// the module, so a missing or damaged file is a broken checkout.
package testvectors

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"testing"
)

// Read returns the decompressed contents of the gzip file at path. It fails
// t (never skips it) if the file is missing, is not gzip, is truncated,
// fails its checksum or is empty.
func Read(t testing.TB, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("testvectors: vendored vector file: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("testvectors: %s: %v", path, err)
	}
	b, err := io.ReadAll(zr) // at the end, checks the length and CRC-32
	if err != nil {
		t.Fatalf("testvectors: %s: %v", path, err)
	}
	if len(b) == 0 {
		t.Fatalf("testvectors: %s is empty", path)
	}
	return b
}

// Outcome is how a function given a testing.TB ended.
type Outcome string

// The outcomes [Run] reports.
const (
	Passed  Outcome = "passed"
	Failed  Outcome = "failed"
	Skipped Outcome = "skipped"
)

// Run calls f with a testing.TB that records, instead of reporting to t,
// whether f failed or skipped, and returns the outcome. Logging and the
// other methods go to t. Tests use it to check that a loader fails, rather
// than skips, on a bad file.
func Run(t testing.TB, f func(testing.TB)) Outcome {
	r := &recorder{TB: t, outcome: Passed}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.outcome
}

// recorder is a testing.TB whose failures and skips are only recorded.
type recorder struct {
	testing.TB
	mu      sync.Mutex
	outcome Outcome
}

func (r *recorder) set(o Outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.outcome != Failed { // a failure stays a failure
		r.outcome = o
	}
}

func (r *recorder) Helper() {}
func (r *recorder) Fail()   { r.set(Failed) }

func (r *recorder) FailNow() {
	r.set(Failed)
	runtime.Goexit()
}

func (r *recorder) SkipNow() {
	r.set(Skipped)
	runtime.Goexit()
}

// note logs what f reported, marked as recorded rather than reported.
func (r *recorder) note(args ...any) { r.TB.Log(append([]any{"(recorded, not reported)"}, args...)...) }

func (r *recorder) Error(args ...any)         { r.note(args...); r.Fail() }
func (r *recorder) Errorf(f string, a ...any) { r.note(fmt.Sprintf(f, a...)); r.Fail() }
func (r *recorder) Fatal(args ...any)         { r.note(args...); r.FailNow() }
func (r *recorder) Fatalf(f string, a ...any) { r.note(fmt.Sprintf(f, a...)); r.FailNow() }
func (r *recorder) Skip(args ...any)          { r.note(args...); r.SkipNow() }
func (r *recorder) Skipf(f string, a ...any)  { r.note(fmt.Sprintf(f, a...)); r.SkipNow() }

func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.outcome == Failed
}

func (r *recorder) Skipped() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.outcome == Skipped
}
