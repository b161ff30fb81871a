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

// TestHandle: a verified command.Request reaches the same action as Do, and
// a refused one comes back as the same typed error.
func TestHandle(t *testing.T) {
	light := &gpiotest.Pin{N: "GPIO17"}
	sw, err := device.NewSwitch(light, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := device.New(map[string]device.Action{"light": sw}, nil)
	if err != nil {
		t.Fatal(err)
	}
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
