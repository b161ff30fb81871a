package testvectors

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
)

func gz(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestReadFailsNeverSkips: every way a vector file can be unusable fails the
// test that reads it.
func TestReadFailsNeverSkips(t *testing.T) {
	dir := t.TempDir()
	good := gz(t, []byte(": a : b\n"))
	badCRC := bytes.Clone(good)
	badCRC[len(badCRC)-5] ^= 1 // last byte of the CRC-32 trailer
	for name, content := range map[string][]byte{
		"plain.txt":     []byte(": a : b\n"),
		"truncated.gz":  good[:len(good)-6],
		"bad-crc.gz":    badCRC,
		"empty-data.gz": gz(t, nil),
		"empty-file.gz": {},
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, content, 0o600); err != nil {
			t.Fatal(err)
		}
		if o := Run(t, func(tb testing.TB) { Read(tb, p) }); o != Failed {
			t.Errorf("Read(%s): %s, want failed", name, o)
		}
	}
	if o := Run(t, func(tb testing.TB) { Read(tb, filepath.Join(dir, "missing.gz")) }); o != Failed {
		t.Errorf("Read(missing file): %s, want failed", o)
	}
	p := filepath.Join(dir, "good.gz")
	if err := os.WriteFile(p, good, 0o600); err != nil {
		t.Fatal(err)
	}
	var got []byte
	if o := Run(t, func(tb testing.TB) { got = Read(tb, p) }); o != Passed || string(got) != ": a : b\n" {
		t.Errorf("Read(good file) = %q, %s", got, o)
	}
}

// TestRunOutcomes: Run tells a pass, a failure and a skip apart, and a
// failure stays one after a later skip.
func TestRunOutcomes(t *testing.T) {
	for want, f := range map[Outcome]func(testing.TB){
		Passed:  func(tb testing.TB) { tb.Log("fine") },
		Failed:  func(tb testing.TB) { tb.Errorf("bad"); tb.Skip("then skipped") },
		Skipped: func(tb testing.TB) { tb.Skipf("absent") },
	} {
		if got := Run(t, f); got != want {
			t.Errorf("Run: %s, want %s", got, want)
		}
	}
	if o := Run(t, func(tb testing.TB) { tb.Fatal("stop"); panic("not reached") }); o != Failed {
		t.Errorf("Run(Fatal): %s", o)
	}
}
