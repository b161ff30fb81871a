package main

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/device"
	"github.com/nemiot/nemiot/mqtt"
	"github.com/nemiot/nemiot/mqtt/mqtttest"
	"github.com/nemiot/nemiot/nem/keyfile"
)

// TestMQTTOnly: -mqtt URL -listen "" serves the device through the broker
// alone; the owner's commands reach the simulated pins, and a stop
// publishes the device offline and halts it.
func TestMQTTOnly(t *testing.T) {
	b := mqtttest.Start(t, nil)
	devKey, owner := newKey(t), newKey(t)
	path := writeKey(t, &keyfile.File{Key: devKey})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	log := &syncBuffer{}
	done := make(chan int, 1)
	ready := make(chan *device.Device, 1)
	go func() {
		done <- run(ctx, []string{"-key", path, "-sim", "-owners", owner.PublicKey().String(), "-mqtt", b.URL, "-listen", ""}, log,
			func(a net.Addr, d *device.Device) {
				if a != nil {
					t.Errorf("listening on %v with -listen \"\"", a)
				}
				ready <- d
			})
	}()
	select {
	case <-ready:
	case code := <-done:
		t.Fatalf("hub exited %d:\n%s", code, log)
	case <-time.After(30 * time.Second):
		t.Fatalf("hub not online:\n%s", log)
	}

	dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	app, err := mqtt.Dial(dctx, mqtt.Config{Broker: b.URL}, owner, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	rep, err := app.Send(dctx, devKey.PublicKey(), command.Command{Name: "light", Args: json.RawMessage(`{"on":true}`)})
	if err != nil || !rep.OK {
		t.Fatalf("light: %+v %v\n%s", rep, err, log)
	}
	rep, err = app.Send(dctx, devKey.PublicKey(), command.Command{Name: "status"})
	var st status
	if err != nil || !rep.OK || json.Unmarshal(rep.Result, &st) != nil || !st.Light.On {
		t.Fatalf("status: %+v %v", rep, err)
	}

	stop()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d:\n%s", code, log)
	}
	if p, err := app.Presence(dctx, devKey.PublicKey()); err != nil || p.Online {
		t.Errorf("presence after stop: %+v %v", p, err)
	}
}

// TestMQTTUsage: -listen "" without -mqtt, and -mqtt-ca without -mqtt, are
// usage errors (exit 2); so is a broker URL with credentials in it.
func TestMQTTUsage(t *testing.T) {
	path := writeKey(t, &keyfile.File{Key: newKey(t)})
	owners := newKey(t).PublicKey().String()
	for _, args := range [][]string{
		{"-listen", ""},
		{"-mqtt-ca", "ca.pem"},
		{"-mqtt", "tcp://user:secret@127.0.0.1:1883", "-listen", ""},
		{"-mqtt", "http://127.0.0.1:1883"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var out syncBuffer
		code := run(ctx, append([]string{"-key", path, "-sim", "-owners", owners}, args...), &out, func(net.Addr, *device.Device) { cancel() })
		cancel()
		if code != 2 {
			t.Errorf("%q: exit %d, want 2:\n%s", args, code, out.String())
		}
		if strings.Contains(out.String(), "secret") {
			t.Errorf("%q: the password is printed:\n%s", args, out.String())
		}
	}
}
