// Package replay is the replay cache of package command's Opener: a
// bounded set of keys (an envelope's sender and nonce) with expiry times.
// It refuses a key it holds, forgets a key only once it has expired, and
// when it holds its capacity of live keys refuses new ones rather than
// evict one.
//
// Start with [New] and [Cache.Add].
//
// The table is hand-made, rather than a Go map, for its memory, which is
// the reason it is kept: a device holds an entry for every command it took
// in the last two windows, up to 100,000 by default (400,000 in the hub's
// load benchmark), on hardware as small as a Raspberry Pi Zero with 512 MB.
// BenchmarkReplayMemory measures 28 to 30 bytes of heap per live entry
// for the table and 84 for map[Key]int64, the key and its expiry alone
// (3 MB against 8.4 MB at 100,000 entries), before the map has any means
// to find expired entries without scanning them all. The table also
// allocates nothing per entry once warm.
package replay

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"sync"

	"github.com/nemiot/nemiot/nem"
)

// Key is what the cache remembers of an accepted envelope: its sender and
// nonce.
type Key struct {
	Sender nem.PublicKey
	Nonce  [16]byte
}

// Entry is a Key and its expiry (Unix ms), for [Cache.Load].
type Entry struct {
	Key     Key
	Expires int64
}

// The errors of [Cache.Add].
var (
	// ErrSeen: the key is live in the cache.
	ErrSeen = errors.New("replay: key already seen")
	// ErrFull: the cache holds its capacity of live entries.
	ErrFull = errors.New("replay: cache is full")
	// ErrForgotten: the entry would expire before the horizon, so the
	// cache may have let the key go already.
	ErrForgotten = errors.New("replay: entry expires before the horizon")
)

// Cache is a bounded set of (sender, nonce) with expiry times (Unix
// ms). It forgets an entry only once it has expired and refuses new entries
// when it holds max live ones.
//
// horizon is the latest instant at which entries were expired: an entry
// expiring before it may have been forgotten already, so Add refuses it as
// forgotten. That keeps a clock that steps back from reopening the window of
// envelopes the cache has let go.
//
// # Layout
//
// An entry is 20 bytes in a table and a 1-byte tag: a 16-byte keyed hash
// of sender and nonce (SHA-256 under a random per-cache key, truncated),
// and its expiry as an offset into its bucket. Each bucket holds the
// entries whose expiry falls in one span of width ms, in an
// open-addressing table (linear probing over the tags, at most 7/8 full).
// A bucket whose span is wholly past goes at once, its table kept for
// reuse; the one bucket that the horizon cuts through is swept exactly, in
// expiry order (sorted once, when the horizon first reaches it), so that
// an entry lives exactly until its expiry. A later bucket reuses the table
// of one that went, so in a steady state inserts allocate nothing: tables
// grow only when the load does. Looking an entry up probes every bucket,
// about 2·window/width+1 of them: 17 with the Opener's width of window/8.
//
// A hash collision between two distinct entries (odds about n²/2¹²⁹ over n
// entries) can only refuse an envelope as a replay, never accept one.
type Cache struct {
	key   [32]byte // hashes entries; random, fixed at construction
	width int64    // ms of expiry per bucket, in [1, maxBucketWidth]

	mu      sync.Mutex
	max     int
	n       int       // live entries
	buckets []*bucket // by q, ascending
	spare   []*bucket // emptied buckets kept for reuse
	horizon int64

	// sorted is the bucket the horizon is in, once it has been sorted
	// (only the first bucket can be): order then lists its live slots by
	// expiry (off<<32 | slot index), and order[pos:] are those not yet
	// swept.
	sorted *bucket
	order  []uint64
	pos    int
}

// bucket holds the entries whose expiry exp has
// floorDiv(exp, width) == q, at offset floorMod(exp, width).
type bucket struct {
	q     int64
	tags  []uint8 // tagEmpty, tagDead, or a tag (>= tagMin) of the slot's hash
	slots []slot
	used  int // slots not empty (live or dead)
	live  int
}

