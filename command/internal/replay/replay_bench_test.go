package replay

import (
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
)

// The replay cache's benchmarks drive it as a device under load does: one
// envelope every tick, dated now, so its entry expires one window (30 s) later.

// replayKeys returns n distinct pseudo-random keys from several senders.
func replayKeys(n int) []Key {
	r := rand.NewChaCha8([32]byte{'r', 'e', 'p', 'l', 'a', 'y'})
	keys := make([]Key, n)
	var senders [8]Key
	for i := range senders {
		r.Read(senders[i].Sender[:])
	}
	for i := range keys {
		keys[i].Sender = senders[i%len(senders)].Sender
		r.Read(keys[i].Nonce[:])
	}
	return keys
}

// BenchmarkReplayMemory fills a cache of the default capacity with
// defaultCapacity live entries and reports the heap it holds per entry
// (HeapInuse before and after, after a GC each time). "spread" dates the
// envelopes evenly over one window, as a device taking commands at the
// rate that just fills it; "burst" dates them all in the same millisecond.
// allocB/entry is all the heap allocated while filling, garbage included.
// impl=map is the plain Go map the table replaces (map[Key]int64, the key
// and its expiry, nothing else): the figure in the package documentation.
func BenchmarkReplayMemory(b *testing.B) {
	const n = defaultCapacity
	keys := replayKeys(n)
	win := defaultWindowMs
	const t0ms = 1_000_000_000_000
	for _, tc := range []struct {
		name string
		at   func(i int) int64 // the i-th envelope's date, Unix ms
	}{
		{"spread", func(i int) int64 { return t0ms + int64(i)*win/n }},
		{"burst", func(int) int64 { return t0ms }},
	} {
		for _, impl := range []string{"table", "map"} {
			b.Run(tc.name+"/impl="+impl, func(b *testing.B) {
				var perEntry, allocPerEntry float64
				for b.Loop() {
					var before, after runtime.MemStats
					runtime.GC()
					runtime.ReadMemStats(&before)
					var keep any
					if impl == "map" {
						m := map[Key]int64{}
						for i, k := range keys {
							m[k] = tc.at(i) + win
						}
						keep = m
					} else {
						c := New(n, defaultWindowMs)
						for i, k := range keys {
							t := tc.at(i)
							if err := c.Add(k, t+win, t); err != nil {
								b.Fatalf("entry %d: %v", i, err)
							}
						}
						if c.Len() != n {
							b.Fatalf("cache holds %d entries, want %d", c.Len(), n)
						}
						keep = c
					}
					runtime.GC()
					runtime.ReadMemStats(&after)
					perEntry = float64(int64(after.HeapInuse)-int64(before.HeapInuse)) / n
					allocPerEntry = float64(after.TotalAlloc-before.TotalAlloc) / n
					runtime.KeepAlive(keep)
				}
				b.ReportMetric(perEntry, "B/entry")
				b.ReportMetric(allocPerEntry, "allocB/entry")
			})
		}
	}
}

// BenchmarkReplayAdd is one insert into a cache in its steady state: a
// fresh nonce every 400 µs, so that about 75,000 entries are live and one
// expires for each one added. B/entry is the heap the cache then holds
// per live entry.
func BenchmarkReplayAdd(b *testing.B) {
	const live = 75_000
	keys := replayKeys(1 << 18) // reused only long after they expired
	win := defaultWindowMs
	const t0us = 1_000_000_000_000_000
	tick := (defaultWindowMs * 1000) / live
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c := New(defaultCapacity, defaultWindowMs)
	i := 0
	add := func() {
		now := (t0us + int64(i)*tick) / 1000
		if err := c.Add(keys[i%len(keys)], now+win, now); err != nil {
			b.Fatalf("add %d: %v", i, err)
		}
		i++
	}
	for range 2 * live { // reach the steady state
		add()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		add()
	}
	b.StopTimer()
	n := c.Len()
	if n < live-1000 || n > live+1000 {
		b.Fatalf("cache holds %d entries, want about %d", n, live)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(int64(after.HeapInuse)-int64(before.HeapInuse))/float64(n), "B/entry")
	runtime.KeepAlive(c)
	runtime.KeepAlive(keys)
}

// BenchmarkReplayAddParallel is BenchmarkReplayAdd from every P at once,
// each with its own keys and one shared clock.
func BenchmarkReplayAddParallel(b *testing.B) {
	keys := replayKeys(1 << 18)
	win := defaultWindowMs
	c := New(defaultCapacity, defaultWindowMs)
	const t0ms = 1_000_000_000_000
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			now := t0ms + int64(i)*2/5 // 400 µs a tick, as above
			if err := c.Add(keys[i%int64(len(keys))], now+win, now); err != nil && err != ErrForgotten {
				b.Errorf("add %d: %v", i, err)
				return
			}
		}
	})
}
