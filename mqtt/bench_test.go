package mqtt_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/mqtt"
	"github.com/nemiot/nemiot/mqtt/mqtttest"
	"github.com/nemiot/nemiot/nem"
)

// BenchmarkThroughput: 16 owners, each with its own connection, send
// commands back to back to one device through mosquitto (broker, device
// and owners on this machine), QoS 1 both ways; every command must be
// answered. It reports commands/s and the latency percentiles of a
// command's round trip (seal, publish, open, handle, reply, verify).
//
//	go test -run '^$' -bench Throughput -benchtime 30000x ./mqtt
func BenchmarkThroughput(b *testing.B) {
	const owners = 16
	br := mqtttest.Start(b, nil)
	dev := testKey(b, "bench/device")
	keys := make([]*nem.PrivateKey, owners)
	pubs := make([]nem.PublicKey, owners)
	for i := range keys {
		keys[i] = testKey(b, fmt.Sprintf("bench/owner/%d", i))
		pubs[i] = keys[i].PublicKey()
	}
	// 3,000 commands/s stay in the replay cache for a minute.
	opener := &command.Opener{Device: dev, Owners: command.StaticOwners(pubs...), ReplayCapacity: 1 << 20}
	d, err := mqtt.Start(mqtt.Config{Broker: br.URL}, opener, newCounter(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Shutdown(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Ready(ctx); err != nil {
		b.Fatal(err)
	}
	apps := make([]*mqtt.Client, owners)
	for i := range apps {
		apps[i] = dial(b, mqtt.Config{Broker: br.URL}, keys[i], &mqtt.ClientOptions{Timeout: 10 * time.Second})
		send(b, apps[i], dev.PublicKey(), "warm-up")
	}

	var next atomic.Int64
	var lost atomic.Int64
	lat := make([][]time.Duration, owners)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range owners {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				rep, err := apps[i].Send(context.Background(), dev.PublicKey(), command.Command{Name: "tick"})
				if err != nil || !rep.OK {
					lost.Add(1)
					continue
				}
				lat[i] = append(lat[i], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if lost.Load() != 0 {
		b.Errorf("%d of %d commands got no reply", lost.Load(), b.N)
	}
	if len(all) == 0 {
		return
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "commands/s")
	b.ReportMetric(ms(all[len(all)/2]), "p50-ms")
	b.ReportMetric(ms(all[len(all)*99/100]), "p99-ms")
	b.ReportMetric(float64(lost.Load()), "lost")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkFleet: 1,000 device identities in one process (one key, one
// Opener and one broker connection each, one shared worker pool), each
// commanded once per iteration by one owner over 16 concurrent Sends. It
// reports the process's resident set once the commands are answered
// (this benchmark's owner and broker client included; the broker is
// another process).
//
//	go test -run '^$' -bench Fleet -benchtime 3x ./mqtt
func BenchmarkFleet(b *testing.B) {
	const n = 1000
	br := mqtttest.Start(b, nil)
	owner := testKey(b, "fleet/owner")
	_, keys := startFleet(b, br.URL, n, owner.PublicKey(), newCounter())
	app := dial(b, mqtt.Config{Broker: br.URL}, owner, nil)
	b.ResetTimer()
	for range b.N {
		var wg sync.WaitGroup
		work := make(chan nem.PublicKey)
		for range 16 {
			wg.Go(func() {
				for dev := range work {
					if rep, err := app.Send(context.Background(), dev, command.Command{Name: "ping"}); err != nil || !rep.OK {
						b.Errorf("%s: %v", dev, err)
					}
				}
			})
		}
		for _, k := range keys {
			work <- k
		}
		close(work)
		wg.Wait()
	}
	b.StopTimer()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(rss())/(1<<20), "rss-MB")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
	b.ReportMetric(float64(ms.StackInuse)/(1<<20), "stack-MB")
	b.ReportMetric(float64(runtime.NumGoroutine()), "goroutines")
}

// rss returns the process's resident set size in bytes (Linux), or 0.
func rss() int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
