package command

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// FileStore is a [ReplayStore] in one file: a 16-byte magic line, then one
// 60-byte record per accepted envelope (sender 32 | nonce 16 | expiry, Unix
// milliseconds, 8 big-endian | CRC-32C of the 56 bytes before, 4), appended
// and fsynced before Save returns. Load rewrites the file with only the live
// entries (write to a temporary file, fsync, rename, fsync the directory),
// and Save does the same when expired records outnumber live ones. A torn
// record at the end (a crash during Save, whose envelope was then never
// acted on) and records with a bad checksum are skipped.
//
// One FileStore serves one Opener; two processes must not share the file.
// Keep it on storage that survives a reboot.
type FileStore struct {
	path string

	mu      sync.Mutex
	f       *os.File
	entries []ReplayEntry // every record in the file since it was last rewritten
	closed  bool

	compactAt int // records in the file before Save considers a rewrite; 0 means minCompact
}

const (
	fileMagic     = "nemiot-replay/v1"
	recordSize    = 60
	maxStoreBytes = 64 << 20
	minCompact    = 4096
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// OpenFileStore opens the store at path, creating an empty one if the file
// does not exist. A file that is not a replay store is an error (it is
// never overwritten).
func OpenFileStore(path string) (*FileStore, error) {
	s := &FileStore{path: path}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if errors.Is(err, os.ErrNotExist) {
		if err := s.rewrite(nil); err != nil {
			return nil, err
		}
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("command: replay store: %w", err)
	}
	s.f = f
	if s.entries, err = s.read(); err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// read returns every intact record in the file.
func (s *FileStore) read() ([]ReplayEntry, error) {
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("command: replay store: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(s.f, maxStoreBytes+1))
	if err != nil {
		return nil, fmt.Errorf("command: replay store: %w", err)
	}
	if len(data) > maxStoreBytes {
		return nil, fmt.Errorf("command: replay store: %s is larger than %d bytes", s.path, maxStoreBytes)
	}
	if len(data) < len(fileMagic) || string(data[:len(fileMagic)]) != fileMagic {
		return nil, fmt.Errorf("command: replay store: %s is not a replay store file", s.path)
	}
	data = data[len(fileMagic):]
	var out []ReplayEntry
	for ; len(data) >= recordSize; data = data[recordSize:] {
		rec := data[:recordSize]
		if crc32.Checksum(rec[:56], castagnoli) != binary.BigEndian.Uint32(rec[56:]) {
			continue
		}
		var e ReplayEntry
		copy(e.Sender[:], rec[0:32])
		copy(e.Nonce[:], rec[32:48])
		e.Expires = time.UnixMilli(int64(binary.BigEndian.Uint64(rec[48:56])))
		out = append(out, e)
	}
	return out, nil
}

// Load reads the file, keeps the entries still live at now, rewrites the
// file with only those, and returns them.
func (s *FileStore) Load(ctx context.Context, now time.Time) ([]ReplayEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errStoreClosed
	}
	all, err := s.read()
	if err != nil {
		return nil, err
	}
	live := liveEntries(all, now)
	if err := s.rewrite(live); err != nil {
		return nil, err
	}
	return live, nil
}

func liveEntries(all []ReplayEntry, now time.Time) []ReplayEntry {
	nowMs := now.UnixMilli()
	var live []ReplayEntry
	for _, e := range all {
		if e.Expires.UnixMilli() >= nowMs {
			live = append(live, e)
		}
	}
	return live
}

// Save appends e and fsyncs the file.
func (s *FileStore) Save(ctx context.Context, e ReplayEntry, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errStoreClosed
	}
	var rec [recordSize]byte
	encodeRecord(rec[:], e)
	if _, err := s.f.Write(rec[:]); err != nil {
		return fmt.Errorf("command: replay store: %w", err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("command: replay store: %w", err)
	}
	s.entries = append(s.entries, e)
	if len(s.entries) >= cmp.Or(s.compactAt, minCompact) {
		if live := liveEntries(s.entries, now); 2*len(live) <= len(s.entries) {
			return s.rewrite(live)
		}
	}
	return nil
}

// Close closes the file. The store cannot be used afterwards.
func (s *FileStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.f == nil {
		return nil
	}
	return s.f.Close()
}

var errStoreClosed = errors.New("command: replay store is closed")

func encodeRecord(rec []byte, e ReplayEntry) {
	copy(rec[0:32], e.Sender[:])
	copy(rec[32:48], e.Nonce[:])
	binary.BigEndian.PutUint64(rec[48:56], uint64(e.Expires.UnixMilli()))
	binary.BigEndian.PutUint32(rec[56:60], crc32.Checksum(rec[:56], castagnoli))
}

// rewrite atomically replaces the file with one holding entries, and
// reopens it for appending. Called with mu held (or before s is shared).
func (s *FileStore) rewrite(entries []ReplayEntry) error {
	dir := filepath.Dir(s.path)
	tmp, err := os.CreateTemp(dir, filepath.Base(s.path)+".tmp*")
	if err != nil {
		return fmt.Errorf("command: replay store: %w", err)
	}
	tmpName := tmp.Name()
	fail := func(err error) error {
		tmp.Close()
		os.Remove(tmpName)
		return fmt.Errorf("command: replay store: %w", err)
	}
	buf := make([]byte, 0, len(fileMagic)+len(entries)*recordSize)
	buf = append(buf, fileMagic...)
	var rec [recordSize]byte
	for _, e := range entries {
		encodeRecord(rec[:], e)
		buf = append(buf, rec[:]...)
	}
	if _, err := tmp.Write(buf); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmpName)
		return fmt.Errorf("command: replay store: %w", err)
	}
	if err := os.Rename(tmpName, s.path); err != nil {
		os.Remove(tmpName)
		return fmt.Errorf("command: replay store: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: not every system can fsync a directory
		d.Close()
	}
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("command: replay store: %w", err)
	}
	if s.f != nil {
		s.f.Close()
	}
	s.f = f
	s.entries = append(s.entries[:0], entries...)
	return nil
}
