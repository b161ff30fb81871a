package mqtt_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/mqtt"
	"github.com/nemiot/nemiot/mqtt/mqtttest"
	"github.com/nemiot/nemiot/nem"
)

// TestBrokerRestart: the broker restarts while owners' commands are in
// flight. No command runs twice; the device reconnects, subscribes again
// (a broker without persistence has forgotten its session) and serves
// again. With persistence, the broker also redelivers what was not
// acknowledged, and the replay cache keeps it from running twice.
func TestBrokerRestart(t *testing.T) {
	if raceEnabled {
		// paho v1.5.1 has a data race of its own here: on reconnect,
		// client.resume sets Dup on a stored PUBLISH (client.go:1114) while
		// its writer may still be sending that packet (packets.go:267). It
		// shows in about 1 run in 12 under -race, both sides inside paho.
		// .ci/run runs this test without the race detector.
		t.Skip("paho v1.5.1 races in client.resume with in-flight publishes; run without -race (.ci/run does)")
	}
	for _, persist := range []bool{false, true} {
		name := "memory"
		if persist {
			name = "persistence"
		}
		t.Run(name, func(t *testing.T) {
			b := mqtttest.Start(t, &mqtttest.Options{Persistence: persist})
			r := newRig(t, "restart/"+name)
			d := r.startDevice(t, fast(b.URL), nil)

			var ok atomic.Int64
			progress := make(chan struct{}, 1)
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for range 4 {
				owner := dial(t, fast(b.URL), r.owner, &mqtt.ClientOptions{Timeout: 2 * time.Second})
				wg.Go(func() {
					for {
						select {
						case <-stop:
							return
						default:
						}
						rep, err := owner.Send(context.Background(), r.dev.PublicKey(), command.Command{Name: "tick"})
						if err == nil && rep.OK {
							ok.Add(1)
							select {
							case progress <- struct{}{}:
							default:
							}
						}
					}
				})
			}
			waitFor := func(n int64) {
				t.Helper()
				deadline := time.After(30 * time.Second)
				for ok.Load() < n {
					select {
					case <-progress:
					case <-deadline:
						t.Fatalf("%d replies, want %d", ok.Load(), n)
					}
				}
			}
			waitFor(20)
			b.Restart()
			after := ok.Load()
			waitFor(after + 20)
			close(stop)
			wg.Wait()
			if n := r.h.twice(); n != 0 {
				t.Errorf("%d commands ran twice", n)
			}
			if st := d.Stats(); st.Connects < 2 {
				t.Errorf("stats %+v: the device did not reconnect", st)
			}
		})
	}
}

// TestOfflineQueue: the device is offline for 10 s; the broker queues the
// commands sent meanwhile (a persistent session). When it is back, a
// command still inside the Opener's window runs, once; one that has
// grown stale is refused, without a reply.
func TestOfflineQueue(t *testing.T) {
	if testing.Short() {
		t.Skip("10 s offline")
	}
	b := mqtttest.Start(t, nil)
	r := newRig(t, "offline")
	r.opener.Window = 5 * time.Second
	var logs bytes.Buffer
	var logMu sync.Mutex
	proxy := mqtttest.NewProxy(t, strings.TrimPrefix(b.URL, "tcp://"))
	cfg := fast(proxy.URL())
	cfg.Logger = slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logs}, nil))
	d := r.startDevice(t, cfg, nil)
	status := newWatcher(t, b.URL, mqtt.StatusTopic("", r.dev.PublicKey()))
	replies := newWatcher(t, b.URL, mqtt.DefaultPrefix+"/"+r.dev.PublicKey().String()+"/replies/#")

	proxy.Down()
	if !status.until(t, func(m []byte) bool { return bytes.Contains(m, []byte(`"online":false`)) }) {
		t.Fatal("no offline presence")
	}
	offline := time.Now()
	stale, err := command.Seal(nil, r.owner, r.dev.PublicKey(), command.Command{Name: "stale"}, offline)
	if err != nil {
		t.Fatal(err)
	}
	status.publish(t, mqtt.CommandsTopic("", r.dev.PublicKey()), stale)

	app := dial(t, fast(b.URL), r.owner, &mqtt.ClientOptions{Timeout: 15 * time.Second})
	time.Sleep(7 * time.Second) // the scenario: the device stays away
	fresh := make(chan error, 1)
	go func() {
		rep, err := app.Send(context.Background(), r.dev.PublicKey(), command.Command{Name: "fresh"})
		if err == nil && !rep.OK {
			err = errors.New(rep.Error)
		}
		fresh <- err
	}()
	time.Sleep(time.Until(offline.Add(10 * time.Second))) // 10 s offline in all
	proxy.Up()
	if err := <-fresh; err != nil {
		t.Fatalf("the command queued inside the window: %v", err)
	}
	if n := r.h.count(); n != 1 || r.h.twice() != 0 {
		t.Errorf("handler ran %d times, want once (the fresh command)", n)
	}
	if got := replies.wait(t, 1); got != 1 {
		t.Errorf("%d replies, want 1", got)
	}
	// The stale command came first in the queue: it was refused before the
	// fresh one was answered.
	if st := d.Stats(); st.Refused != 1 || st.Replied != 1 || st.Connects != 2 {
		t.Errorf("stats %+v", st)
	}
	logMu.Lock()
	defer logMu.Unlock()
	if !strings.Contains(logs.String(), "too old") {
		t.Errorf("no stale refusal in the log:\n%s", logs.String())
	}
}