type slot struct {
	h   [16]byte
	off uint32 // expiry - q*width
}

const (
	tagEmpty = 0
	tagDead  = 1
	tagMin   = 2

	// bucketsPerWindow is how many buckets one window of expiry
	// times spans (entries' expiries span two windows).
	bucketsPerWindow = 8
	minBucketSlots   = 64
	maxBucketWidth   = 1 << 31
	maxSpareBuckets  = 2
)

// New returns a cache of the given capacity whose buckets suit an Opener
// with a window of windowMs: entries expire at most 2·windowMs apart.
func New(capacity int, windowMs int64) *Cache {
	c := &Cache{max: capacity, horizon: math.MinInt64}
	c.width = min(max(windowMs/bucketsPerWindow, 1), maxBucketWidth)
	rand.Read(c.key[:]) // never fails (crypto/rand)
	return c
}

// hash returns k's keyed hash.
func (c *Cache) hash(k *Key) [16]byte {
	var in [32 + nem.PublicKeySize + 16]byte
	copy(in[:32], c.key[:])
	copy(in[32:], k.Sender[:])
	copy(in[32+nem.PublicKeySize:], k.Nonce[:])
	d := sha256.Sum256(in[:])
	var h [16]byte
	copy(h[:], d[:16])
	return h
}

// split returns floorDiv(t, c.width) and floorMod(t, c.width).
func (c *Cache) split(t int64) (q int64, off uint32) {
	q, r := t/c.width, t%c.width
	if r < 0 {
		q, r = q-1, r+c.width
	}
	return q, uint32(r)
}

// expire forgets the entries that expired before now and moves the
// horizon to now, unless it is there already. Called with mu held.
func (c *Cache) expire(now int64) {
	if now <= c.horizon {
		return
	}
	c.horizon = now
	qh, offh := c.split(now)
	for len(c.buckets) > 0 && c.buckets[0].q < qh {
		c.drop()
	}
	if len(c.buckets) == 0 || c.buckets[0].q != qh || offh == 0 {
		return
	}
	b := c.buckets[0]
	if c.sorted != b {
		c.order = c.order[:0]
		for i, t := range b.tags {
			if t >= tagMin {
				c.order = append(c.order, uint64(b.slots[i].off)<<32|uint64(i))
			}
		}
		slices.Sort(c.order)
		c.sorted, c.pos = b, 0
	}
	for ; c.pos < len(c.order); c.pos++ {
		e := c.order[c.pos]
		off, i := uint32(e>>32), uint32(e)
		if off >= offh {
			break
		}
		if b.tags[i] >= tagMin && b.slots[i].off == off { // not already dead
			b.tags[i] = tagDead
			b.live--
			c.n--
		}
	}
	if b.live == 0 {
		c.drop()
	}
}

// drop removes the first bucket, keeping it for reuse unless its table is
// much larger than it needed. Called with mu held.
func (c *Cache) drop() {
	b := c.buckets[0]
	c.n -= b.live
	c.buckets = slices.Delete(c.buckets, 0, 1)
	if c.sorted == b {
		c.sorted = nil
	}
	if len(c.spare) >= maxSpareBuckets || (len(b.tags) > minBucketSlots && 8*b.used < len(b.tags)) {
		return
	}
	clear(b.tags)
	b.used, b.live = 0, 0
	c.spare = append(c.spare, b)
}

// find returns the bucket and slot holding h live, or nil.
func (c *Cache) find(h *[16]byte) (*bucket, int) {
	start := binary.LittleEndian.Uint64(h[:8])
	tag := tagOf(h)
	for _, b := range c.buckets {
		mask := len(b.tags) - 1
		for i := int(start) & mask; ; i = (i + 1) & mask {
			t := b.tags[i]
			if t == tagEmpty {
				break
			}
			if t == tag && b.slots[i].h == *h {
				return b, i
			}
		}
	}
	return nil, 0
}

func tagOf(h *[16]byte) uint8 { return max(h[15], tagMin) }

