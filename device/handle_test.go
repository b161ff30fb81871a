package device_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/device"
)

// lightOnly returns a device whose one action, "light", is a switch on
// the returned pin.
func lightOnly(t *testing.T) (*device.Device, *gpiotest.Pin) {
	t.Helper()
	light := &gpiotest.Pin{N: "GPIO17"}
	sw, err := device.NewSwitch(light, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := device.New(map[string]device.Action{"light": sw}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d, light
}

// TestHandle: a verified command.Request reaches the same action as Do, and
// a refused one comes back as the same typed error.
func TestHandle(t *testing.T) {
	d, light := lightOnly(t)
	ctx := context.Background()
	req := &command.Request{Command: command.Command{Name: "light", Args: json.RawMessage(`{"on":true}`)}}
	if _, err := d.Handle(ctx, req); err != nil {
		t.Fatalf("Handle(light on): %v", err)
	}
	if stateOf(light).L != gpio.High {
		t.Fatalf("pin %s after light on, want High", stateOf(light).L)
	}
	req.Command.Args = json.RawMessage(`{"on":"yes"}`)
	if _, err := d.Handle(ctx, req); !errors.Is(err, device.ErrBadArgs) {
		t.Fatalf("Handle(bad args) = %v, want ErrBadArgs", err)
	}
	req.Command = command.Command{Name: "door"}
	if _, err := d.Handle(ctx, req); !errors.Is(err, device.ErrUnknownCommand) {
		t.Fatalf("Handle(unknown) = %v, want ErrUnknownCommand", err)
	}
	if stateOf(light).L != gpio.High {
		t.Fatal("a refused command moved the pin")
	}
}

// commanderOnly is a device.Commander that is nothing more: no Handle.
type commanderOnly struct{ device.Commander }

// TestDeviceHandler: a Commander of one's own becomes a command.Handler
// (and a command.Halter) that runs each request's command and halts it.
func TestDeviceHandler(t *testing.T) {
	if device.DeviceHandler(nil) != nil {
		t.Error("DeviceHandler(nil) is not nil")
	}
	d, light := lightOnly(t)
	h := device.DeviceHandler(commanderOnly{d})
	ctx := context.Background()
	req := &command.Request{Command: command.Command{Name: "light", Args: json.RawMessage(`{"on":true}`)}}
	res, err := h.Handle(ctx, req)
	if err != nil || jsonOf(t, res) != `{"level":"High","on":true,"pin":"GPIO17"}` {
		t.Fatalf("Handle(light on) = %v, %v", res, err)
	}
	req.Command = command.Command{Name: "door"}
	if _, err := h.Handle(ctx, req); !errors.Is(err, device.ErrUnknownCommand) {
		t.Errorf("Handle(unknown) = %v, want ErrUnknownCommand", err)
	}
	halter, ok := h.(command.Halter)
	if !ok {
		t.Fatal("the handler is not a command.Halter")
	}
	if err := halter.Halt(); err != nil || stateOf(light).L != gpio.Low {
		t.Errorf("Halt: %v, pin %s; want nil, Low", err, stateOf(light).L)
	}
}
