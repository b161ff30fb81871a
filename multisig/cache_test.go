package multisig_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nemiot/nemiot/multisig"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis/nistest"
)

// newCache returns an owner cache for d on an injected clock: TTL 1 min,
// MaxStale 10 min, RecheckEvery 5 s.
func newCache(t *testing.T, net *nistest.Network, d *device) (*multisig.OwnerCache, *fakeClock) {
	clock := newFakeClock()
	c := &multisig.OwnerCache{
		Resolver: resolver(net), Account: d.address(net),
		TTL: time.Minute, MaxStale: 10 * time.Minute, RecheckEvery: 5 * time.Second,
		Clock: clock.Now,
	}
	t.Cleanup(func() { c.Close() })
	return c, clock
}

func isOwner(t *testing.T, c *multisig.OwnerCache, k nem.PublicKey) bool {
	t.Helper()
	ok, err := c.IsOwner(ctxT(t), k)
	if err != nil {
		t.Fatalf("IsOwner: %v", err)
	}
	return ok
}

func TestOwnerCacheTTL(t *testing.T) {
	net := nistest.NewNetwork(t, 5, nil)
	d := newDevice(t, net, 2, 3)
	c, clock := newCache(t, net, d)
	o, err := c.Owners(ctxT(t))
	checkOwners(t, "first", o, err, net, d, 3)
	if n, err := c.MinSignatures(ctxT(t)); err != nil || n != 2 {
		t.Fatalf("MinSignatures = %d, %v", n, err)
	}
	asked := requests(net)
	for range 10 {
		clock.Advance(5 * time.Second)
		if !isOwner(t, c, d.owners[2].PublicKey()) {
			t.Fatal("owner not recognized")
		}
	}
	if got := requests(net); got != asked {
		t.Fatalf("within the TTL the nodes were asked %d more times", got-asked)
	}
	clock.Advance(15 * time.Second) // TTL reached
	if !isOwner(t, c, d.owners[0].PublicKey()) {
		t.Fatal("owner not recognized after refresh")
	}
	if requests(net) == asked {
		t.Fatal("no refresh after the TTL")
	}
}

// A new owner is recognized as soon as the rate limit allows, and a
// stranger knocking often causes at most one refresh per RecheckEvery.
func TestOwnerCacheUnknownKeyRecheck(t *testing.T) {
	net := nistest.NewNetwork(t, 5, nil)
	d := newDevice(t, net, 1, 2)
	c, clock := newCache(t, net, d)
	if !isOwner(t, c, d.owners[0].PublicKey()) {
		t.Fatal("owner not recognized")
	}
	added := newKey(t)
	if _, err := net.ModifyMultisig(d.key.PublicKey(), []nem.PublicKey{added.PublicKey()}, nil, 0, d.owners[0]); err != nil {
		t.Fatal(err)
	}
	asked := requests(net)
	if isOwner(t, c, added.PublicKey()) {
		t.Fatal("a refresh right after the last one was not rate-limited")
	}
	if requests(net) != asked {
		t.Fatal("nodes asked within RecheckEvery")
	}
	clock.Advance(5 * time.Second)
	if !isOwner(t, c, added.PublicKey()) {
		t.Fatal("new owner not recognized once the rate limit allowed a refresh")
	}
	// A stranger knocks 100 times over 50 s: at most one refresh per 5 s.
	stranger := newKey(t).PublicKey()
	refreshes := 0
	for range 100 {
		before := requests(net)
		if isOwner(t, c, stranger) {
			t.Fatal("stranger accepted")
		}
		if requests(net) > before {
			refreshes++
		}
		clock.Advance(500 * time.Millisecond)
	}
	if refreshes < 5 || refreshes > 10 {
		t.Fatalf("a stranger caused %d refreshes in 50 s with RecheckEvery 5 s", refreshes)
	}
}

