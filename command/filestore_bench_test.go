package command

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// BenchmarkFileStoreMemory opens a FileStore whose file holds 100,000 live
// records and reports the heap the open store holds per record (HeapInuse
// before and after, after a GC each time), and allocB/entry, all the heap
// allocated while opening, garbage included.
func BenchmarkFileStoreMemory(b *testing.B) {
	const n = 100_000
	path := filepath.Join(b.TempDir(), "replay")
	data := make([]byte, 0, len(fileMagic)+n*recordSize)
	data = append(data, fileMagic...)
	exp := time.UnixMilli(2_000_000_000_000)
	r := rand.NewChaCha8([32]byte{'f', 'i', 'l', 'e'})
	for i := range n {
		e := ReplayEntry{Expires: exp.Add(time.Duration(i) * time.Millisecond)}
		r.Read(e.Sender[:])
		r.Read(e.Nonce[:])
		var rec [recordSize]byte
		encodeRecord(rec[:], e)
		data = append(data, rec[:]...)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	var perEntry, allocPerEntry float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		st, err := OpenFileStore(path)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perEntry = float64(int64(after.HeapInuse)-int64(before.HeapInuse)) / n
		allocPerEntry = float64(after.TotalAlloc-before.TotalAlloc) / n
		runtime.KeepAlive(st)
		st.Close()
	}
	b.ReportMetric(perEntry, "B/entry")
	b.ReportMetric(allocPerEntry, "allocB/entry")
}
