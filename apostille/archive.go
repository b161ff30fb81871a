package apostille

import (
	"archive/zip"
	"cmp"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/nemiot/nemiot/nem"
)

// Default limits of a [Parser], the limits of [Open] and [Parse]. They are
// set for a device reading its own provisioning archive: one notarized file,
// its certificate image (about 6 MB in a real NanoWallet download) and the
// .nty history of a browser with up to a few thousand apostilles. Parsing any
// archive with them, however hostile, allocates less than 16 MiB in all: what
// Parse keeps (files, certificates, own records) and the .nty it streams
// through come from entries whose declared sizes add up to at most
// DefaultMaxTotalSize, and a .nty costs at most a few records' worth of
// memory whatever its size. Raise them, in a [Parser], to read bigger
// batches; memory then grows with MaxTotalSize.
const (
	DefaultMaxEntries    = 64
	DefaultMaxEntrySize  = 8 << 20
	DefaultMaxTotalSize  = 8 << 20
	DefaultMaxRecords    = 4096
	DefaultMaxRecordSize = 64 << 10
)

// directoryBytesPerEntry bounds the central directory a Parser lets
// archive/zip read, per allowed entry: a header (46 bytes), a name and
// JSZip's Unicode-path extra field (about as long again).
const directoryBytesPerEntry = 8 << 10

// Archive is a NanoWallet Apostille archive ("NEMsigned -- Do not Edit --
// <date>.zip"), parsed.
type Archive struct {
	// Files holds one Notarization per notarized file in the archive, in
	// archive order.
	Files []Notarization
}

// Notarization is one notarized file of an archive: the file, what its entry
// name says, and what its .nty record says about it.
//
// Fields that come from the .nty record (Hash, Private, Message, Dedicated,
// DedicatedAddress, Network) are zero when the archive has no record for the
// file (Record is then nil). Everything from the record has been checked for
// consistency (see [Parse]) but not against the chain: see [Audit].
type Notarization struct {
	// OriginalName is the name of the file that was notarized, byte for byte
	// as NanoWallet saw it, never trimmed or normalized: the .nty record's
	// filename when there is a record, otherwise the name recovered from the
	// entry name (ambiguous only for a name like "README", whose entry name
	// would also fit "README.README"; the shorter is returned).
	OriginalName string
	TxHash       string   // 64 lower-case hex: the transaction (for a multisig apostille, the outer one)
	Date         string   // YYYY-MM-DD, as written in the entry name (the notarizing browser's local date)
	Content      []byte   // the notarized file's bytes
	Hash         HashType // digest algorithm
	Private      bool     // a private ("signed", "transferable") apostille
	// Message is the apostille message (fe4e5459…), from the .nty record's
	// fileHash: the payload of the transaction's plain message.
	Message []byte
	// Dedicated is the dedicated account's private key of a private
	// apostille, from the .nty record; nil if public or without a record. It
	// derives to DedicatedAddress (checked by Parse).
	Dedicated *nem.PrivateKey
	// DedicatedAddress is the transfer's recipient: the dedicated account of
	// a private apostille, the network's sink (see [Sink]) for a public one.
	DedicatedAddress nem.Address
	// Network is the network of the record's addresses.
	Network nem.Network

	EntryName       string  // the notarized entry's full name in the archive
	CertificateName string  // the certificate entry's name; empty if the archive has none for this file
	Certificate     []byte  // the certificate image (PNG); nil if none
	Record          *Record // the .nty record of this file; nil if none
}

// Record is a .nty record: what NanoWallet noted about one apostille. The
// dedicated private key is not repeated here; see [Notarization.Dedicated].
// Owner and FromMultisig are claims of the browser that made the archive; the
// chain's transaction signer is the real owner (see [Audit]).
type Record struct {
	Filename         string      // the original file name (authoritative)
	Tags             string      // the user's free text
	FileHash         string      // the apostille message, hex
	Owner            nem.Address // the wallet account that signed; zero if the record leaves it empty
	FromMultisig     nem.Address // the multisig account it was sent for, or the owner; zero if empty (NanoWallet 1.x)
	DedicatedAccount nem.Address // the recipient: dedicated account or sink
	TxHash           string      // lower-case hex
	TxMultisigHash   string      // inner transaction hash of a multisig apostille; empty otherwise
	TimeStamp        string      // when the browser noted it, as written (Date.toUTCString)
}

