package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/physic"

	"github.com/nemiot/nemiot/device"
	"github.com/nemiot/nemiot/examples/internal/serve"
)

// noPWM is a pin whose driver lacks PWM, like gpioioctl's.
type noPWM struct{ gpiotest.Pin }

func (p *noPWM) PWM(gpio.Duty, physic.Frequency) error { return errors.New("PWM() not implemented") }

func board(fanPWM bool) (map[string]gpio.PinIO, func(string) gpio.PinIO) {
	m := map[string]gpio.PinIO{
		"GPIO17": &gpiotest.Pin{N: "GPIO17"},
		"GPIO27": &gpiotest.Pin{N: "GPIO27"},
	}
	if fanPWM {
		m["GPIO18"] = &gpiotest.Pin{N: "GPIO18"}
	} else {
		m["GPIO18"] = &noPWM{gpiotest.Pin{N: "GPIO18"}}
	}
	return m, func(name string) gpio.PinIO {
		if p, ok := m[name]; ok {
			return p
		}
		return nil
	}
}

func do(t *testing.T, d *device.Device, name, args string) map[string]any {
	t.Helper()
	res, err := d.Do(context.Background(), name, json.RawMessage(args))
	if err != nil {
		t.Fatalf("%s %s: %v", name, args, err)
	}
	b, _ := json.Marshal(res)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDevice(t *testing.T) {
	for _, withPWM := range []bool{true, false} {
		m, byName := board(withPWM)
		d, err := newDevice(pins{Light: "GPIO17", Fan: "GPIO18", Button: "GPIO27", FanFreq: 25 * physic.KiloHertz}, byName)
		if err != nil {
			t.Fatal(err)
		}
		// The commands are examples/hub's: light, not led.
		if _, err := d.Do(context.Background(), "led", json.RawMessage(`{"on":true}`)); err == nil {
			t.Error(`"led" is still a command`)
		}
		do(t, d, "light", `{"on":true}`)
		if light := m["GPIO17"].(*gpiotest.Pin); light.L != gpio.High {
			t.Error("light not High")
		}
		fan := do(t, d, "fan", `{"speed":1}`)
		if fan["pulsing"] != withPWM || fan["pwm"] != nil {
			t.Errorf("PWM %v: fan result %v", withPWM, fan)
		}
		if withPWM {
			p := m["GPIO18"].(*gpiotest.Pin)
			if p.D != gpio.DutyMax/3 || p.F != 25*physic.KiloHertz {
				t.Errorf("fan duty %v at %v", p.D, p.F)
			}
		} else if p := m["GPIO18"].(*noPWM); p.L != gpio.High {
			t.Error("fan without PWM not full on")
		}
		// The button has its pull-up: released reads High.
		if b := do(t, d, "button", ""); b["high"] != true {
			t.Errorf("button %v", b)
		}
		if err := d.Halt(); err != nil {
			t.Fatal(err)
		}
		if m["GPIO17"].(*gpiotest.Pin).L != gpio.Low {
			t.Error("halt left the light on")
		}
	}
}

func TestUnknownPins(t *testing.T) {
	_, byName := board(true)
	for _, p := range []pins{
		{Light: "GPIO99", Fan: "GPIO18"},
		{Light: "GPIO17", Fan: "nope"},
		{Light: "GPIO17", Fan: "GPIO18", Button: "GPIO4"},
	} {
		if _, err := newDevice(p, byName); !errors.Is(err, device.ErrUnknownPin) {
			t.Errorf("%+v: %v, want ErrUnknownPin", p, err)
		}
	}
}

func TestUsage(t *testing.T) {
	t.Setenv(serve.KeyEnv, "")
	for _, args := range [][]string{{}, {"-fan-freq", "fast"}, {"extra"}, {"-led", "GPIO17"}} {
		var stderr bytes.Buffer
		if code := run(context.Background(), args, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, stderr.String())
		}
	}
}
