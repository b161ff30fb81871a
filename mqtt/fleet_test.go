package mqtt_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/mqtt"
	"github.com/nemiot/nemiot/mqtt/mqtttest"
	"github.com/nemiot/nemiot/nem"
)

// startFleet starts n device identities (one key and one connection each)
// in one Fleet, all owned by owner, and waits until every one is online.
func startFleet(t testing.TB, url string, n int, owner nem.PublicKey, h command.Handler) (*mqtt.Fleet, []nem.PublicKey) {
	t.Helper()
	f := mqtt.NewFleet(nil)
	t.Cleanup(func() { f.Shutdown(context.Background()) })
	owners := command.StaticOwners(owner)
	devs := make([]*mqtt.Device, n)
	keys := make([]nem.PublicKey, n)
	cfg := mqtt.Config{Broker: url, MinBackoff: 50 * time.Millisecond, MaxBackoff: 2 * time.Second}
	for i := range n {
		k := testKey(t, fmt.Sprintf("fleet/%d", i))
		d, err := f.Start(cfg, &command.Opener{Device: k, Owners: owners}, h, nil)
		if err != nil {
			t.Fatal(err)
		}
		devs[i], keys[i] = d, k.PublicKey()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i, d := range devs {
		if err := d.Ready(ctx); err != nil {
			t.Fatalf("device %d of %d: %v", i, n, err)
		}
	}
	return f, keys
}

// TestFleet: one process hosts 1,000 device identities on one mosquitto
// (300 under the race detector), and an owner commands each of them once.
func TestFleet(t *testing.T) {
	n := 1000
	if raceEnabled || testing.Short() {
		n = 300
	}
	b := mqtttest.Start(t, nil)
	owner := testKey(t, "fleet/owner")
	h := newCounter()
	_, keys := startFleet(t, b.URL, n, owner.PublicKey(), h)

	app := dial(t, mqtt.Config{Broker: b.URL}, owner, nil)
	var failed atomic.Int64
	var wg sync.WaitGroup
	work := make(chan nem.PublicKey)
	for range 16 {
		wg.Go(func() {
			for dev := range work {
				rep, err := app.Send(context.Background(), dev, command.Command{Name: "ping"})
				if err != nil || !rep.OK {
					failed.Add(1)
					t.Errorf("%s: %v", dev, err)
				}
			}
		})
	}
	for _, k := range keys {
		work <- k
	}
	close(work)
	wg.Wait()
	if h.count() != n || h.twice() != 0 || failed.Load() != 0 {
		t.Errorf("%d commands ran (%d twice, %d failed), want %d", h.count(), h.twice(), failed.Load(), n)
	}
}
