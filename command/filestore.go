package command

import (
	"bytes"
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
// In memory it keeps only what Save needs to decide when to rewrite the
// file, each record's expiry (8 bytes a record); Load and the rewrite read
// the records back from the file.
//
// One FileStore serves one Opener; two processes must not share the file.
// Keep it on storage that survives a reboot.
type FileStore struct {
	path string

	mu       sync.Mutex
	f        *os.File
	expiries []int64 // Unix ms, of every intact record in the file since it was last rewritten
	size     int64   // bytes in the file: the magic and whole records, never a torn one
	closed   bool

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
		if err := s.rewrite(nil, nil); err != nil {
			return nil, err
		}
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("command: replay store: %w", err)
	}
	s.f = f
	data, err := s.read()
	if err != nil {
		f.Close()
		return nil, err
	}
	s.expiries = make([]int64, 0, len(data)/recordSize)
	forRecords(data, func(rec []byte) { s.expiries = append(s.expiries, recordExpiry(rec)) })
	// Cut a torn record off the end, so that the records Save appends
	// start on a record boundary (else every one of them would be misread).
	s.size = int64(len(fileMagic) + len(data)/recordSize*recordSize)
	if int64(len(fileMagic)+len(data)) != s.size {
		if err := f.Truncate(s.size); err != nil {
			f.Close()
			return nil, fmt.Errorf("command: replay store: %w", err)
		}
	}
	return s, nil
}

// read returns the file's records, after the magic: whole ones, intact or
// not, then perhaps a torn one.
func (s *FileStore) read() ([]byte, error) {
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("command: replay store: %w", err)
	}
	var buf bytes.Buffer
	if fi, err := s.f.Stat(); err == nil && fi.Size() <= maxStoreBytes {
		buf.Grow(int(fi.Size()) + bytes.MinRead) // ReadFrom then needs no more
	}
	if _, err := buf.ReadFrom(io.LimitReader(s.f, maxStoreBytes+1)); err != nil {
		return nil, fmt.Errorf("command: replay store: %w", err)
	}
	data := buf.Bytes()
	if len(data) > maxStoreBytes {
		return nil, fmt.Errorf("command: replay store: %s is larger than %d bytes", s.path, maxStoreBytes)
	}
	if len(data) < len(fileMagic) || string(data[:len(fileMagic)]) != fileMagic {
		return nil, fmt.Errorf("command: replay store: %s is not a replay store file", s.path)
	}
	return data[len(fileMagic):], nil
}

// forRecords calls fn with each intact record of data, in order.
func forRecords(data []byte, fn func(rec []byte)) {
	for ; len(data) >= recordSize; data = data[recordSize:] {
		rec := data[:recordSize]
		if crc32.Checksum(rec[:56], castagnoli) == binary.BigEndian.Uint32(rec[56:]) {
			fn(rec)
		}
	}
}

func recordExpiry(rec []byte) int64 { return int64(binary.BigEndian.Uint64(rec[48:56])) }

// liveRecords returns the intact records of data live at nowMs, packed, and
// their expiries.
func liveRecords(data []byte, nowMs int64) (live []byte, expiries []int64) {
	n := 0
	forRecords(data, func(rec []byte) {
		if recordExpiry(rec) >= nowMs {
			n++
		}
	})
	live = make([]byte, 0, n*recordSize)
	expiries = make([]int64, 0, n)
	forRecords(data, func(rec []byte) {
		if ms := recordExpiry(rec); ms >= nowMs {
			live = append(live, rec...)
			expiries = append(expiries, ms)
		}
	})
	return live, expiries
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
	data, err := s.read()
	if err != nil {
		return nil, err
	}
	live, expiries := liveRecords(data, now.UnixMilli())
	if err := s.rewrite(live, expiries); err != nil {
		return nil, err
	}
	var out []ReplayEntry
	if len(expiries) > 0 {
		out = make([]ReplayEntry, 0, len(expiries))
	}
	for rec := live; len(rec) > 0; rec = rec[recordSize:] {
		var e ReplayEntry
		copy(e.Sender[:], rec[0:32])
		copy(e.Nonce[:], rec[32:48])
		e.Expires = time.UnixMilli(recordExpiry(rec))
		out = append(out, e)
	}
	return out, nil
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
	_, err := s.f.Write(rec[:])
	if err == nil {
		err = s.f.Sync()
	}
	if err != nil {
		// Drop whatever part of the record reached the file (a short write
		// on a full disk), so later records stay aligned.
		s.f.Truncate(s.size)
		return fmt.Errorf("command: replay store: %w", err)
	}
	s.size += recordSize
	s.expiries = append(s.expiries, e.Expires.UnixMilli())
	if len(s.expiries) < cmp.Or(s.compactAt, minCompact) {
		return nil
	}
	nowMs, live := now.UnixMilli(), 0
	for _, ms := range s.expiries {
		if ms >= nowMs {
			live++
		}
	}
	if 2*live > len(s.expiries) {
		return nil
	}
	data, err := s.read()
	if err != nil {
		return err
	}
	return s.rewrite(liveRecords(data, nowMs))
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

// rewrite atomically replaces the file with one holding records (packed,
// intact) whose expiries are given, and reopens it for appending. Called
// with mu held (or before s is shared).
func (s *FileStore) rewrite(records []byte, expiries []int64) error {
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
	if _, err := tmp.Write([]byte(fileMagic)); err != nil {
		return fail(err)
	}
	if _, err := tmp.Write(records); err != nil {
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
	s.expiries = expiries
	s.size = int64(len(fileMagic) + len(records))
	return nil
}
