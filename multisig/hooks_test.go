package multisig_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nemiot/nemiot/multisig"
	"github.com/nemiot/nemiot/nem/nis/nistest"
)

// TestOwnerCacheHooks: OnRefresh sees each refresh's outcome, and
// OnNodeError each node that gave no usable answer.
func TestOwnerCacheHooks(t *testing.T) {
	net := nistest.NewNetwork(t, 5, nil)
	d := newDevice(t, net, 1, 2)
	c, clock := newCache(t, net, d)
	var (
		mu       sync.Mutex
		outcomes []error
		failed   []string
	)
	c.OnRefresh = func(err error) {
		mu.Lock()
		outcomes = append(outcomes, err)
		mu.Unlock()
	}
	c.Resolver.OnNodeError = func(node string, err error) {
		if err == nil {
			t.Errorf("OnNodeError(%s, nil)", node)
		}
		mu.Lock()
		failed = append(failed, node)
		mu.Unlock()
	}
	snapshot := func() ([]error, []string) {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(outcomes), slices.Clone(failed)
	}

	if _, err := c.Owners(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if o, f := snapshot(); len(o) != 1 || o[0] != nil || len(f) != 0 {
		t.Fatalf("after a quorum: outcomes %v, node errors %v; want [<nil>], none", o, f)
	}

	setAll(t, net, nistest.Down())
	clock.Advance(2 * time.Minute) // past TTL: the next call refreshes
	if _, err := c.Owners(ctxT(t)); err != nil {
		t.Fatalf("within MaxStale: %v", err)
	}
	o, f := snapshot()
	if len(o) != 2 || !errors.Is(o[1], multisig.ErrNoQuorum) {
		t.Fatalf("after nodes went down: outcomes %v, want a second wrapping ErrNoQuorum", o)
	}
	// No answer can decide, so every node is asked, and each fails once.
	slices.Sort(f)
	want := slices.Sorted(slices.Values(net.URLs()))
	if !slices.Equal(f, want) {
		t.Errorf("node errors %v, want each of %v once", f, want)
	}
}