// bucketFor returns the bucket for q, making it if need be.
func (c *Cache) bucketFor(q int64) *bucket {
	i := len(c.buckets)
	for i > 0 && c.buckets[i-1].q >= q {
		i--
	}
	if i < len(c.buckets) && c.buckets[i].q == q {
		return c.buckets[i]
	}
	var b *bucket
	if n := len(c.spare); n > 0 {
		b = c.spare[n-1]
		c.spare = c.spare[:n-1]
	} else {
		b = &bucket{tags: make([]uint8, minBucketSlots), slots: make([]slot, minBucketSlots)}
	}
	b.q = q
	c.buckets = slices.Insert(c.buckets, i, b)
	return b
}

// insert adds h, which is not live, expiring at exp. Called with mu held.
func (c *Cache) insert(h *[16]byte, exp int64) {
	q, off := c.split(exp)
	b := c.bucketFor(q)
	if 8*(b.used+1) > 7*len(b.tags) {
		b.rehash()
		if c.sorted == b { // the slot indices changed: sort again
			c.sorted = nil
		}
	}
	i := b.put(h, off)
	c.n++
	if c.sorted == b {
		e := uint64(off)<<32 | uint64(i)
		j, _ := slices.BinarySearch(c.order[c.pos:], e)
		c.order = slices.Insert(c.order, c.pos+j, e)
	}
}

// put stores h at off in the first empty slot of its probe sequence and
// returns the slot's index. The table must have an empty slot.
func (b *bucket) put(h *[16]byte, off uint32) int {
	mask := len(b.tags) - 1
	i := int(binary.LittleEndian.Uint64(h[:8])) & mask
	for b.tags[i] != tagEmpty {
		i = (i + 1) & mask
	}
	b.tags[i] = tagOf(h)
	b.slots[i] = slot{h: *h, off: off}
	b.used++
	b.live++
	return i
}

// rehash moves b's live entries into a new table with room for as many
// again, dropping the dead ones.
func (b *bucket) rehash() {
	size := minBucketSlots
	for size < 2*(b.live+1) {
		size *= 2
	}
	tags, slots := b.tags, b.slots
	b.tags, b.slots = make([]uint8, size), make([]slot, size)
	b.used, b.live = 0, 0
	for i, t := range tags {
		if t >= tagMin {
			b.put(&slots[i].h, slots[i].off)
		}
	}
}

// Add records k until exp (Unix ms), first forgetting the entries that
// expired before now. It fails with ErrSeen if k is live, with
// ErrForgotten if k may have been forgotten already (exp is before the
// horizon: the clock stepped back), or with ErrFull if the cache holds its
// capacity of live entries.
func (c *Cache) Add(k Key, exp, now int64) error {
	h := c.hash(&k)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	if exp < c.horizon {
		return ErrForgotten
	}
	if b, _ := c.find(&h); b != nil {
		return ErrSeen
	}
	if c.n >= c.max {
		return ErrFull
	}
	c.insert(&h, exp)
	return nil
}

// Load inserts saved entries, beyond the capacity if need be (they were all
// accepted once, and none may be forgotten early). Of two entries for the
// same key, the later expiry stays.
func (c *Cache) Load(entries []Entry, now int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	for _, e := range entries {
		exp := e.Expires
		if exp < now || exp < c.horizon {
			continue
		}
		h := c.hash(&e.Key)
		if b, i := c.find(&h); b != nil {
			q, off := c.split(exp)
			if b.q > q || b.q == q && b.slots[i].off >= off {
				continue
			}
			b.tags[i] = tagDead
			b.live--
			c.n--
		}
		c.insert(&h, exp)
	}
}

// Cap returns the capacity: the most live entries Add takes.
func (c *Cache) Cap() int { return c.max }

// Len returns the number of live entries.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// Reset forgets every entry (benchmarks reuse their envelopes); the
// horizon stays.
func (c *Cache) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.buckets) > 0 {
		c.drop()
	}
}
