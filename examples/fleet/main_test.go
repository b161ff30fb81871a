package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/examples/internal/extest"
	"github.com/nemiot/nemiot/mqtt"
	"github.com/nemiot/nemiot/mqtt/mqtttest"
	"github.com/nemiot/nemiot/nem"
)

// syncBuffer is a buffer safe to write and read at once.
type syncBuffer = extest.SyncBuffer

// TestFleet: the fleet brings its devices online with keys it made (and
// keeps), prints their public keys, and each obeys the owner over MQTT;
// a stop takes them offline.
func TestFleet(t *testing.T) {
	b := mqtttest.Start(t, nil)
	owner, err := nem.GeneratePrivateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "keys")
	const n = 20
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	online := make(chan []nem.PublicKey, 1)
	go func() {
		done <- run(ctx, []string{"-mqtt", b.URL, "-keys", dir, "-n", "20", "-owners", owner.PublicKey().String()}, &stdout, &stderr,
			func(k []nem.PublicKey) { online <- k })
	}()
	var keys []nem.PublicKey
	select {
	case keys = <-online:
	case code := <-done:
		t.Fatalf("fleet exited %d:\n%s", code, stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("fleet not online:\n%s", stderr.String())
	}
	if lines := strings.Fields(stdout.String()); len(lines) != n || lines[0] != keys[0].String() {
		t.Errorf("stdout lists %d keys, want %d", len(lines), n)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "dev-*.key")); len(files) != n {
		t.Errorf("%d key files, want %d", len(files), n)
	}
	if fi, err := os.Stat(filepath.Join(dir, "dev-0001.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode: %v %v", fi, err)
	}

	dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	app, err := mqtt.Dial(dctx, mqtt.Config{Broker: b.URL}, owner, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	for _, k := range keys {
		rep, err := app.Send(dctx, k, command.Command{Name: "light", Args: json.RawMessage(`{"on":true}`)})
		if err != nil || !rep.OK {
			t.Fatalf("%s: %+v %v", k, rep, err)
		}
	}
	stop()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr.String())
	}
	if p, err := app.Presence(dctx, keys[n-1]); err != nil || p.Online {
		t.Errorf("presence after stop: %+v %v", p, err)
	}
	if !strings.Contains(stderr.String(), "20 devices online") {
		t.Errorf("no online line:\n%s", stderr.String())
	}
}

// TestUsage: missing flags are usage errors.
func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-mqtt", "tcp://127.0.0.1:1"},
		{"-mqtt", "tcp://127.0.0.1:1", "-keys", t.TempDir()},
		{"-mqtt", "tcp://127.0.0.1:1", "-keys", t.TempDir(), "-owners", "00", "-n", "1"},
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut, nil); code != 2 {
			t.Errorf("%q: exit %d, want 2: %s", args, code, errOut.String())
		}
	}
}
