package apostille

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nemiot/nemiot/nem"
)

// heapBudget is what parsing one archive, however hostile, may allocate in
// all (garbage included, so the heap never grows by more) with the default
// limits, or with the larger limits of oldLimits when the archive is refused
// or its .nty is mostly strangers' records.
const heapBudget = 16 << 20

// oldLimits are the package's defaults before they were lowered: the limits
// under which a 65 KB archive used to cost 61 MiB of heap.
var oldLimits = Parser{MaxEntrySize: 16 << 20, MaxTotalSize: 64 << 20}

// rawEntry is a central directory record of a hand-made archive.
type rawEntry struct {
	name         string
	method       uint16
	crc          uint32
	csize, usize uint32
	offset       uint32
}

// localHeader returns e's local file header (sizes and CRC in it, no data
// descriptor).
func localHeader(e rawEntry) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 0x04034b50)
	b = binary.LittleEndian.AppendUint16(b, 20)
	b = binary.LittleEndian.AppendUint16(b, 0) // flags
	b = binary.LittleEndian.AppendUint16(b, e.method)
	b = binary.LittleEndian.AppendUint32(b, 0) // time, date
	b = binary.LittleEndian.AppendUint32(b, e.crc)
	b = binary.LittleEndian.AppendUint32(b, e.csize)
	b = binary.LittleEndian.AppendUint32(b, e.usize)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(e.name)))
	b = binary.LittleEndian.AppendUint16(b, 0) // extra
	return append(b, e.name...)
}

// appendDirectory appends the central directory of entries and the end
// record to the archive body.
func appendDirectory(body []byte, entries []rawEntry) []byte {
	start := len(body)
	for _, e := range entries {
		b := binary.LittleEndian.AppendUint32(nil, 0x02014b50)
		b = binary.LittleEndian.AppendUint16(b, 20) // made by
		b = binary.LittleEndian.AppendUint16(b, 20) // needed
		b = binary.LittleEndian.AppendUint16(b, 0)
		b = binary.LittleEndian.AppendUint16(b, e.method)
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = binary.LittleEndian.AppendUint32(b, e.crc)
		b = binary.LittleEndian.AppendUint32(b, e.csize)
		b = binary.LittleEndian.AppendUint32(b, e.usize)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(e.name)))
		b = binary.LittleEndian.AppendUint16(b, 0) // extra
		b = binary.LittleEndian.AppendUint16(b, 0) // comment
		b = binary.LittleEndian.AppendUint16(b, 0) // disk
		b = binary.LittleEndian.AppendUint16(b, 0) // internal attributes
		b = binary.LittleEndian.AppendUint32(b, 0) // external attributes
		b = binary.LittleEndian.AppendUint32(b, e.offset)
		body = append(append(body, b...), e.name...)
	}
	b := binary.LittleEndian.AppendUint32(nil, 0x06054b50)
	b = binary.LittleEndian.AppendUint32(b, 0) // disks
	b = binary.LittleEndian.AppendUint16(b, uint16(len(entries)))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(entries)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(body)-start))
	b = binary.LittleEndian.AppendUint32(b, uint32(start))
	b = binary.LittleEndian.AppendUint16(b, 0) // comment
	return append(body, b...)
}

