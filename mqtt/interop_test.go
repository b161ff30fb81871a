package mqtt_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/mqtt"
	"github.com/nemiot/nemiot/mqtt/mqtttest"
	"github.com/nemiot/nemiot/nem"
)

// TestInteropJSEnvelopes: the command envelopes that nem-sdk (CBC) and
// symbol-sdk 3 (GCM) built in JavaScript (command/testdata, made by
// examples/js-app) are answered over MQTT as over HTTP: the device runs
// each and its reply, in the command's suite, verifies for the sender.
func TestInteropJSEnvelopes(t *testing.T) {
	var v struct {
		Device struct{ PrivateKey string }   `json:"device"`
		Owners []struct{ PrivateKey string } `json:"owners"`
		Cases  []struct {
			Name     string `json:"name"`
			TimeMs   int64  `json:"timeMs"`
			Cmd      string `json:"cmd"`
			Envelope string `json:"envelope"`
		} `json:"cases"`
	}
	data, err := os.ReadFile(filepath.Join("..", "command", "testdata", "js-envelopes.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &v); err != nil || len(v.Cases) == 0 || len(v.Owners) == 0 {
		t.Fatalf("vectors: %v, %d cases", err, len(v.Cases))
	}
	dev, err := nem.ParsePrivateKey(v.Device.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	var owners []nem.PublicKey
	var sender *nem.PrivateKey
	for i, o := range v.Owners {
		k, err := nem.ParsePrivateKey(o.PrivateKey)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			sender = k
		}
		owners = append(owners, k.PublicKey())
	}
	b := mqtttest.Start(t, nil)
	replies := newWatcher(t, b.URL, mqtt.RepliesTopic("", dev.PublicKey(), sender.PublicKey()))
	pub := newWatcher(t, b.URL, "unused/#")
	for i, c := range v.Cases {
		env, err := hex.DecodeString(c.Envelope)
		if err != nil {
			t.Fatal(err)
		}
		// The envelopes are dated when they were made: the device's clock
		// says it is two seconds later.
		at := time.UnixMilli(c.TimeMs)
		h := newCounter()
		opener := &command.Opener{Device: dev, Owners: command.StaticOwners(owners...),
			Clock: func() time.Time { return at.Add(2 * time.Second) }, NotBefore: at.Add(-time.Hour)}
		d, err := mqtt.Start(fast(b.URL), opener, h, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := d.Ready(ctx); err != nil {
			t.Fatal(err)
		}
		pub.publish(t, mqtt.CommandsTopic("", dev.PublicKey()), env)
		if got := replies.wait(t, i+1); got != i+1 {
			t.Fatalf("%s: no reply", c.Name)
		}
		replies.mu.Lock()
		reply := replies.msgs[i]
		replies.mu.Unlock()
		rep, err := command.OpenReply(sender, dev.PublicKey(), env, reply, at.Add(2*time.Second))
		if err != nil || !rep.OK {
			t.Errorf("%s: reply %+v: %v", c.Name, rep, err)
		}
		if h.count() != 1 {
			t.Errorf("%s: ran %d times", c.Name, h.count())
		}
		if err := d.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		cancel()
	}
}
