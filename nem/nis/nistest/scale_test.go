package nistest_test

import (
	"context"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/nis/nistest"
)

// TestManyNodes runs 50 nodes in one process and does 10,000 account
// look-ups across them from concurrent workers (run it with -race), then
// checks that closing the network and the client leaves no goroutine behind.
func TestManyNodes(t *testing.T) {
	const (
		nodes   = 50
		lookups = 10_000
		workers = 16
	)
	before := runtime.NumGoroutine()
	net, err := nistest.Start(nodes, fixed(5))
	if err != nil {
		t.Fatal(err)
	}
	// Devices with owners, and plain accounts; the answers must be right.
	type want struct {
		addr nem.Address
		keys []nem.PublicKey
		min  int
	}
	var accounts []want
	for i := range 8 {
		device := net.NewAccount()
		var keys []nem.PublicKey
		for range i%3 + 1 {
			keys = append(keys, net.NewAccount().PublicKey())
		}
		if _, err := net.ConvertToMultisig(device, 1, keys...); err != nil {
			t.Fatal(err)
		}
		accounts = append(accounts, want{device.Address(nem.Testnet), sortedKeys(keys...), 1})
	}
	for range 8 {
		accounts = append(accounts, want{net.NewAccount().Address(nem.Testnet), []nem.PublicKey{}, 0})
	}
	transport := &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute, DisableCompression: true} // gzip is checked in TestRoutesAndEncoding; here it would only cost time under -race
	hc := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	clients := make([]*nis.Client, nodes)
	for i, u := range net.URLs() {
		clients[i] = nis.NewClient(u, hc)
	}
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= lookups {
					return
				}
				w := accounts[i%int64(len(accounts))]
				acct, err := clients[i%nodes].Account(context.Background(), w.addr)
				switch {
				case err != nil:
					t.Errorf("look-up %d on node %d: %v", i, i%nodes, err)
				case !slices.Equal(acct.CosignatoryKeys(), w.keys) || acct.MultisigInfo.MinCosignatories != w.min:
					t.Errorf("look-up %d on node %d: %v", i, i%nodes, acct.CosignatoryKeys())
				default:
					continue
				}
				if failed.Add(1) > 10 {
					return
				}
			}
		})
	}
	wg.Wait()
	var served int64
	for _, nd := range net.Nodes() {
		if nd.Requests() == 0 {
			t.Errorf("node %d served nothing", nd.Index())
		}
		served += nd.Requests()
	}
	if served != lookups {
		t.Errorf("nodes served %d requests, want %d", served, lookups)
	}
	net.Close()
	transport.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before, %d after closing:\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}

// TestSwitchWhileServing flips a node between behaviours while clients use
// it (for the race detector), and checks that every answer is either right,
// the lie, or an error of the kind the behaviour causes.
func TestSwitchWhileServing(t *testing.T) {
	o := setup(t, 3)
	honest := sortedKeys(o.a.PublicKey(), o.b.PublicKey(), o.c.PublicKey())
	liar := nem.PublicKey{0xee}
	behaviors := []nistest.Behavior{
		nistest.Honest(), nistest.Lying([]nem.PublicKey{liar}, 1), nistest.Down(), nistest.Slow(5 * time.Millisecond),
		nistest.Malformed(), nistest.Error(503, "NIS_ILLEGAL_STATE_NOT_BOOTED"), nistest.Lagging(1), nistest.Honest(),
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				o.net.Node(1).SetBehavior(nistest.Honest())
				return
			default:
			}
			if err := o.net.Node(1).SetBehavior(behaviors[i%len(behaviors)]); err != nil {
				t.Errorf("SetBehavior: %v", err)
			}
			time.Sleep(2 * time.Millisecond)
		}
	})
	var ok, failed atomic.Int64
	var workers sync.WaitGroup
	for w := range 4 {
		workers.Go(func() {
			hc := &http.Client{Transport: &http.Transport{}}
			defer hc.Transport.(*http.Transport).CloseIdleConnections()
			for i := range 100 {
				nd := o.net.Node((w + i) % 3)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				acct, err := nis.NewClient(nd.URL(), hc).Account(ctx, o.deviceAddr)
				cancel()
				if err != nil {
					if nd.Index() != 1 {
						t.Errorf("steady node %d: %v", nd.Index(), err)
					}
					failed.Add(1)
					continue
				}
				keys := acct.CosignatoryKeys()
				// Node 1 may be lying, or lagging to before the conversion.
				if !slices.Equal(keys, honest) && !(nd.Index() == 1 && (slices.Equal(keys, []nem.PublicKey{liar}) || len(keys) == 0)) {
					t.Errorf("node %d answered %v", nd.Index(), keys)
				}
				ok.Add(1)
			}
		})
	}
	workers.Wait()
	close(stop)
	wg.Wait()
	if ok.Load() < 250 {
		t.Errorf("%d good answers, %d failures", ok.Load(), failed.Load())
	}
}