// deflated compresses data with DEFLATE at the best level.
func deflated(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// notarizedEntry names a notarized file "a.txt" of transaction i.
func notarizedEntry(i int) string {
	return fmt.Sprintf("a -- Apostille TX %064x -- Date 2024-03-05.txt", i+1)
}

// overlappingZip returns an archive of n notarized entries whose central
// directory records all point at one local header: size zero bytes,
// deflated, read n times over.
func overlappingZip(t testing.TB, n, size int) []byte {
	t.Helper()
	content := make([]byte, size)
	data := deflated(t, content)
	entries := make([]rawEntry, n)
	for i := range entries {
		entries[i] = rawEntry{name: notarizedEntry(i), method: 8, crc: crc32.ChecksumIEEE(content),
			csize: uint32(len(data)), usize: uint32(size)}
	}
	body := append(localHeader(entries[0]), data...)
	return appendDirectory(body, entries)
}

// publicRecord returns a well-formed .nty record of a public SHA-256
// apostille of content named "a.txt", transaction hash.
func publicRecord(t testing.TB, hash string, content []byte) string {
	t.Helper()
	m, err := NewMessage(nil, SHA256, content, false)
	if err != nil {
		t.Fatal(err)
	}
	sink, _ := Sink(nem.Testnet)
	return fmt.Sprintf(`{"filename":"a.txt","tags":"t","fileHash":"%s","owner":"","fromMultisig":"",`+
		`"dedicatedAccount":"%s","dedicatedPrivateKey":"None (public sink)","txHash":"%s","txMultisigHash":"",`+
		`"timeStamp":"Tue, 05 Mar 2024 14:07:12 GMT"}`, hex.EncodeToString(m.Bytes()), sink, hash)
}

// strangerRecord is a record of someone else's private apostille, as a
// browser's history holds them: about 600 bytes, with its private key.
const strangerRecord = `{"filename":"holiday photo.jpg","tags":"holiday","fileHash":"fe4e5459830000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",` +
	`"owner":"TALICEROONSJCPHC63F52V6FY3SDMSVAEUGHMB7C","fromMultisig":"TALICEROONSJCPHC63F52V6FY3SDMSVAEUGHMB7C",` +
	`"dedicatedAccount":"TBZ6JXJ3X6NYQZKRWGOZM6DQYTRMZFDUZWRLGVGB","dedicatedPrivateKey":"0000000000000000000000000000000000000000000000000000000000000000",` +
	`"txHash":"1111111111111111111111111111111111111111111111111111111111111111","txMultisigHash":"","timeStamp":"Tue, 05 Mar 2024 14:07:12 GMT"}`

// ntyOf returns a .nty file of the records, in order, padded with copies of
// strangerRecord to at least size bytes.
func ntyOf(size int, records ...string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"data":[`)
	for i, r := range records {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(r)
	}
	for b.Len() < size-2 {
		if b.Len() > len(`{"data":[`) {
			b.WriteByte(',')
		}
		b.WriteString(strangerRecord)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// ntyZip returns an archive of the notarized file "a.txt" of transaction
// testHash with content and the .nty file nty, both deflated.
func ntyZip(t testing.TB, content, nty []byte) []byte {
	t.Helper()
	var body []byte
	var entries []rawEntry
	for _, e := range [][2]any{{"a -- Apostille TX " + testHash + " -- Date 2024-03-05.txt", content}, {"Nty-file-2024-03-05.nty", nty}} {
		name, data := e[0].(string), e[1].([]byte)
		packed := deflated(t, data)
		h := rawEntry{name: name, method: 8, crc: crc32.ChecksumIEEE(data),
			csize: uint32(len(packed)), usize: uint32(len(data)), offset: uint32(len(body))}
		body = append(append(body, localHeader(h)...), packed...)
		entries = append(entries, h)
	}
	return appendDirectory(body, entries)
}

// TestParseHostileHeap parses archives built to cost memory and checks that
// each costs less than 16 MiB of allocations in all: the 65 KB
// archive with a 16 MiB .nty (61 MiB of heap before .nty streaming) and its
// 17 KB archive of overlapping entries inflating to 64 MiB, both under the
// old, larger limits, and the largest archives the default limits admit.
func TestParseHostileHeap(t *testing.T) {
	const ntySize = 16<<20 - 1<<10
	x := []byte("x")
	own := publicRecord(t, testHash, x)
	// The largest archive the defaults admit: DefaultMaxRecords records and
	// a file that fills the rest of DefaultMaxTotalSize.
	full := ntyOf(0, own)
	for range DefaultMaxRecords - 1 {
		full = append(append(full[:len(full)-2], ","+strangerRecord...), "]}"...)
	}
	bigNty, overlapping := ntyZip(t, x, ntyOf(ntySize, own)), overlappingZip(t, 4, 16<<20)
	tests := []struct {
		name   string
		data   []byte
		parser *Parser
		want   error // nil: success
	}{
		{"16 MiB .nty, old limits", bigNty, &oldLimits, ErrNty},
		{"16 MiB .nty, old limits, all records", bigNty,
			&Parser{MaxEntrySize: oldLimits.MaxEntrySize, MaxTotalSize: oldLimits.MaxTotalSize, MaxRecords: 1 << 20}, nil},
		{"16 MiB .nty, defaults", bigNty, nil, ErrEntryTooLarge},
		{"16 MiB .nty record", ntyZip(t, x, ntyOf(0, own, `{"tags":"`+strings.Repeat("a", ntySize)+`"}`)), &oldLimits, ErrNty},
		{"overlapping 4x16 MiB, old limits", overlapping, &oldLimits, ErrZipBomb},
		{"overlapping 4x16 MiB, defaults", overlapping, nil, ErrEntryTooLarge},
		{"overlapping 2x4 MiB, defaults", overlappingZip(t, 2, 4<<20), nil, ErrZipBomb},
		{"every default cap", ntyZip(t, make([]byte, DefaultMaxTotalSize-len(full)), full), nil, nil},
		{"one file of every default cap", overlappingZip(t, 1, DefaultMaxTotalSize), nil, nil},
		{"one record too many", ntyZip(t, x, append(full[:len(full)-2], ",{}]}"...)), nil, ErrNty},
	}
	for _, tc := range tests {
		var err error
		alloc := bytesPerRun(1, func() {
			_, err = tc.parser.Parse(bytes.NewReader(tc.data), int64(len(tc.data)))
		})
		t.Logf("%s: %d byte archive, %.1f MiB allocated, %v", tc.name, len(tc.data), float64(alloc)/(1<<20), err)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: Parse: %v, want %v", tc.name, err, tc.want)
		}
		if alloc > heapBudget {
			t.Errorf("%s: Parse allocated %d bytes, want at most %d", tc.name, alloc, heapBudget)
		}
	}
}

// quotedOverlapZip returns an archive with Fifield's quoted overlap: a
// stored entry whose data is the next entry's local header and data.
func quotedOverlapZip(t testing.TB) []byte {
	inner := []byte(strings.Repeat("inner ", 100))
	packed := deflated(t, inner)
	b := rawEntry{name: notarizedEntry(1), method: 8, crc: crc32.ChecksumIEEE(inner),
		csize: uint32(len(packed)), usize: uint32(len(inner))}
	quoted := append(localHeader(b), packed...)
	a := rawEntry{name: notarizedEntry(0), crc: crc32.ChecksumIEEE(quoted), csize: uint32(len(quoted)), usize: uint32(len(quoted))}
	body := localHeader(a)
	b.offset = uint32(len(body))
	return appendDirectory(append(body, quoted...), []rawEntry{a, b})
}

// intoDirectoryZip returns an archive with a stored entry whose declared
// size runs into the central directory.
func intoDirectoryZip() []byte {
	content := []byte("hello")
	c := rawEntry{name: notarizedEntry(0), crc: crc32.ChecksumIEEE(content), csize: 15, usize: 15}
	return appendDirectory(append(localHeader(c), content...), []rawEntry{c})
}

// TestParseRefusesOverlappingEntries checks that entries whose data overlap
// one another or the central directory are refused before anything is
// inflated, and that archives whose entries merely sit after a prefix (a
// self-extracting stub) still parse.
func TestParseRefusesOverlappingEntries(t *testing.T) {
	// Two empty entries on one local header share no bytes.
	e0, e1 := rawEntry{name: notarizedEntry(0)}, rawEntry{name: notarizedEntry(1)}
	empties := appendDirectory(localHeader(e0), []rawEntry{e0, e1})

	notarized := "a -- Apostille TX " + testHash + " -- Date 2024-03-05.txt"
	prefixed := append([]byte(strings.Repeat("#!/bin/sh\n", 10)), zipOf(t, true, [2]string{notarized, "x"}, [2]string{"n.nty", `{"data":[]}`})...)

	tests := []struct {
		name  string
		data  []byte
		want  error // nil: success
		files int   // on success
	}{
		{"one local header, two entries", overlappingZip(t, 2, 1000), ErrZipBomb, 0},
		{"quoted overlap", quotedOverlapZip(t), ErrZipBomb, 0},
		{"data into the central directory", intoDirectoryZip(), ErrZipBomb, 0},
		{"self-extracting prefix", prefixed, nil, 1},
		{"empty entries on one header", empties, nil, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			arc, err := Parse(bytes.NewReader(tc.data), int64(len(tc.data)))
			if tc.want == nil {
				if err != nil || len(arc.Files) != tc.files {
					t.Fatalf("Parse = %v, %v", arc, err)
				}
				return
			}
			if arc != nil || !errors.Is(err, tc.want) || len(parseSentinels(err)) != 1 {
				t.Fatalf("Parse = %v, %v; want %v", arc, err, tc.want)
			}
		})
	}
}

// TestParseNtyStream checks the streamed .nty: the record of the archive's
// transaction is found among strangers' whatever its form, the limits on
// records hold, and the .nty entry is still checked to its end.
func TestParseNtyStream(t *testing.T) {
	x := []byte("x")
	own := publicRecord(t, testHash, x)
	upper := strings.Replace(own, testHash, strings.ToUpper(testHash), 1)
	var escaped strings.Builder
	for _, c := range testHash {
		fmt.Fprintf(&escaped, `\u%04x`, c)
	}
	escapedOwn := strings.Replace(own, testHash, escaped.String(), 1)
	conflicting := strings.Replace(own, `"tags":"t","fileHash":"fe4e5459`, `"tags":"t","fileHash":"FE4E5459`, 1)
	conflicting = strings.Replace(conflicting, `"filename":"a.txt"`, `"filename":"b.txt"`, 1)
	nty := func(records ...string) []byte { return ntyOf(0, records...) }

	badCRC := ntyZip(t, x, nty(own))
	// The .nty's CRC-32 is the last CRC field of the central directory.
	zr := must(t, badCRC)
	dirCRC := bytes.LastIndex(badCRC, binary.LittleEndian.AppendUint32(nil, zr.File[1].CRC32))
	badCRC[dirCRC] ^= 1

	tests := []struct {
		name    string
		nty     []byte
		parser  *Parser
		want    error // nil: success
		hasRecd bool
	}{
		{"own among strangers", ntyOf(100<<10, strangerRecord, own), nil, nil, true},
		{"byte order mark", append([]byte("\xef\xbb\xbf"), nty(own)...), nil, nil, true},
		{"upper-case txHash", nty(upper), nil, nil, true},
		{"escaped txHash", nty(escapedOwn), nil, nil, true},
		{"agreeing duplicates", nty(own, strangerRecord, own), nil, nil, true},
		{"conflicting duplicates", nty(own, conflicting), nil, ErrRecord, false},
		{"other members and whitespace", []byte(" {\"v\": [1, {\"data\": 2}], \"data\" : [ " + own + " ] , \"w\": null }\n"), nil, nil, true},
		{"elements that are not records", nty(`[]`, `7`, `null`, `{"txHash":7}`, `{"txHash":"`+strings.Repeat("a", 500)+`"}`, own), nil, nil, true},
		{"empty", []byte{}, nil, ErrNty, false},
		{"not an object", []byte(`[]`), nil, ErrNty, false},
		{"data null", []byte(`{"data":null}`), nil, ErrNty, false},
		{"data not an array", []byte(`{"data":{}}`), nil, ErrNty, false},
		{"two data members", []byte(`{"data":[],"data":[]}`), nil, ErrNty, false},
		{"no data member", []byte(`{"other":[]}`), nil, ErrNty, false},
		{"cut short", nty(own)[:100], nil, ErrNty, false},
		{"after the object", append(nty(own), "{}"...), nil, ErrNty, false},
		{"records at the cap", nty(own, "{}"), &Parser{MaxRecords: 2}, nil, true},
		{"records over the cap", nty(own, "{}", "{}"), &Parser{MaxRecords: 2}, ErrNty, false},
		{"record at the size cap", nty(own), &Parser{MaxRecordSize: len(own) + 10}, nil, true},
		{"record over the size cap", nty(own), &Parser{MaxRecordSize: len(own) - 1}, ErrNty, false},
		{"member over the size cap", []byte(`{"x":"` + strings.Repeat("a", 100) + `","data":[]}`), &Parser{MaxRecordSize: 50}, ErrNty, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := ntyZip(t, x, tc.nty)
			arc, err := tc.parser.Parse(bytes.NewReader(data), int64(len(data)))
			if tc.want != nil {
				if arc != nil || !errors.Is(err, tc.want) || len(parseSentinels(err)) != 1 {
					t.Fatalf("Parse = %v, %v; want %v", arc, err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := arc.Files[0].Record != nil; got != tc.hasRecd {
				t.Fatalf("record found: %v, want %v", got, tc.hasRecd)
			}
			if err := arc.Files[0].VerifyContent(); err != nil {
				t.Errorf("VerifyContent: %v", err)
			}
		})
	}
	t.Run("bad checksum", func(t *testing.T) {
		if _, err := Parse(bytes.NewReader(badCRC), int64(len(badCRC))); !errors.Is(err, ErrChecksum) {
			t.Fatalf("Parse: %v, want ErrChecksum", err)
		}
	})
}

func must(t *testing.T, data []byte) *zip.Reader {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	return zr
}

// hostileSeeds builds the FuzzParse seeds of the overlap and .nty streaming
// cases, by seed file name, with the error each must give (nil: success).
func hostileSeeds(t testing.TB) map[string]struct {
	data []byte
	want error
} {
	x := []byte("x")
	own := publicRecord(t, testHash, x)
	var escaped strings.Builder
	for _, c := range testHash {
		fmt.Fprintf(&escaped, `\u%04x`, c)
	}
	streamed := append([]byte("\xef\xbb\xbf"), ntyOf(0, strangerRecord, `[]`, `{"txHash":7}`,
		strings.Replace(own, testHash, escaped.String(), 1), strangerRecord)...)
	type seed = struct {
		data []byte
		want error
	}
	return map[string]seed{
		"overlap-one-header":        {overlappingZip(t, 2, 1000), ErrZipBomb},
		"overlap-quoted":            {quotedOverlapZip(t), ErrZipBomb},
		"overlap-central-directory": {intoDirectoryZip(), ErrZipBomb},
		"nty-streamed":              {ntyZip(t, x, streamed), nil},
		"nty-two-data-members":      {ntyZip(t, x, []byte(`{"data":[`+own+`],"data":[]}`)), ErrNty},
		"nty-record-over-size-cap":  {ntyZip(t, x, ntyOf(0, `{"tags":"`+strings.Repeat("a", DefaultMaxRecordSize)+`"}`, own)), ErrNty},
		"nty-after-object":          {ntyZip(t, x, append(ntyOf(0, own), "{}"...)), ErrNty},
	}
}

// TestHostileSeeds checks that the committed FuzzParse seeds of the overlap
// and .nty streaming cases give the errors they were made for. Run it with
// APOSTILLE_WRITE_CORPUS=1 to rewrite them.
func TestHostileSeeds(t *testing.T) {
	write := os.Getenv("APOSTILLE_WRITE_CORPUS") == "1"
	for name, s := range hostileSeeds(t) {
		path := filepath.Join(corpusDir, name)
		if write {
			if err := os.WriteFile(path, []byte("go test fuzz v1\n[]byte("+strconv.Quote(string(s.data))+")\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		file, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (rerun with APOSTILLE_WRITE_CORPUS=1)", name, err)
		}
		quoted, ok := strings.CutPrefix(string(file), "go test fuzz v1\n[]byte(")
		quoted, ok2 := strings.CutSuffix(quoted, ")\n")
		data, err := strconv.Unquote(quoted)
		if !ok || !ok2 || err != nil {
			t.Fatalf("%s is not a []byte seed: %v", path, err)
		}
		arc, err := Parse(strings.NewReader(data), int64(len(data)))
		if s.want == nil && (err != nil || len(arc.Files) != 1) || s.want != nil && !errors.Is(err, s.want) {
			t.Errorf("%s: Parse = %v, %v; want %v", name, arc, err, s.want)
		}
	}
}

// TestParseBuffersOnlyWhatDataCanFill checks that an entry declaring the
// largest size allowed, but holding a few bytes, gets a buffer no larger
// than those bytes can inflate to.
func TestParseBuffersOnlyWhatDataCanFill(t *testing.T) {
	for _, method := range []uint16{0, 8} {
		data := []byte("short")
		if method == 8 {
			data = deflated(t, data)
		}
		e := rawEntry{name: notarizedEntry(0), method: method, csize: uint32(len(data)), usize: DefaultMaxEntrySize}
		arc := appendDirectory(append(localHeader(e), data...), []rawEntry{e})
		alloc := bytesPerRun(5, func() {
			if _, err := Parse(bytes.NewReader(arc), int64(len(arc))); !errors.Is(err, ErrTruncated) {
				t.Fatalf("method %d: Parse: %v, want ErrTruncated", method, err)
			}
		})
		if alloc > 256<<10 {
			t.Errorf("method %d: Parse allocated %d bytes for %d bytes of data", method, alloc, len(data))
		}
	}
}
