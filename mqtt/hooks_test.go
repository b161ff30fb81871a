package mqtt_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/mqtt"
	"github.com/nemiot/nemiot/mqtt/mqtttest"
)

// TestOnReply: DeviceOptions.OnReply sees each reply with its ok, before
// the reply reaches the sender.
func TestOnReply(t *testing.T) {
	b := mqtttest.Start(t, nil)
	r := newRig(t, "onreply")
	var ok, failed atomic.Int64
	r.startDevice(t, fast(b.URL), &mqtt.DeviceOptions{OnReply: func(o bool) {
		if o {
			ok.Add(1)
		} else {
			failed.Add(1)
		}
	}})
	app := dial(t, fast(b.URL), r.owner, nil)
	send(t, app, r.dev.PublicKey(), "light")
	if rep, err := app.Send(context.Background(), r.dev.PublicKey(), command.Command{Name: "fail"}); err != nil || rep.OK {
		t.Fatalf("fail: %+v, %v", rep, err)
	}
	if ok.Load() != 1 || failed.Load() != 1 {
		t.Errorf("OnReply saw %d ok and %d not ok, want 1 and 1", ok.Load(), failed.Load())
	}
}