// The stale policy: while refreshing fails, the last answer is used until
// it is MaxStale old; then the cache refuses, until a quorum answers again.
func TestOwnerCacheStalePolicy(t *testing.T) {
	net := nistest.NewNetwork(t, 5, nil)
	d := newDevice(t, net, 1, 2)
	c, clock := newCache(t, net, d)
	owner := d.owners[0].PublicKey()
	if !isOwner(t, c, owner) {
		t.Fatal("owner not recognized")
	}
	setAll(t, net, nistest.Down())
	for _, step := range []time.Duration{2 * time.Minute, 3 * time.Minute, 4*time.Minute + 50*time.Second} {
		clock.Advance(step) // up to 9 min 50 s: stale but within MaxStale
		if !isOwner(t, c, owner) {
			t.Fatal("owner refused within MaxStale")
		}
		if !errors.Is(c.Err(), multisig.ErrNoQuorum) {
			t.Fatalf("Err() = %v after failed refresh", c.Err())
		}
	}
	clock.Advance(10 * time.Second) // MaxStale reached
	ok, err := c.IsOwner(ctxT(t), owner)
	if ok || !errors.Is(err, multisig.ErrStale) || !errors.Is(err, multisig.ErrNoQuorum) {
		t.Fatalf("after MaxStale: %v, %v; want ErrStale", ok, err)
	}
	if _, err := c.Owners(ctxT(t)); !errors.Is(err, multisig.ErrStale) {
		t.Fatalf("Owners after MaxStale: %v", err)
	}
	// Failures are retried once per RecheckEvery, not on every call.
	asked := requests(net)
	setAll(t, net, nistest.Honest())
	if _, err := c.Owners(ctxT(t)); !errors.Is(err, multisig.ErrStale) || requests(net) != asked {
		t.Fatalf("retried within RecheckEvery: %v", err)
	}
	clock.Advance(5 * time.Second)
	if !isOwner(t, c, owner) || c.Err() != nil {
		t.Fatalf("not recovered: %v", c.Err())
	}
}

// A quorum that reports different owners at a lower height than the cached
// answer is a rollback: refused, and the cached answer stays.
func TestOwnerCacheRollback(t *testing.T) {
	net := nistest.NewNetwork(t, 5, nil)
	d := newDevice(t, net, 1, 2)
	net.Advance(50, 0)
	removed := d.owners[1]
	if _, err := net.ModifyMultisig(d.key.PublicKey(), nil, []nem.PublicKey{removed.PublicKey()}, 0, d.owners[0]); err != nil {
		t.Fatal(err)
	}
	c, clock := newCache(t, net, d)
	if isOwner(t, c, removed.PublicKey()) {
		t.Fatal("removed owner accepted")
	}
	setAll(t, net, nistest.Lagging(20)) // every node replays the chain from before the removal
	clock.Advance(2 * time.Minute)
	if isOwner(t, c, removed.PublicKey()) {
		t.Fatal("rollback accepted: removed owner is back")
	}
	if !errors.Is(c.Err(), multisig.ErrBadAnswer) || !strings.Contains(c.Err().Error(), "older") {
		t.Fatalf("Err() = %v, want the rollback refused", c.Err())
	}
	if !isOwner(t, c, d.owners[0].PublicKey()) {
		t.Fatal("remaining owner refused")
	}
}

func TestOwnerCacheNotMultisig(t *testing.T) {
	net := nistest.NewNetwork(t, 5, nil)
	acct := net.NewAccount()
	d := &device{key: acct}
	c, clock := newCache(t, net, d)
	owner := net.NewAccount()
	if ok, err := c.IsOwner(ctxT(t), owner.PublicKey()); ok || !errors.Is(err, multisig.ErrNotMultisig) {
		t.Fatalf("not multisig: %v, %v", ok, err)
	}
	asked := requests(net)
	if _, err := c.Owners(ctxT(t)); !errors.Is(err, multisig.ErrNotMultisig) || requests(net) != asked {
		t.Fatalf("not-multisig answer re-asked at once: %v", err)
	}
	if _, err := net.ConvertToMultisig(acct, 1, owner.PublicKey()); err != nil {
		t.Fatal(err)
	}
	clock.Advance(5 * time.Second)
	if !isOwner(t, c, owner.PublicKey()) {
		t.Fatal("owner of a newly converted device not recognized")
	}
}

