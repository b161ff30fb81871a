package apostille

import (
	"archive/zip"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"strings"

	"github.com/nemiot/nemiot/nem"
)

// Default limits of a [Parser]. A NanoWallet archive holds, per notarized
// file, the file and a certificate image (about 6 MB in a real download),
// plus one .nty file: the defaults fit a batch of several small device files.
// Raise them to read bigger batches.
const (
	DefaultMaxEntries   = 64
	DefaultMaxEntrySize = 16 << 20
	DefaultMaxTotalSize = 64 << 20
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
}

func (p *Parser) limits() (entries int, entry, total int64) {
	entries, entry, total = DefaultMaxEntries, DefaultMaxEntrySize, DefaultMaxTotalSize
	if p != nil {
		if p.MaxEntries > 0 {
			entries = p.MaxEntries
		}
		if p.MaxEntrySize > 0 {
			entry = p.MaxEntrySize
		}
		if p.MaxTotalSize > 0 {
			total = p.MaxTotalSize
		}
	}
	return entries, entry, total
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
// declared size, names that are absolute or climb out with "..", duplicate
// names, encryption and compression methods other than STORE and DEFLATE. No
// buffer is sized from a declared size. Every error about the archive wraps
// exactly one of the package's sentinel errors ([ErrFormat], [ErrTruncated],
// [ErrZipBomb], …); only a failure of r itself (other than io.EOF) is
// returned wrapped as it is.
//
// Entries named like a notarized file ("<base> -- Apostille TX <hash> --
// Date <YYYY-MM-DD>.<ext>", in any folder) become [Notarization]s, matched to
// their certificate image and to the record of the .nty file whose txHash is
// theirs (the .nty holds the browser's whole history, strangers' records
// included; only matching records are read, the others are skipped). The
// matching record must be well formed and agree with the archive: its
// filename must give the entry's name, its fileHash must be an apostille
// message, a public apostille must have been sent to the sink of the
// record's network, and a private one's dedicated private key must derive to
// the record's dedicatedAccount address ([ErrKeyMismatch]). Directories,
// "__MACOSX/" and "._" entries and other files are skipped. An archive
// without a notarized file is [ErrNoNotarizedFile].
func (p *Parser) Parse(r io.ReaderAt, size int64) (*Archive, error) {
	maxEntries, maxEntry, maxTotal := p.limits()
	if size < 0 {
		return nil, fmt.Errorf("%w: negative size", ErrFormat)
	}
	dirSize, err := checkDirectoryEnd(r, size, maxEntries)
	if err != nil {
		return nil, err
	}
	// archive/zip walks the central directory until it stops finding
	// headers, whatever the count it declares: bound what it may read.
	br := &budgetReaderAt{r: r, left: 1024 + 65*1024 + 20 + 56 + 46 + 3*65535 + 8192 + dirSize}
	zr, err := zip.NewReader(br, size)
	if err != nil && !(errors.Is(err, zip.ErrInsecurePath) && zr != nil) {
		// With GODEBUG=zipinsecurepath=0 archive/zip returns the reader and
		// ErrInsecurePath; the names are checked below either way.
		return nil, mapZipError(err)
	}
	br.left = -1 // unlimited from here on: entry reads are bounded per entry
	if len(zr.File) > maxEntries {
		return nil, fmt.Errorf("%w: %d entries, at most %d allowed", ErrTooManyEntries, len(zr.File), maxEntries)
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
		if f.UncompressedSize64 > uint64(maxEntry) || f.CompressedSize64 > uint64(maxEntry) {
			return nil, fmt.Errorf("%w: %q declares %d bytes (%d compressed), at most %d allowed",
				ErrEntryTooLarge, f.Name, f.UncompressedSize64, f.CompressedSize64, maxEntry)
		}
		total += f.UncompressedSize64
		if total > uint64(maxTotal) {
			return nil, fmt.Errorf("%w: entries declare more than %d bytes", ErrTotalTooLarge, maxTotal)
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

	a := &Archive{Files: make([]Notarization, 0, len(notarized))}
	utf8Name := make([]bool, 0, len(notarized))
	byHash := make(map[string]bool, len(notarized))
	for _, f := range notarized {
		nn, _ := parseNotarizedName(lastElement(f.Name))
		if byHash[nn.txHash] {
			return nil, fmt.Errorf("%w: two notarized files for transaction %s", ErrDuplicate, nn.txHash)
		}
		byHash[nn.txHash] = true
		content, err := readEntry(f)
		if err != nil {
			return nil, err
		}
		n := Notarization{
			OriginalName: nn.original(),
			TxHash:       nn.txHash,
			Date:         nn.date,
			Content:      content,
			EntryName:    f.Name,
		}
		if c := certs[nn.txHash]; c != nil && certBase[nn.txHash] == nn.base {
			if n.Certificate, err = readEntry(c); err != nil {
				return nil, err
			}
			n.CertificateName = c.Name
		}
		a.Files = append(a.Files, n)
		utf8Name = append(utf8Name, !f.NonUTF8)
	}

	if nty == nil {
		return a, nil
	}
	data, err := readEntry(nty)
	if err != nil {
		return nil, err
	}
	records, err := indexNty(data, byHash)
	if err != nil {
		return nil, err
	}
	for i := range a.Files {
		n := &a.Files[i]
		raws := records[n.TxHash]
		if len(raws) == 0 {
			continue
		}
		if err := n.applyRecord(raws, utf8Name[i]); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// readEntry reads an entry's data, never more than its declared size plus one
// byte, and checks its real size and CRC-32 against the declared ones.
func readEntry(f *zip.File) ([]byte, error) {
	if f.Flags&0x1 != 0 {
		return nil, fmt.Errorf("%w: %q is encrypted", ErrUnsupported, f.Name)
	}
	var dec func(io.Reader) io.ReadCloser
	switch f.Method {
	case zip.Store:
	case zip.Deflate:
		dec = flate.NewReader
	default:
		return nil, fmt.Errorf("%w: %q uses compression method %d", ErrUnsupported, f.Name, f.Method)
	}
	raw, err := f.OpenRaw()
	if err != nil {
		return nil, fmt.Errorf("%w: %q: local header: %v", mapReadError(err), f.Name, err)
	}
	rd := raw
	if dec != nil {
		rc := dec(raw)
		defer rc.Close()
		rd = rc
	}
	declared := f.UncompressedSize64
	data, err := io.ReadAll(io.LimitReader(rd, int64(declared)+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", mapReadError(err), f.Name, err)
	}
	switch {
	case uint64(len(data)) > declared:
		return nil, fmt.Errorf("%w: %q declares %d bytes and holds more", ErrZipBomb, f.Name, declared)
	case uint64(len(data)) < declared:
		return nil, fmt.Errorf("%w: %q declares %d bytes, holds %d", ErrTruncated, f.Name, declared, len(data))
	}
	if crc32.ChecksumIEEE(data) != f.CRC32 {
		return nil, fmt.Errorf("%w: %q", ErrChecksum, f.Name)
	}
	return data, nil
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
	sigEnd       = 0x06054b50
	sigEnd64Loc  = 0x07064b50
	sigEnd64     = 0x06064b50
	endLen       = 22
	end64LocLen  = 20
	end64Len     = 56
	maxEndSearch = 65*1024 + endLen
)

// checkDirectoryEnd finds the end-of-central-directory record the way
// archive/zip does and checks, before archive/zip allocates for them, the
// number of entries and the directory size it declares. It returns the
// declared directory size. An archive with no end record is truncated if it
// starts like a zip, and not a zip otherwise.
func checkDirectoryEnd(r io.ReaderAt, size int64, maxEntries int) (int64, error) {
	n := min(size, maxEndSearch)
	tail := make([]byte, n)
	if _, err := r.ReadAt(tail, size-n); err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("apostille: reading archive: %w", err)
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
			return 0, fmt.Errorf("%w: no end of central directory", ErrTruncated)
		}
		return 0, fmt.Errorf("%w: no end of central directory", ErrFormat)
	}
	end := tail[at:]
	records := uint64(binary.LittleEndian.Uint16(end[10:]))
	dirSize := uint64(binary.LittleEndian.Uint32(end[12:]))
	dirOffset := binary.LittleEndian.Uint32(end[16:])
	if records == 0xffff || dirSize == 0xffff || dirOffset == 0xffffffff {
		// Possibly zip64: read the locator and the zip64 end record as
		// archive/zip will.
		endOffset := size - n + int64(at)
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
					}
				}
			}
		}
	}
	if records > uint64(maxEntries) {
		return 0, fmt.Errorf("%w: archive declares %d entries, at most %d allowed", ErrTooManyEntries, records, maxEntries)
	}
	if dirSize > uint64(maxEntries)*directoryBytesPerEntry {
		return 0, fmt.Errorf("%w: central directory of %d bytes", ErrTooManyEntries, dirSize)
	}
	return int64(dirSize), nil
}
