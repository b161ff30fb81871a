package apostille

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const corpusDir = "testdata/fuzz/FuzzParse"

// FuzzParse feeds Parse arbitrary bytes. Its seeds are the sample archives,
// committed as corpus files in testdata/fuzz/FuzzParse (TestFuzzCorpus keeps
// them in step with testdata/archives), and a few archives made here.
//
// Invariants: no panic; a failure returns no archive and wraps exactly one of
// the package's parse errors; a success holds at least one notarized file,
// each consistent with its entry name and with its .nty record (the record's
// name, a message that parses, a dedicated key that derives to the
// recipient, the sink for a public apostille), within the size caps.
func FuzzParse(f *testing.F) {
	entries, err := os.ReadDir(corpusDir)
	if err != nil || len(entries) == 0 {
		f.Fatalf("no seed corpus in %s: %v", corpusDir, err)
	}
	notarized := "a -- Apostille TX " + testHash + " -- Date 2024-03-05.txt"
	f.Add(zipOf(f, false, [2]string{notarized, "x"}))
	f.Add(zipOf(f, true, [2]string{"dir/" + notarized, strings.Repeat("ab", 300)}, [2]string{"n.nty", `{"data":[]}`}))
	f.Fuzz(func(t *testing.T, data []byte) {
		arc, err := Parse(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if arc != nil {
				t.Fatalf("archive and error %v", err)
			}
			if got := parseSentinels(err); len(got) != 1 {
				t.Fatalf("error %q wraps %v", err, got)
			}
			return
		}
		if len(arc.Files) == 0 {
			t.Fatal("archive without files")
		}
		var total int64
		for i := range arc.Files {
			checkParsed(t, &arc.Files[i])
			total += int64(len(arc.Files[i].Content) + len(arc.Files[i].Certificate))
		}
		if total > DefaultMaxTotalSize {
			t.Fatalf("%d bytes read, cap %d", total, DefaultMaxTotalSize)
		}
	})
}

// checkParsed checks one parsed file's invariants.
func checkParsed(t *testing.T, n *Notarization) {
	t.Helper()
	nn, ok := parseNotarizedName(lastElement(n.EntryName))
	if !ok || nn.txHash != n.TxHash || nn.date != n.Date || strings.ToLower(n.TxHash) != n.TxHash || len(n.TxHash) != 64 {
		t.Fatalf("entry %q gives %+v, file has %s %s", n.EntryName, nn, n.TxHash, n.Date)
	}
	if int64(len(n.Content)) > DefaultMaxEntrySize {
		t.Fatalf("content of %d bytes", len(n.Content))
	}
	if n.Record == nil {
		if n.Message != nil || n.Dedicated != nil || !n.DedicatedAddress.IsZero() || n.OriginalName != nn.original() {
			t.Fatalf("record fields without a record: %+v", n)
		}
		return
	}
	m, err := ParseMessage(n.Message)
	if err != nil || m.Hash != n.Hash || m.Private != n.Private || !bytes.Equal(m.Bytes(), n.Message) {
		t.Fatalf("message %x: %v", n.Message, err)
	}
	if n.OriginalName != n.Record.Filename || n.Record.TxHash != n.TxHash {
		t.Fatalf("name %q, record %q", n.OriginalName, n.Record.Filename)
	}
	sink, ok := Sink(n.Network)
	if !ok {
		t.Fatalf("network %s", n.Network)
	}
	if n.Private {
		if n.Dedicated == nil || n.Dedicated.Address(n.Network) != n.DedicatedAddress || n.DedicatedAddress == sink {
			t.Fatalf("dedicated key does not fit %s", n.DedicatedAddress)
		}
	} else if n.Dedicated != nil || n.DedicatedAddress != sink {
		t.Fatalf("public apostille to %s", n.DedicatedAddress)
	}
}

// TestFuzzCorpus checks that every sample archive is a seed of FuzzParse.
// Run it with APOSTILLE_WRITE_CORPUS=1 after regenerating the archives to
// rewrite the seeds.
func TestFuzzCorpus(t *testing.T) {
	m := loadManifest(t)
	write := os.Getenv("APOSTILLE_WRITE_CORPUS") == "1"
	for _, a := range m.Archives {
		want := "go test fuzz v1\n[]byte(" + strconv.Quote(string(a.read(t))) + ")\n"
		path := filepath.Join(corpusDir, strings.TrimSuffix(a.File, ".zip"))
		if write {
			if err := os.MkdirAll(corpusDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) || string(got) != want {
			t.Errorf("%s is not the seed %s (rerun with APOSTILLE_WRITE_CORPUS=1): %v", a.File, path, err)
		}
	}
}
