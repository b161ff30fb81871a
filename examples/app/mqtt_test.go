package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/examples/internal/lightfan"
	"github.com/nemiot/nemiot/mqtt"
	"github.com/nemiot/nemiot/mqtt/mqtttest"
	"github.com/nemiot/nemiot/nem"
)

// TestMQTT: -mqtt URL -device HEX sends through the broker and prints the
// verified reply exactly as over HTTP; a command the device refuses is
// silence, reported after -timeout with what the presence says.
func TestMQTT(t *testing.T) {
	b := mqtttest.Start(t, nil)
	f := newFixture(t)
	opener := &command.Opener{Device: f.device, Owners: command.StaticOwners(f.owner.PublicKey())}
	dev, err := mqtt.Start(mqtt.Config{Broker: b.URL}, opener, lightfan.NewSim(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Shutdown(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := dev.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	devHex := f.device.PublicKey().String()

	code, out, errOut := runApp(t, "-key", f.ownerKey, "-mqtt", b.URL, "-device", devHex, "-cmd", "light", "-args", `{"on":true}`)
	if code != 0 || !strings.HasPrefix(out, "light: ok (signed by the device at ") || errOut != "" {
		t.Fatalf("light: exit %d\n%s%s", code, out, errOut)
	}
	// The same command over HTTP prints the same lines, but for the date.
	_, httpOut, _ := runApp(t, "-key", f.ownerKey, "-hub", f.hub.URL, "-device", devHex, "-cmd", "light", "-args", `{"on":true}`)
	if strip(out) != strip(httpOut) {
		t.Errorf("MQTT printed\n%s\nHTTP printed\n%s", out, httpOut)
	}

	stranger, err := nem.GeneratePrivateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(KeyEnv, stranger.Hex())
	code, out, errOut = runApp(t, "-mqtt", b.URL, "-device", devHex, "-timeout", "300ms")
	if code != 1 || out != "" || !strings.Contains(errOut, "no reply within 300ms; the device refused it or is offline (its presence says online") {
		t.Errorf("stranger: exit %d\n%s%s", code, out, errOut)
	}

	for _, args := range [][]string{
		{"-mqtt", b.URL}, // no -device
		{"-mqtt", b.URL, "-hub", f.hub.URL, "-device", devHex}, // both
		{"-mqtt-ca", "ca.pem", "-device", devHex},              // TLS without -mqtt
	} {
		if code, out, errOut := runApp(t, append([]string{"-key", f.ownerKey}, args...)...); code != 2 {
			t.Errorf("%q: exit %d, want 2\n%s%s", args, code, out, errOut)
		}
	}
}

// strip drops the date line's date.
func strip(s string) string {
	first, rest, _ := strings.Cut(s, "\n")
	first, _, _ = strings.Cut(first, " at ")
	return first + "\n" + rest
}
