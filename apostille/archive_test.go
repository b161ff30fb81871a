package apostille

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// sentinels names every error a Parse may wrap, by the names the manifest
// uses.
var sentinels = map[string]error{
	"ErrFormat":          ErrFormat,
	"ErrTruncated":       ErrTruncated,
	"ErrTooManyEntries":  ErrTooManyEntries,
	"ErrEntryTooLarge":   ErrEntryTooLarge,
	"ErrTotalTooLarge":   ErrTotalTooLarge,
	"ErrZipBomb":         ErrZipBomb,
	"ErrChecksum":        ErrChecksum,
	"ErrUnsupported":     ErrUnsupported,
	"ErrUnsafePath":      ErrUnsafePath,
	"ErrDuplicate":       ErrDuplicate,
	"ErrNoNotarizedFile": ErrNoNotarizedFile,
	"ErrNty":             ErrNty,
	"ErrRecord":          ErrRecord,
	"ErrKeyMismatch":     ErrKeyMismatch,
}

// parseSentinels returns the names of the sentinels err wraps.
func parseSentinels(err error) []string {
	var out []string
	for name, s := range sentinels {
		if errors.Is(err, s) {
			out = append(out, name)
		}
	}
	return out
}

func TestSampleArchives(t *testing.T) {
	m := loadManifest(t)
	var ok int
	for _, a := range m.Archives {
		if a.Expect != "ok" {
			continue
		}
		ok++
		t.Run(a.File, func(t *testing.T) {
			t.Parallel()
			data := a.read(t)
			arc, err := Parse(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			opened, err := Open(filepath.Join(archivesDir, a.File))
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if len(arc.Files) != len(a.Files) || len(opened.Files) != len(a.Files) {
				t.Fatalf("Parse found %d files, Open %d, nem-sdk made %d", len(arc.Files), len(opened.Files), len(a.Files))
			}
			for i, want := range a.Files {
				checkNotarization(t, &arc.Files[i], want)
				if !bytes.Equal(opened.Files[i].Content, arc.Files[i].Content) || opened.Files[i].TxHash != arc.Files[i].TxHash {
					t.Errorf("Open and Parse differ on file %d", i)
				}
			}
		})
	}
	if ok < 11 {
		t.Fatalf("only %d sample archives", ok)
	}
}

// checkNotarization compares a parsed file with what nem-sdk made.
func checkNotarization(t *testing.T, n *Notarization, want manifestFile) {
	t.Helper()
	if n.OriginalName != want.OriginalName || n.OriginalName != string(mustHex(t, want.OriginalNameHex)) {
		t.Errorf("OriginalName %q (%x), want %q", n.OriginalName, n.OriginalName, want.OriginalName)
	}
	if n.TxHash != want.TxHash || n.Date != want.Date || n.EntryName != want.EntryName || n.CertificateName != want.CertificateName {
		t.Errorf("name parts %q %q %q %q, want %q %q %q %q", n.TxHash, n.Date, n.EntryName, n.CertificateName,
			want.TxHash, want.Date, want.EntryName, want.CertificateName)
	}
	if !bytes.Equal(n.Content, mustHex(t, want.ContentHex)) {
		t.Errorf("Content %x, want %s", n.Content, want.ContentHex)
	}
	if len(n.Certificate) < 8 || string(n.Certificate[:8]) != "\x89PNG\r\n\x1a\n" {
		t.Errorf("Certificate is not the PNG: %x", n.Certificate[:min(8, len(n.Certificate))])
	}
	if n.Hash != want.hashType(t) || n.Private != want.Private {
		t.Errorf("Hash %s private %v, want 0x%02x private %v", n.Hash, n.Private, want.HashType, want.Private)
	}
	if got := hexString(n.Message); got != want.Message {
		t.Errorf("Message %s, want %s", got, want.Message)
	}
	if n.Network != want.network(t) || n.DedicatedAddress.String() != want.DedicatedAddress {
		t.Errorf("Network %s DedicatedAddress %s, want %s %s", n.Network, n.DedicatedAddress, want.Network, want.DedicatedAddress)
	}
	if want.Private {
		if n.Dedicated == nil || want.DedicatedPrivateKey == nil || n.Dedicated.Hex() != *want.DedicatedPrivateKey {
			t.Errorf("Dedicated key differs from nem-sdk's")
		} else if n.Dedicated.Address(n.Network) != n.DedicatedAddress {
			t.Errorf("Dedicated key derives to %s, not %s", n.Dedicated.Address(n.Network), n.DedicatedAddress)
		}
		k, err := n.DedicatedKey()
		if err != nil || !k.Equal(n.Dedicated) {
			t.Errorf("DedicatedKey() = %v, %v", k, err)
		}
	} else {
		if n.Dedicated != nil {
			t.Errorf("public apostille with a dedicated key")
		}
		if _, err := n.DedicatedKey(); !errors.Is(err, ErrPublic) {
			t.Errorf("DedicatedKey() of a public apostille: %v", err)
		}
		if sink, _ := Sink(n.Network); n.DedicatedAddress != sink {
			t.Errorf("public apostille to %s, not the sink", n.DedicatedAddress)
		}
	}
	r := n.Record
	if r == nil {
		t.Fatalf("no record")
	}
	if r.Filename != want.OriginalName || r.TxHash != want.TxHash || r.FileHash != want.Message ||
		r.Owner.String() != want.Owner.Address || r.DedicatedAccount.String() != want.DedicatedAddress {
		t.Errorf("Record %+v differs from nem-sdk's", *r)
	}
	wantFrom, wantInner := want.Owner.Address, ""
	if want.Multisig != nil {
		wantFrom, wantInner = want.Multisig.Address, want.Multisig.InnerHash
	}
	if r.FromMultisig.String() != wantFrom || r.TxMultisigHash != wantInner {
		t.Errorf("Record from %s inner %q, want %s %q", r.FromMultisig, r.TxMultisigHash, wantFrom, wantInner)
	}
	if err := n.VerifyContent(); err != nil {
		t.Errorf("VerifyContent: %v", err)
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	var sb strings.Builder
	for _, c := range b {
		sb.WriteByte(digits[c>>4])
		sb.WriteByte(digits[c&15])
	}
	return sb.String()
}

func TestHostileArchives(t *testing.T) {
	m := loadManifest(t)
	var hostile int
	for _, a := range m.Archives {
		if a.Expect == "ok" {
			continue
		}
		hostile++
		want, known := sentinels[a.Expect]
		if !known {
			t.Fatalf("%s: manifest expects unknown error %q", a.File, a.Expect)
		}
		t.Run(a.File, func(t *testing.T) {
			data := a.read(t)
			arc, err := Parse(bytes.NewReader(data), int64(len(data)))
			if arc != nil || !errors.Is(err, want) {
				t.Fatalf("Parse = %v, %v; want %s", arc, err, a.Expect)
			}
			// Each hostile case has its own error, not a catch-all.
			if got := parseSentinels(err); len(got) != 1 {
				t.Errorf("error %v matches %v, want only %s", err, got, a.Expect)
			}
			// No private key in the message, ever.
			for _, f := range m.files() {
				if f.DedicatedPrivateKey != nil && strings.Contains(err.Error(), *f.DedicatedPrivateKey) {
					t.Errorf("error quotes a private key: %v", err)
				}
			}
		})
	}
	for _, name := range []string{"ErrTruncated", "ErrZipBomb", "ErrEntryTooLarge", "ErrNoNotarizedFile", "ErrNty",
		"ErrKeyMismatch", "ErrTooManyEntries", "ErrUnsafePath"} {
		found := false
		for _, a := range m.Archives {
			found = found || a.Expect == name
		}
		if !found {
			t.Errorf("no hostile sample for %s", name)
		}
	}
	if hostile < 12 {
		t.Errorf("only %d hostile samples", hostile)
	}
}

// TestHostileAllocations proves that the archives declaring huge sizes are
// refused without allocating anywhere near them: an 8 MiB bomb declaring
// 1 KiB, a 4 GiB declaration, and too many entries.
func TestHostileAllocations(t *testing.T) {
	m := loadManifest(t)
	limits := map[string]uint64{
		"hostile-bomb.zip":             512 << 10,
		"hostile-declares-4gib.zip":    256 << 10,
		"hostile-too-many-entries.zip": 256 << 10,
		"hostile-truncated.zip":        256 << 10,
	}
	for _, a := range m.Archives {
		limit, ok := limits[a.File]
		if !ok {
			continue
		}
		delete(limits, a.File)
		data := a.read(t)
		r := bytes.NewReader(data)
		perRun := bytesPerRun(10, func() {
			if _, err := Parse(r, int64(len(data))); !errors.Is(err, sentinels[a.Expect]) {
				t.Fatalf("%s: %v", a.File, err)
			}
		})
		if perRun > limit {
			t.Errorf("%s: Parse allocates %d bytes per run, want at most %d", a.File, perRun, limit)
		}
		t.Logf("%s: %d bytes allocated per Parse", a.File, perRun)
	}
	if len(limits) != 0 {
		t.Errorf("archives missing from the manifest: %v", limits)
	}
}

// bytesPerRun returns the average number of bytes f allocates.
func bytesPerRun(runs int, f func()) uint64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	f() // warm up
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}

// zipOf builds an archive in memory: entries in order, STORE unless deflate.
func zipOf(t testing.TB, deflate bool, entries ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e[0], Method: zip.Store}
		if deflate {
			h.Method = zip.Deflate
		}
		f, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(e[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const testHash = "06c19b8c53838fdaefb4a04126bc78e0c3ab90db48d8dba43f2063bb02139d69"

func TestParseEdgeCases(t *testing.T) {
	notarized := "a -- Apostille TX " + testHash + " -- Date 2024-03-05.txt"
	tests := []struct {
		name    string
		data    []byte
		parser  *Parser
		want    error  // nil: success
		wantOrg string // expected OriginalName on success
	}{
		{"empty", nil, nil, ErrFormat, ""},
		{"not a zip", []byte("hello, this is not a zip archive at all"), nil, ErrFormat, ""},
		{"empty zip", zipOf(t, false), nil, ErrNoNotarizedFile, ""},
		{"no nty", zipOf(t, false, [2]string{notarized, "x"}), nil, nil, "a.txt"},
		{"deflate", zipOf(t, true, [2]string{notarized, strings.Repeat("x", 1000)}), nil, nil, "a.txt"},
		{"in a folder", zipOf(t, false, [2]string{"NEMsigned/" + notarized, "x"}), nil, nil, "a.txt"},
		{"macOS junk skipped", zipOf(t, false, [2]string{"__MACOSX/._" + notarized, "junk"}, [2]string{"._" + notarized, "junk"}), nil, ErrNoNotarizedFile, ""},
		{"directory only", zipOf(t, false, [2]string{"dir/", ""}), nil, ErrNoNotarizedFile, ""},
		{"ApostilleSigned marker", zipOf(t, false, [2]string{"a -- ApostilleSigned TX " + strings.ToUpper(testHash) + " -- Date 2024-03-05.txt", "x"}), nil, nil, "a.txt"},
		{"backslash", zipOf(t, false, [2]string{`x\` + notarized, "x"}), nil, ErrUnsafePath, ""},
		{"drive letter", zipOf(t, false, [2]string{"C:" + notarized, "x"}), nil, ErrUnsafePath, ""},
		{"dotdot inside", zipOf(t, false, [2]string{"a/../../" + notarized, "x"}), nil, ErrUnsafePath, ""},
		{"duplicate tx", zipOf(t, false, [2]string{notarized, "x"}, [2]string{"b" + notarized, "y"}), nil, ErrDuplicate, ""},
		{"two nty", zipOf(t, false, [2]string{notarized, "x"}, [2]string{"a.nty", "{}"}, [2]string{"b.nty", "{}"}), nil, ErrDuplicate, ""},
		{"nty without data", zipOf(t, false, [2]string{notarized, "x"}, [2]string{"a.nty", `{"other":[]}`}), nil, ErrNty, ""},
		{"nty strangers only", zipOf(t, false, [2]string{notarized, "x"}, [2]string{"a.nty", `{"data":[{"txHash":"00"},{"txHash":7},[]]}`}), nil, nil, "a.txt"},
		{"record without filename", zipOf(t, false, [2]string{notarized, "x"}, [2]string{"a.nty", `{"data":[{"txHash":"` + testHash + `"}]}`}), nil, ErrRecord, ""},
		{"entry over cap", zipOf(t, false, [2]string{notarized, "0123456789"}), &Parser{MaxEntrySize: 9}, ErrEntryTooLarge, ""},
		{"total over cap", zipOf(t, false, [2]string{notarized, "01234"}, [2]string{"x", "01234"}), &Parser{MaxTotalSize: 9}, ErrTotalTooLarge, ""},
		{"entries over cap", zipOf(t, false, [2]string{notarized, "x"}, [2]string{"x", "y"}), &Parser{MaxEntries: 1}, ErrTooManyEntries, ""},
		{"date not a date", zipOf(t, false, [2]string{"a -- Apostille TX " + testHash + " -- Date 05/03/2024.txt", "x"}), nil, ErrNoNotarizedFile, ""},
		{"short hash", zipOf(t, false, [2]string{"a -- Apostille TX " + testHash[1:] + " -- Date 2024-03-05.txt", "x"}), nil, ErrNoNotarizedFile, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			arc, err := tc.parser.Parse(bytes.NewReader(tc.data), int64(len(tc.data)))
			if tc.want != nil {
				if !errors.Is(err, tc.want) || arc != nil {
					t.Fatalf("Parse = %v, %v; want %v", arc, err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(arc.Files) != 1 || arc.Files[0].OriginalName != tc.wantOrg || arc.Files[0].TxHash != testHash {
				t.Fatalf("Parse = %+v", arc.Files)
			}
			if n := arc.Files[0]; n.Record != nil || n.Message != nil || n.Dedicated != nil {
				t.Errorf("record fields set without a record: %+v", n)
			}
			if err := arc.Files[0].VerifyContent(); !errors.Is(err, ErrNoRecord) {
				t.Errorf("VerifyContent without record: %v", err)
			}
		})
	}
}

// TestParseMutatedSamples rewrites the good sample archives in ways that must
// fail: every entry's CRC, the stored data, and the size given to Parse.
func TestParseMutatedSamples(t *testing.T) {
	m := loadManifest(t)
	a := m.Archives[0]
	if a.Expect != "ok" {
		t.Fatalf("first archive %s is not a good one", a.File)
	}
	data := a.read(t)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	// Flipping a byte of the notarized file's data breaks its CRC.
	off, err := zr.File[0].DataOffset()
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(data)
	bad[off] ^= 1
	if _, err := Parse(bytes.NewReader(bad), int64(len(bad))); !errors.Is(err, ErrChecksum) {
		t.Errorf("flipped data byte: %v", err)
	}
	// Every prefix of the archive fails, with a package error.
	for n := 0; n < len(data); n += 97 {
		_, err := Parse(bytes.NewReader(data[:n]), int64(n))
		if err == nil || len(parseSentinels(err)) != 1 {
			t.Fatalf("prefix of %d bytes: %v", n, err)
		}
	}
	// A negative size.
	if _, err := Parse(bytes.NewReader(data), -1); !errors.Is(err, ErrFormat) {
		t.Errorf("negative size: %v", err)
	}
}

// TestParseKeepsOnlyOwnRecords checks that strangers' records in the .nty
// (with their dedicated private keys) are not returned.
func TestParseKeepsOnlyOwnRecords(t *testing.T) {
	m := loadManifest(t)
	for _, s := range parsedSamples(t, m) {
		a, arc := s.archive, s.parsed
		if a.Strangers == 0 {
			continue
		}
		own := map[string]bool{}
		for _, f := range a.Files {
			own[f.TxHash] = true
		}
		for _, n := range arc.Files {
			if !own[n.TxHash] || n.Record.TxHash != n.TxHash {
				t.Errorf("%s: file of transaction %s, record %s", a.File, n.TxHash, n.Record.TxHash)
			}
		}
	}
}

func TestOpenMissing(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "none.zip")); err == nil {
		t.Fatal("Open of a missing file succeeded")
	}
}

// TestNotarizationPrivateKeyRedacted checks that printing a notarization does
// not print its dedicated key.
func TestNotarizationPrivateKeyRedacted(t *testing.T) {
	m := loadManifest(t)
	for _, s := range parsedSamples(t, m) {
		a, arc := s.archive, s.parsed
		for i, n := range arc.Files {
			if n.Dedicated == nil {
				continue
			}
			for _, s := range []string{sprintAll(n), sprintAll(&n), sprintAll(arc)} {
				if strings.Contains(s, *a.Files[i].DedicatedPrivateKey) || strings.Contains(s, n.Dedicated.Hex()) {
					t.Fatalf("%s: printing shows the dedicated key", a.File)
				}
			}
		}
	}
}

func sprintAll(v any) string {
	var sb strings.Builder
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		sb.WriteString(fmt.Sprintf(verb, v))
	}
	return sb.String()
}