// Parser reads Apostille archives with limits. The zero Parser uses the
// defaults; a Parser is safe for concurrent use.
type Parser struct {
	MaxEntries   int   // entries in the archive, directories included (0: DefaultMaxEntries)
	MaxEntrySize int64 // declared and real size of one entry, compressed or not (0: DefaultMaxEntrySize)
	MaxTotalSize int64 // sum of the declared sizes of all entries (0: DefaultMaxTotalSize)
	// MaxRecords caps the records of the .nty file, strangers' included
	// (0: DefaultMaxRecords).
	MaxRecords int
	// MaxRecordSize caps the bytes of one .nty record, with the whitespace
	// before it (0: DefaultMaxRecordSize). The .nty is read as a stream, so
	// this, not the file's size, bounds the memory it takes.
	MaxRecordSize int
}

// limits are a Parser's limits with the defaults filled in.
type limits struct {
	entries, records, recordSize int
	entry, total                 int64
}

func (p *Parser) limits() limits {
	l := limits{DefaultMaxEntries, DefaultMaxRecords, DefaultMaxRecordSize, DefaultMaxEntrySize, DefaultMaxTotalSize}
	if p == nil {
		return l
	}
	if p.MaxEntries > 0 {
		l.entries = p.MaxEntries
	}
	if p.MaxEntrySize > 0 {
		l.entry = p.MaxEntrySize
	}
	if p.MaxTotalSize > 0 {
		l.total = p.MaxTotalSize
	}
	if p.MaxRecords > 0 {
		l.records = p.MaxRecords
	}
	if p.MaxRecordSize > 0 {
		l.recordSize = p.MaxRecordSize
	}
	return l
}

// Open parses the archive in the file at path with the default limits; see
// [Parse].
func Open(path string) (*Archive, error) { return (*Parser)(nil).Open(path) }

// Parse parses the Apostille archive of size bytes in r with the default
// limits; see [Parser.Parse].
func Parse(r io.ReaderAt, size int64) (*Archive, error) { return (*Parser)(nil).Parse(r, size) }

// Open parses the archive in the file at path; see [Parser.Parse].
func (p *Parser) Open(path string) (*Archive, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("apostille: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("apostille: %w", err)
	}
	return p.Parse(f, st.Size())
}