// TestJunkFlood: 10,000 junk messages land on the commands topic (random
// bytes, a stranger's signed envelopes, copies of an owner's old envelope,
// envelopes from a thousand made-up keys) while an owner sends commands;
// every one of the owner's commands completes, and no junk runs.
func TestJunkFlood(t *testing.T) {
	b := mqtttest.Start(t, nil)
	r := newRig(t, "flood")
	d := r.startDevice(t, fast(b.URL), nil)
	dev := r.dev.PublicKey()
	app := dial(t, fast(b.URL), r.owner, &mqtt.ClientOptions{Timeout: 10 * time.Second})
	send(t, app, dev, "before")

	// The junk, made before the flood starts.
	old, err := command.Seal(nil, r.owner, dev, command.Command{Name: "old"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	flooder := newWatcher(t, b.URL, "unused/#")
	flooder.publish(t, mqtt.CommandsTopic("", dev), old) // taken once: later copies are replays
	stranger, err := command.NewSender(testKey(t, "flood/stranger"), dev)
	if err != nil {
		t.Fatal(err)
	}
	var junk [][]byte
	for i := range 10_000 {
		switch i % 10 {
		case 0, 1, 2: // random bytes, some of them a plausible header
			j := make([]byte, 100+i%400)
			rand.Read(j)
			if i%2 == 0 {
				j[0], j[1] = command.Version, command.KindCommand
				copy(j[35:67], dev[:])
			}
			junk = append(junk, j)
		case 3, 4, 5: // signed by a stranger
			env, err := stranger.Seal(nil, command.Command{Name: "junk"}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			junk = append(junk, env)
		case 6, 7, 8: // the owner's old envelope again
			junk = append(junk, old)
		case 9: // a key made up for each
			k, err := nem.GeneratePrivateKey(nil)
			if err != nil {
				t.Fatal(err)
			}
			env, err := command.Seal(nil, k, dev, command.Command{Name: "junk"}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			junk = append(junk, env)
		}
	}

	flooded := make(chan struct{})
	go func() {
		defer close(flooded)
		var toks []paho.Token
		for _, j := range junk {
			toks = append(toks, flooder.c.Publish(mqtt.CommandsTopic("", dev), 1, false, j))
		}
		for _, tok := range toks {
			tok.WaitTimeout(30 * time.Second)
		}
	}()
	var worst time.Duration
	for i := range 20 {
		start := time.Now()
		send(t, app, dev, "owner-"+string(rune('a'+i)))
		worst = max(worst, time.Since(start))
	}
	<-flooded
	send(t, app, dev, "after")
	t.Logf("worst owner command during the flood: %v; stats %+v", worst, d.Stats())
	if n := r.h.count(); n != 23 {
		t.Errorf("handler ran %d times, want 23 (the owner's commands only)", n)
	}
	if r.h.twice() != 0 {
		t.Error("a command ran twice")
	}
}

// TestDropMidPublish: the connection breaks in the middle of a PUBLISH,
// either way. A command cut on its way to the device is delivered again
// on the next connection (it was never acknowledged) and runs once; a
// reply cut on its way to the broker is sent again by the device's
// session. The owner gets the reply both times.
func TestDropMidPublish(t *testing.T) {
	for _, c := range []struct {
		name string
		dir  mqtttest.Direction
	}{{"command", mqtttest.ToClient}, {"reply", mqtttest.ToBroker}} {
		t.Run(c.name, func(t *testing.T) {
			b := mqtttest.Start(t, nil)
			r := newRig(t, "midpublish/"+c.name)
			proxy := mqtttest.NewProxy(t, strings.TrimPrefix(b.URL, "tcp://"))
			d := r.startDevice(t, fast(proxy.URL()), nil)
			app := dial(t, fast(b.URL), r.owner, &mqtt.ClientOptions{Timeout: 10 * time.Second})
			// Envelopes are a few hundred bytes; acknowledgements and pings
			// are 2 to 4.
			fired := proxy.CutMidPacket(c.dir, 200)
			rep, err := app.Send(context.Background(), r.dev.PublicKey(), command.Command{Name: "once"})
			if err != nil {
				t.Fatal(err)
			}
			select {
			case <-fired:
			default:
				t.Fatal("the fault did not fire")
			}
			var got map[string]string
			if !rep.OK || json.Unmarshal(rep.Result, &got) != nil || got["echo"] != "once" {
				t.Errorf("reply %+v", rep)
			}
			if n := r.h.count(); n != 1 {
				t.Errorf("handler ran %d times, want 1", n)
			}
			// The reply came through a new connection: the device is
			// ready on it once its subscription and presence are done.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := d.Ready(ctx); err != nil {
				t.Fatal(err)
			}
			if st := d.Stats(); st.Connects != 2 {
				t.Errorf("stats %+v: want one reconnection", st)
			}
		})
	}
}
