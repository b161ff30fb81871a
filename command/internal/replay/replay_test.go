package replay

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// The Opener's defaults, which the tests use.
const (
	defaultCapacity       = 100_000
	defaultWindowMs int64 = 30_000
)

// replayModel is the replay cache's specification, as a plain map: an
// entry lives until the horizon passes its expiry.
type replayModel struct {
	max     int
	seen    map[Key]int64
	horizon int64
}

func (m *replayModel) expire(now int64) {
	m.horizon = max(m.horizon, now)
	for k, exp := range m.seen {
		if exp < m.horizon {
			delete(m.seen, k)
		}
	}
}

func (m *replayModel) add(k Key, exp, now int64) error {
	m.expire(now)
	switch _, ok := m.seen[k]; {
	case exp < m.horizon:
		return ErrForgotten
	case ok:
		return ErrSeen
	case len(m.seen) >= m.max:
		return ErrFull
	}
	m.seen[k] = exp
	return nil
}

func (m *replayModel) load(entries []Entry, now int64) {
	m.expire(now)
	for _, e := range entries {
		exp, k := e.Expires, e.Key
		if old, ok := m.seen[k]; exp < m.horizon || ok && old >= exp {
			continue
		}
		m.seen[k] = exp
	}
}

// TestReplayCacheModel drives the cache and the model with the same random
// operations (adds of new and repeated keys, dates across the window,
// clocks that step back, loads, expiries far away) and compares every
// answer and the count of live entries.
func TestReplayCacheModel(t *testing.T) {
	for _, tc := range []struct {
		window  int64 // ms; the bucket width is window/8
		max     int
		ops     int
		advance int   // percent of ops that move the clock on
		step    int64 // by up to this many ms
	}{
		{8, 20, 4000, 40, 3},            // width 1 ms: a bucket per millisecond
		{56, 50, 4000, 30, 5},           // width 7 ms
		{1000, 300, 20000, 30, 10},      // buckets that grow, fill and rehash
		{30000, 2000, 20000, 30, 40},    // the default window
		{30000, 1 << 30, 20000, 10, 20}, // no capacity bound: tables grow
		{10, 1 << 30, 20000, 2, 1},      // many entries a millisecond
	} {
		t.Run(fmt.Sprintf("window=%d/max=%d", tc.window, tc.max), func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(uint64(tc.window), uint64(tc.max)))
			c := New(tc.max, tc.window)
			m := &replayModel{max: tc.max, seen: map[Key]int64{}, horizon: math.MinInt64}
			keys := replayKeys(min(tc.max+tc.max/2+10, 3000))
			now := int64(1_000_000)
			for op := range tc.ops {
				switch p := r.IntN(100); {
				case p < 1: // the clock steps back, by half what it advances in 100 ops
					now -= r.Int64N(int64(tc.advance)*tc.step/2 + 2)
				case p < 1+tc.advance:
					now += 1 + r.Int64N(tc.step)
				}
				exp := now + tc.window + r.Int64N(2*tc.window+1) - tc.window
				switch p := r.IntN(1000); {
				case p < 3:
					exp = [...]int64{math.MinInt64, math.MaxInt64, -1, 0, -tc.window}[r.IntN(5)]
				case p < 10: // a store's entries, some repeated, some expired
					var entries []Entry
					for range r.IntN(20) {
						k := keys[r.IntN(len(keys))]
						e := now + r.Int64N(3*tc.window) - tc.window/2
						entries = append(entries, Entry{Key: k, Expires: e})
					}
					c.Load(entries, now)
					m.load(entries, now)
					if c.Len() != len(m.seen) {
						t.Fatalf("op %d: after load: %d live, want %d", op, c.Len(), len(m.seen))
					}
					continue
				}
				k := keys[r.IntN(len(keys))]
				got, want := c.Add(k, exp, now), m.add(k, exp, now)
				if got != want {
					t.Fatalf("op %d: add(exp %d, now %d) = %v, want %v", op, exp, now, got, want)
				}
				if c.Len() != len(m.seen) {
					t.Fatalf("op %d: %d live, want %d", op, c.Len(), len(m.seen))
				}
			}
			// Every live entry is still there.
			for k, exp := range m.seen {
				if err := c.Add(k, exp, now); err != ErrSeen {
					t.Fatalf("live entry (exp %d, horizon %d): %v", exp, m.horizon, err)
				}
			}
		})
	}
}