// Callers share one refresh; one whose context ends first gets the cached
// answer if the stale policy allows, or its context's error.
func TestOwnerCacheSharedRefreshAndCallerContext(t *testing.T) {
	net := nistest.NewNetwork(t, 5, nil)
	d := newDevice(t, net, 1, 2)
	c, clock := newCache(t, net, d)
	setAll(t, net, nistest.Slow(50*time.Millisecond))
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := c.Owners(ctxT(t)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := requests(net); got > 3*5 {
		t.Fatalf("20 concurrent callers made %d requests; one refresh makes at most 15 (account, height, node info)", got)
	}

	setAll(t, net, nistest.Slow(time.Hour))
	clock.Advance(2 * time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if ok, err := c.IsOwner(ctx, d.owners[0].PublicKey()); !ok || err != nil {
		t.Fatalf("hung nodes, cached answer within MaxStale: %v, %v", ok, err)
	}
	clock.Advance(10 * time.Minute)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if ok, err := c.IsOwner(ctx2, d.owners[0].PublicKey()); ok || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hung nodes, cached answer too old: %v, %v", ok, err)
	}
}

// Run refreshes in the background: a new owner shows up without any caller
// waiting, while the (frozen) clock never reaches the TTL.
func TestOwnerCacheBackgroundRefresh(t *testing.T) {
	net := nistest.NewNetwork(t, 5, nil)
	d := newDevice(t, net, 1, 2)
	c, _ := newCache(t, net, d)
	c.RefreshEvery = 10 * time.Millisecond
	done := make(chan struct{})
	go func() { c.Run(context.Background()); close(done) }()
	added := newKey(t).PublicKey()
	if _, err := net.ModifyMultisig(d.key.PublicKey(), []nem.PublicKey{added}, nil, 0, d.owners[0]); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		o, err := c.Owners(ctxT(t))
		if err == nil && o.Has(added) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("background refresh never saw the new owner: %v, %v", o, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after Close")
	}
}

// Close stops Run and a refresh hung on silent nodes, and leaves no
// goroutine of the package behind.
func TestOwnerCacheCloseNoLeak(t *testing.T) {
	net := nistest.NewNetwork(t, 5, nil)
	d := newDevice(t, net, 1, 2)
	c, _ := newCache(t, net, d)
	setAll(t, net, nistest.Slow(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Run(ctx)
	go c.Owners(context.Background()) // waits on the hung refresh
	time.Sleep(50 * time.Millisecond)
	if n := packageGoroutines(); n == 0 {
		t.Fatal("no refresh running before Close: the test proves nothing")
	}
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return with a refresh hung")
	}
	deadline := time.Now().Add(5 * time.Second)
	for packageGoroutines() > 0 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines left after Close:\n%s", buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := c.IsOwner(ctxT(t), d.owners[0].PublicKey()); !errors.Is(err, multisig.ErrClosed) {
		t.Fatalf("IsOwner after Close: %v", err)
	}
	c.Close() // twice is fine
}

// packageGoroutines counts goroutines running code of package multisig,
// other than the caller.
func packageGoroutines() int {
	buf := make([]byte, 1<<20)
	n := 0
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		var running []string
		for _, line := range strings.Split(g, "\n") {
			if !strings.HasPrefix(line, "created by ") {
				running = append(running, line)
			}
		}
		code := strings.Join(running, "\n")
		if strings.Contains(code, "nemiot/multisig.") && !strings.Contains(code, "packageGoroutines") {
			n++
		}
	}
	return n
}
