package command

import (
	"container/heap"
	"context"
	"math"
	"sync"
	"time"

	"github.com/nemiot/nemiot/nem"
)

// DefaultReplayCapacity is the replay cache's capacity when
// [Opener.ReplayCapacity] is zero.
const DefaultReplayCapacity = 100_000

// ReplayEntry is one accepted envelope in the replay cache: its sender and
// nonce, and the instant after which it is stale anyway (its date plus the
// window), when the cache forgets it.
type ReplayEntry struct {
	Sender  nem.PublicKey
	Nonce   [NonceSize]byte
	Expires time.Time
}

// ReplayStore keeps the replay cache across restarts, so that a rebooted
// device still refuses the envelopes it accepted before, while it accepts
// ones it never saw (also those dated before it started). [FileStore] is
// one. Implementations must be safe for concurrent use.
type ReplayStore interface {
	// Load returns the entries saved earlier that have not expired at now.
	// The Opener calls it once, before it opens its first envelope.
	Load(ctx context.Context, now time.Time) ([]ReplayEntry, error)
	// Save records e durably: when it returns nil, e survives a crash.
	// The Opener calls it after an envelope's signatures verified and
	// before it decrypts; an error refuses the envelope. now lets the store
	// drop expired entries.
	Save(ctx context.Context, e ReplayEntry, now time.Time) error
}

type replayKey struct {
	sender nem.PublicKey
	nonce  [NonceSize]byte
}

type replayItem struct {
	exp int64 // Unix ms; forgotten when exp < now
	key replayKey
}

// replayCache is a bounded set of (sender, nonce) with expiry times. It
// forgets an entry only once it has expired and refuses new entries when
// it holds max live ones.
//
// horizon is the latest instant at which entries were expired: an entry
// expiring before it may have been forgotten already, so add refuses it as
// stale. That keeps a clock that steps back from reopening the window of
// envelopes the cache has let go.
type replayCache struct {
	mu      sync.Mutex
	max     int
	seen    map[replayKey]int64
	byExp   expiryHeap
	horizon int64
}

func newReplayCache(max int) *replayCache {
	return &replayCache{max: max, seen: make(map[replayKey]int64), horizon: math.MinInt64}
}

// expire drops the entries that expired before now. Called with mu held.
func (c *replayCache) expire(now int64) {
	c.horizon = max(c.horizon, now)
	for len(c.byExp) > 0 && c.byExp[0].exp < now {
		it := heap.Pop(&c.byExp).(replayItem)
		if c.seen[it.key] == it.exp {
			delete(c.seen, it.key)
		}
	}
}

// add records k until exp, or fails with ErrReplay if k is live, with
// ErrStale if k may have been forgotten (exp is before the horizon), or
// with ErrReplayFull if the cache holds max live entries.
func (c *replayCache) add(k replayKey, exp, now int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	if exp < c.horizon {
		return ErrStale
	}
	if _, ok := c.seen[k]; ok {
		return ErrReplay
	}
	if len(c.seen) >= c.max {
		return ErrReplayFull
	}
	c.seen[k] = exp
	heap.Push(&c.byExp, replayItem{exp: exp, key: k})
	return nil
}

// load inserts saved entries, beyond the capacity if need be (they were all
// accepted once, and none may be forgotten early).
func (c *replayCache) load(entries []ReplayEntry, now int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.horizon = max(c.horizon, now)
	for _, e := range entries {
		exp := e.Expires.UnixMilli()
		if exp < now {
			continue
		}
		k := replayKey{sender: e.Sender, nonce: e.Nonce}
		if old, ok := c.seen[k]; ok && old >= exp {
			continue
		}
		c.seen[k] = exp
		heap.Push(&c.byExp, replayItem{exp: exp, key: k})
	}
}

// len returns the number of entries held (live or not yet swept).
func (c *replayCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

type expiryHeap []replayItem

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].exp < h[j].exp }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(replayItem)) }
func (h *expiryHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}