// TestReplayCacheFullNeverEvicts: a full cache refuses, and every entry in
// it is still a replay, until they expire, one by one, at their expiry.
func TestReplayCacheFullNeverEvicts(t *testing.T) {
	const n = 5000
	c := New(n, defaultWindowMs)
	keys := replayKeys(n + 1)
	win := defaultWindowMs
	for i, k := range keys[:n] {
		if err := c.Add(k, int64(i)+win, 0); err != nil {
			t.Fatal(i, err)
		}
	}
	if err := c.Add(keys[n], win, 0); err != ErrFull {
		t.Fatalf("full cache: %v", err)
	}
	for i, k := range keys[:n] {
		if err := c.Add(k, 2*win, 0); err != ErrSeen {
			t.Fatalf("entry %d: %v", i, err)
		}
	}
	// At now = win+i, entries 0..i-1 have expired, and no other.
	for i := range n {
		now := win + int64(i)
		if err := c.Add(keys[n-1], 3*win, now); err != ErrSeen {
			t.Fatalf("now %d: last entry: %v", now, err)
		}
		if got := c.Len(); got != n-i {
			t.Fatalf("now %d: %d live, want %d", now, got, n-i)
		}
	}
	if err := c.Add(keys[n], 3*win, win+1); err != nil {
		t.Fatalf("after expiries: %v", err)
	}
}

// TestReplayCacheConcurrent adds overlapping keys from many goroutines:
// each key is taken exactly once.
func TestReplayCacheConcurrent(t *testing.T) {
	const goroutines, perG = 8, 2000
	c := New(defaultCapacity, defaultWindowMs)
	keys := replayKeys(perG)
	var wg sync.WaitGroup
	var mu sync.Mutex
	taken := make([]int, perG)
	for g := range goroutines {
		wg.Go(func() {
			for i := range perG {
				j := (i + g*perG/goroutines) % perG
				now := int64(j)
				switch err := c.Add(keys[j], now+30_000, now); err {
				case nil:
					mu.Lock()
					taken[j]++
					mu.Unlock()
				case ErrSeen:
				default:
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for j, n := range taken {
		if n != 1 {
			t.Fatalf("key %d taken %d times", j, n)
		}
	}
	if c.Len() != perG {
		t.Errorf("%d live, want %d", c.Len(), perG)
	}
}

// TestReplayCacheNoAllocs: once the cache has reached its steady state, an
// insert allocates nothing.
func TestReplayCacheNoAllocs(t *testing.T) {
	keys := replayKeys(1 << 14)
	c := New(defaultCapacity, defaultWindowMs)
	i := 0
	add := func() {
		now := int64(i) * 8 // 4096 live over the default window
		if err := c.Add(keys[i%len(keys)], now+30_000, now); err != nil {
			t.Fatalf("add %d: %v", i, err)
		}
		i++
	}
	for range 3 * len(keys) {
		add()
	}
	if a := testing.AllocsPerRun(2*len(keys), add); a != 0 {
		t.Errorf("%v allocations per insert", a)
	}
}

func TestReplayCacheExpiry(t *testing.T) {
	c := New(10, defaultWindowMs)
	k := func(i byte) Key { return Key{Nonce: [16]byte{i}} }
	for i := range byte(5) {
		if err := c.Add(k(i), 100+int64(i), 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Add(k(2), 500, 50); err != ErrSeen {
		t.Fatalf("live duplicate: %v", err)
	}
	if err := c.Add(k(9), 500, 102); err != nil || c.Len() != 4 {
		t.Fatalf("after expiry at 102: err %v, len %d (want 4: keys 2,3,4,9)", err, c.Len())
	}
	if err := c.Add(k(0), 500, 102); err != nil {
		t.Fatalf("expired key re-added: %v", err)
	}
	c.Load([]Entry{{Key: k(7), Expires: 90}, {Key: k(8), Expires: 900}}, 100)
	if err := c.Add(k(8), 900, 100); err != ErrSeen {
		t.Fatalf("loaded entry: %v", err)
	}
	if err := c.Add(k(7), 900, 100); err != nil {
		t.Fatalf("expired loaded entry: %v", err)
	}
}