// Parse parses an Apostille archive of size bytes read from r.
//
// The archive is untrusted. Parse refuses more entries than MaxEntries (and
// checks the count the archive declares before archive/zip allocates for it),
// entries whose declared or real size is over MaxEntrySize, declared sizes
// adding up to more than MaxTotalSize, entries that inflate past their
// declared size, entries it would read whose data overlap one another or the
// central directory (the zip bomb that inflates the same compressed bytes
// many times, [ErrZipBomb]), names that are absolute or climb out with "..",
// duplicate names, encryption and compression methods other than STORE and
// DEFLATE. No buffer is sized from a declared size alone: an entry's buffer
// is never larger than what its compressed bytes, which lie in the archive
// and are read once, can inflate to. Every error about the archive wraps
// exactly one of the package's sentinel errors ([ErrFormat], [ErrTruncated],
// [ErrZipBomb], …); only a failure of r itself (other than io.EOF) is
// returned wrapped as it is.
//
// Entries named like a notarized file ("<base> -- Apostille TX <hash> --
// Date <YYYY-MM-DD>.<ext>", in any folder) become [Notarization]s, matched to
// their certificate image and to the record of the .nty file whose txHash is
// theirs. The .nty holds the browser's whole history, strangers' records
// included: it is decoded as a stream, one record at a time, and only
// matching records are kept; the others are skipped without decoding their
// fields. A .nty of more than MaxRecords records, or with a record over
// MaxRecordSize bytes, is [ErrNty]. The matching record must be well formed
// and agree with the archive: its filename must give the entry's name, its
// fileHash must be an apostille message, a public apostille must have been
// sent to the sink of the record's network, and a private one's dedicated
// private key must derive to the record's dedicatedAccount address
// ([ErrKeyMismatch]). Directories, "__MACOSX/" and "._" entries and other
// files are skipped. An archive without a notarized file is
// [ErrNoNotarizedFile].
func (p *Parser) Parse(r io.ReaderAt, size int64) (*Archive, error) {
	lim := p.limits()
	if size < 0 {
		return nil, fmt.Errorf("%w: negative size", ErrFormat)
	}
	dir, err := checkDirectoryEnd(r, size, lim.entries)
	if err != nil {
		return nil, err
	}
	// archive/zip walks the central directory until it stops finding
	// headers, whatever the count it declares: bound what it may read.
	br := &budgetReaderAt{r: r, left: 1024 + 65*1024 + 20 + 56 + 46 + 3*65535 + 8192 + dir.size}
	zr, err := zip.NewReader(br, size)
	if err != nil && !(errors.Is(err, zip.ErrInsecurePath) && zr != nil) {
		// With GODEBUG=zipinsecurepath=0 archive/zip returns the reader and
		// ErrInsecurePath; the names are checked below either way.
		return nil, mapZipError(err)
	}
	br.left = -1 // unlimited from here on: entry reads are bounded per entry
	if len(zr.File) > lim.entries {
		return nil, fmt.Errorf("%w: %d entries, at most %d allowed", ErrTooManyEntries, len(zr.File), lim.entries)
	}

	var (
		seen      = make(map[string]bool, len(zr.File))
		total     uint64
		notarized []*zip.File
		certs     = make(map[string]*zip.File) // by tx hash
		certBase  = make(map[string]string)
		nty       *zip.File
	)
	for _, f := range zr.File {
		if !safeName(f.Name) {
			return nil, fmt.Errorf("%w: %q", ErrUnsafePath, f.Name)
		}
		if seen[f.Name] {
			return nil, fmt.Errorf("%w: two entries named %q", ErrDuplicate, f.Name)
		}
		seen[f.Name] = true
		if f.UncompressedSize64 > uint64(lim.entry) || f.CompressedSize64 > uint64(lim.entry) {
			return nil, fmt.Errorf("%w: %q declares %d bytes (%d compressed), at most %d allowed",
				ErrEntryTooLarge, f.Name, f.UncompressedSize64, f.CompressedSize64, lim.entry)
		}
		total += f.UncompressedSize64
		if total > uint64(lim.total) {
			return nil, fmt.Errorf("%w: entries declare more than %d bytes", ErrTotalTooLarge, lim.total)
		}
		name := lastElement(f.Name)
		if strings.HasSuffix(f.Name, "/") || strings.HasPrefix(f.Name, "__MACOSX/") || strings.HasPrefix(name, "._") {
			continue
		}
		if _, ok := parseNotarizedName(name); ok {
			notarized = append(notarized, f)
			continue
		}
		if base, hash, ok := parseCertificateName(name); ok {
			if certs[hash] != nil {
				return nil, fmt.Errorf("%w: two certificates for transaction %s", ErrDuplicate, hash)
			}
			certs[hash], certBase[hash] = f, base
			continue
		}
		if strings.HasSuffix(name, ".nty") {
			if nty != nil {
				return nil, fmt.Errorf("%w: two .nty files, %q and %q", ErrDuplicate, nty.Name, f.Name)
			}
			nty = f
		}
	}
	if len(notarized) == 0 {
		return nil, ErrNoNotarizedFile
	}

	// Choose what to read (each notarized file, its certificate, the .nty)
	// and check that no two of them share compressed bytes before
	// inflating any.
	type file struct {
		entry, cert *zip.File
		name        notarizedName
	}
	files := make([]file, 0, len(notarized))
	read := make([]*zip.File, 0, 2*len(notarized)+1)
	byHash := make(map[string]bool, len(notarized))
	for _, f := range notarized {
		nn, _ := parseNotarizedName(lastElement(f.Name))
		if byHash[nn.txHash] {
			return nil, fmt.Errorf("%w: two notarized files for transaction %s", ErrDuplicate, nn.txHash)
		}
		byHash[nn.txHash] = true
		fi := file{entry: f, name: nn}
		if c := certs[nn.txHash]; c != nil && certBase[nn.txHash] == nn.base {
			fi.cert = c
			read = append(read, c)
		}
		files = append(files, fi)
		read = append(read, f)
	}
	if nty != nil {
		read = append(read, nty)
	}
	if err := checkOverlap(read, dir); err != nil {
		return nil, err
	}

	a := &Archive{Files: make([]Notarization, 0, len(files))}
	for _, fi := range files {
		content, err := readEntry(fi.entry)
		if err != nil {
			return nil, err
		}
		n := Notarization{
			OriginalName: fi.name.original(),
			TxHash:       fi.name.txHash,
			Date:         fi.name.date,
			Content:      content,
			EntryName:    fi.entry.Name,
		}
		if fi.cert != nil {
			if n.Certificate, err = readEntry(fi.cert); err != nil {
				return nil, err
			}
			n.CertificateName = fi.cert.Name
		}
		a.Files = append(a.Files, n)
	}

	if nty == nil {
		return a, nil
	}
	records, err := readNty(nty, byHash, lim.records, lim.recordSize)
	if err != nil {
		return nil, err
	}
	for i := range a.Files {
		n := &a.Files[i]
		rec := records[n.TxHash]
		if rec == nil {
			continue
		}
		if err := n.applyRecord(rec, !files[i].entry.NonUTF8); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// checkOverlap refuses entries whose data (compressed bytes) overlap one
// another or the central directory: archive/zip lets every directory record
// point anywhere, so one small deflated stream could otherwise be inflated
// once per record. Empty entries occupy nothing.
func checkOverlap(files []*zip.File, dir directory) error {
	type span struct {
		start, end int64
		name       string
	}
	spans := make([]span, 0, len(files)+2)
	for _, f := range files {
		if err := checkMethod(f); err != nil {
			return err
		}
		off, err := f.DataOffset()
		if err != nil {
			return fmt.Errorf("%w: %q: local header: %v", mapReadError(err), f.Name, err)
		}
		if off < 0 || off > dir.start || f.CompressedSize64 > uint64(dir.start-off) {
			return fmt.Errorf("%w: the data of %q runs into the central directory", ErrZipBomb, f.Name)
		}
		end := off + int64(f.CompressedSize64)
		if end > off {
			spans = append(spans, span{off, end, strconv.Quote(f.Name)})
		}
	}
	if dir.alt.end > dir.alt.start {
		spans = append(spans, span{dir.alt.start, dir.alt.end, "the central directory"})
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	for i := 1; i < len(spans); i++ {
		if spans[i].start < spans[i-1].end {
			return fmt.Errorf("%w: the data of %s and %s overlap", ErrZipBomb, spans[i-1].name, spans[i].name)
		}
	}
	return nil
}

// maxDeflateRatio is the most bytes DEFLATE can inflate one compressed byte
// to (258-byte matches coded in 2 bits).
const maxDeflateRatio = 1032

// readEntry reads an entry's data and checks its real size and CRC-32
// against the declared ones. Its buffer is the declared size, but never more
// than the entry's compressed bytes can inflate to: an archive gets no more
// memory than it could fill with real data.
func readEntry(f *zip.File) ([]byte, error) {
	e, err := openEntry(f)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	size, packed := f.UncompressedSize64, f.CompressedSize64
	switch {
	case f.Method == zip.Store:
		size = min(size, packed)
	case packed < size/maxDeflateRatio:
		size = min(size, packed*maxDeflateRatio+1024)
	}
	buf := make([]byte, 0, size)
	for {
		var n int
		if len(buf) < cap(buf) {
			n, err = e.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
		} else {
			// The buffer holds the declared size: this read finds the
			// end and checks the CRC-32 (or more data, if ever the bound
			// was short).
			var one [1]byte
			n, err = e.Read(one[:])
			buf = append(buf, one[:n]...)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// entryReader reads an entry's data, never more than its declared size, and
// at the end checks it against the declared size and CRC-32. Instead of
// io.EOF it reports ErrZipBomb as soon as the data holds more than declared,
// ErrTruncated when it ends early and ErrChecksum on a CRC mismatch; its
// errors are sticky.
type entryReader struct {
	f    *zip.File
	rd   io.Reader
	dec  io.ReadCloser // the decompressor, nil for STORE
	left uint64        // declared bytes not read yet
	crc  uint32
	err  error
}

// checkMethod refuses an encrypted entry, or one compressed with a method
// other than STORE and DEFLATE.
func checkMethod(f *zip.File) error {
	if f.Flags&0x1 != 0 {
		return fmt.Errorf("%w: %q is encrypted", ErrUnsupported, f.Name)
	}
	if f.Method != zip.Store && f.Method != zip.Deflate {
		return fmt.Errorf("%w: %q uses compression method %d", ErrUnsupported, f.Name, f.Method)
	}
	return nil
}

func openEntry(f *zip.File) (*entryReader, error) {
	if err := checkMethod(f); err != nil {
		return nil, err
	}
	raw, err := f.OpenRaw()
	if err != nil {
		return nil, fmt.Errorf("%w: %q: local header: %v", mapReadError(err), f.Name, err)
	}
	e := &entryReader{f: f, rd: raw, left: f.UncompressedSize64}
	if f.Method == zip.Deflate {
		e.dec = flate.NewReader(raw)
		e.rd = e.dec
	}
	return e, nil
}

func (e *entryReader) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if uint64(len(p)) > e.left+1 {
		p = p[:e.left+1] // one byte more than declared is enough to tell
	}
	n, err := e.rd.Read(p)
	if uint64(n) > e.left {
		n = int(e.left)
		e.err = fmt.Errorf("%w: %q declares %d bytes and holds more", ErrZipBomb, e.f.Name, e.f.UncompressedSize64)
	}
	e.crc = crc32.Update(e.crc, crc32.IEEETable, p[:n])
	e.left -= uint64(n)
	switch {
	case e.err != nil:
	case err == io.EOF && e.left > 0:
		e.err = fmt.Errorf("%w: %q declares %d bytes, holds %d", ErrTruncated, e.f.Name,
			e.f.UncompressedSize64, e.f.UncompressedSize64-e.left)
	case err == io.EOF && e.crc != e.f.CRC32:
		e.err = fmt.Errorf("%w: %q", ErrChecksum, e.f.Name)
	case err != nil:
		e.err = err
		if err != io.EOF {
			e.err = fmt.Errorf("%w: %q: %v", mapReadError(err), e.f.Name, err)
		}
	}
	return n, e.err
}

// Close releases the decompressor.
func (e *entryReader) Close() error {
	if e.dec != nil {
		return e.dec.Close()
	}
	return nil
}

func mapReadError(err error) error {
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return ErrTruncated
	case errors.As(err, &corrupt), errors.Is(err, zip.ErrFormat):
		return ErrFormat
	}
	return ErrFormat
}

// mapZipError turns an error of zip.NewReader into the package's.
func mapZipError(err error) error {
	switch {
	case errors.Is(err, errDirectoryBudget):
		return fmt.Errorf("%w: central directory too large", ErrTooManyEntries)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("%w: central directory: %v", ErrTruncated, err)
	}
	return fmt.Errorf("%w: %v", ErrFormat, err)
}

var errDirectoryBudget = errors.New("apostille: central directory read budget exhausted")

// budgetReaderAt fails reads once left bytes have been read; left < 0 means
// no limit.
type budgetReaderAt struct {
	r    io.ReaderAt
	left int64
}

func (b *budgetReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if b.left >= 0 {
		if int64(len(p)) > b.left {
			return 0, errDirectoryBudget
		}
		b.left -= int64(len(p))
	}
	return b.r.ReadAt(p, off)
}

const (
	sigLocal     = 0x04034b50
	sigDirectory = 0x02014b50
	sigEnd       = 0x06054b50
	sigEnd64Loc  = 0x07064b50
	sigEnd64     = 0x06064b50
	endLen       = 22
	end64LocLen  = 20
	end64Len     = 56
	maxEndSearch = 65*1024 + endLen
)

// directory is where an archive's central directory lies, as archive/zip
// finds it.
type directory struct {
	size  int64 // its declared size
	start int64 // where it starts when it ends at the end record: entry data must end before
	// alt is where archive/zip may read it instead, when the end record's
	// offset disagrees with its position (archive/zip then tries the
	// offset as written); empty otherwise.
	alt struct{ start, end int64 }
}

// checkDirectoryEnd finds the end-of-central-directory record the way
// archive/zip does and checks, before archive/zip allocates for them, the
// number of entries and the directory size it declares. It returns where the
// directory lies. An archive with no end record is truncated if it starts
// like a zip, and not a zip otherwise.
func checkDirectoryEnd(r io.ReaderAt, size int64, maxEntries int) (directory, error) {
	n := min(size, maxEndSearch)
	tail := make([]byte, n)
	if _, err := r.ReadAt(tail, size-n); err != nil && !errors.Is(err, io.EOF) {
		return directory{}, fmt.Errorf("apostille: reading archive: %w", err)
	}
	at := -1
	for i := len(tail) - endLen; i >= 0; i-- {
		if binary.LittleEndian.Uint32(tail[i:]) == sigEnd {
			at = i
			break
		}
	}
	if at < 0 {
		var head [4]byte
		if _, err := r.ReadAt(head[:], 0); err == nil && binary.LittleEndian.Uint32(head[:]) == sigLocal {
			return directory{}, fmt.Errorf("%w: no end of central directory", ErrTruncated)
		}
		return directory{}, fmt.Errorf("%w: no end of central directory", ErrFormat)
	}
	end := tail[at:]
	records := uint64(binary.LittleEndian.Uint16(end[10:]))
	dirSize := uint64(binary.LittleEndian.Uint32(end[12:]))
	dirOffset := uint64(binary.LittleEndian.Uint32(end[16:]))
	endOffset := size - n + int64(at)
	if records == 0xffff || dirSize == 0xffff || dirOffset == 0xffffffff {
		// Possibly zip64: read the locator and the zip64 end record as
		// archive/zip will.
		var loc [end64LocLen]byte
		if endOffset >= end64LocLen {
			if _, err := r.ReadAt(loc[:], endOffset-end64LocLen); err == nil &&
				binary.LittleEndian.Uint32(loc[0:]) == sigEnd64Loc &&
				binary.LittleEndian.Uint32(loc[4:]) == 0 && binary.LittleEndian.Uint32(loc[16:]) == 1 {
				off := binary.LittleEndian.Uint64(loc[8:])
				var e64 [end64Len]byte
				if off <= uint64(size) {
					if _, err := r.ReadAt(e64[:], int64(off)); err == nil && binary.LittleEndian.Uint32(e64[0:]) == sigEnd64 {
						records = binary.LittleEndian.Uint64(e64[32:])
						dirSize = binary.LittleEndian.Uint64(e64[40:])
						dirOffset = binary.LittleEndian.Uint64(e64[48:])
						endOffset = int64(off)
					}
				}
			}
		}
	}
	if records > uint64(maxEntries) {
		return directory{}, fmt.Errorf("%w: archive declares %d entries, at most %d allowed", ErrTooManyEntries, records, maxEntries)
	}
	if dirSize > uint64(maxEntries)*directoryBytesPerEntry {
		return directory{}, fmt.Errorf("%w: central directory of %d bytes", ErrTooManyEntries, dirSize)
	}
	d := directory{size: int64(dirSize), start: endOffset - int64(dirSize)}
	// archive/zip reads the directory at start, unless the offset written
	// in the end record is smaller and a directory header is found there.
	if d.start > 0 && dirOffset < uint64(d.start) {
		var sig [4]byte
		if _, err := r.ReadAt(sig[:], int64(dirOffset)); err == nil && binary.LittleEndian.Uint32(sig[:]) == sigDirectory {
			d.alt.start, d.alt.end = int64(dirOffset), int64(dirOffset)+d.size
		}
	}
	return d, nil
}
