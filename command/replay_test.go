package command

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// replayModel is the replay cache's specification, as a plain map: an
// entry lives until the horizon passes its expiry.
type replayModel struct {
	max     int
	seen    map[replayKey]int64
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

func (m *replayModel) add(k replayKey, exp, now int64) error {
	m.expire(now)
	switch _, ok := m.seen[k]; {
	case exp < m.horizon:
		return ErrStale
	case ok:
		return ErrReplay
	case len(m.seen) >= m.max:
		return ErrReplayFull
	}
	m.seen[k] = exp
	return nil
}

func (m *replayModel) load(entries []ReplayEntry, now int64) {
	m.expire(now)
	for _, e := range entries {
		exp := e.Expires.UnixMilli()
		k := replayKey{sender: e.Sender, nonce: e.Nonce}
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
			c := newReplayCacheWindow(tc.max, tc.window)
			m := &replayModel{max: tc.max, seen: map[replayKey]int64{}, horizon: math.MinInt64}
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
					var entries []ReplayEntry
					for range r.IntN(20) {
						k := keys[r.IntN(len(keys))]
						e := now + r.Int64N(3*tc.window) - tc.window/2
						entries = append(entries, ReplayEntry{Sender: k.sender, Nonce: k.nonce, Expires: time.UnixMilli(e)})
					}
					c.load(entries, now)
					m.load(entries, now)
					if c.len() != len(m.seen) {
						t.Fatalf("op %d: after load: %d live, want %d", op, c.len(), len(m.seen))
					}
					continue
				}
				k := keys[r.IntN(len(keys))]
				got, want := c.add(k, exp, now), m.add(k, exp, now)
				if got != want {
					t.Fatalf("op %d: add(exp %d, now %d) = %v, want %v", op, exp, now, got, want)
				}
				if c.len() != len(m.seen) {
					t.Fatalf("op %d: %d live, want %d", op, c.len(), len(m.seen))
				}
			}
			// Every live entry is still there.
			for k, exp := range m.seen {
				if err := c.add(k, exp, now); err != ErrReplay {
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
	c := newReplayCache(n)
	keys := replayKeys(n + 1)
	win := DefaultWindow.Milliseconds()
	for i, k := range keys[:n] {
		if err := c.add(k, int64(i)+win, 0); err != nil {
			t.Fatal(i, err)
		}
	}
	if err := c.add(keys[n], win, 0); err != ErrReplayFull {
		t.Fatalf("full cache: %v", err)
	}
	for i, k := range keys[:n] {
		if err := c.add(k, 2*win, 0); err != ErrReplay {
			t.Fatalf("entry %d: %v", i, err)
		}
	}
	// At now = win+i, entries 0..i-1 have expired, and no other.
	for i := range n {
		now := win + int64(i)
		if err := c.add(keys[n-1], 3*win, now); err != ErrReplay {
			t.Fatalf("now %d: last entry: %v", now, err)
		}
		if got := c.len(); got != n-i {
			t.Fatalf("now %d: %d live, want %d", now, got, n-i)
		}
	}
	if err := c.add(keys[n], 3*win, win+1); err != nil {
		t.Fatalf("after expiries: %v", err)
	}
}

// TestReplayCacheConcurrent adds overlapping keys from many goroutines:
// each key is taken exactly once.
func TestReplayCacheConcurrent(t *testing.T) {
	const goroutines, perG = 8, 2000
	c := newReplayCache(DefaultReplayCapacity)
	keys := replayKeys(perG)
	var wg sync.WaitGroup
	var mu sync.Mutex
	taken := make([]int, perG)
	for g := range goroutines {
		wg.Go(func() {
			for i := range perG {
				j := (i + g*perG/goroutines) % perG
				now := int64(j)
				switch err := c.add(keys[j], now+30_000, now); err {
				case nil:
					mu.Lock()
					taken[j]++
					mu.Unlock()
				case ErrReplay:
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
	if c.len() != perG {
		t.Errorf("%d live, want %d", c.len(), perG)
	}
}

// TestReplayCacheNoAllocs: once the cache has reached its steady state, an
// insert allocates nothing.
func TestReplayCacheNoAllocs(t *testing.T) {
	keys := replayKeys(1 << 14)
	c := newReplayCache(DefaultReplayCapacity)
	i := 0
	add := func() {
		now := int64(i) * 8 // 4096 live over the default window
		if err := c.add(keys[i%len(keys)], now+30_000, now); err != nil {
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
