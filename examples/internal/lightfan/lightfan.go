// Package lightfan is the device of the example programs: a light and a
// fan, wired with package device. It is example wiring, not library code:
// a device of your own is a few lines of [device.New] over the actions it
// needs, as [LightFan] shows.
//
//   - [LightFan] builds the device on two output pins.
//   - [OpenLightFan] finds those pins by name from a pin map such as
//     [DefaultPinMap] (on a board, or on simulated pins).
//   - [NewSim] is the device on simulated pins (package devicetest), for
//     demos and tests without hardware.
package lightfan

import (
	"fmt"

	"periph.io/x/conn/v3/gpio"

	"github.com/nemiot/nemiot/device"
	"github.com/nemiot/nemiot/device/devicetest"
)

// DefaultPinMap is the pin map of the example hub: the light on GPIO17
// (header pin 11) and the fan on GPIO18 (header pin 12).
const DefaultPinMap = "light=GPIO17,fan=GPIO18"

// LightFan returns the ready-made device of the examples, with commands:
//
//   - "light", a [device.Switch]: args {"on": bool}.
//   - "fan", a [device.Level] with Arg "speed" and 3 steps: args
//     {"speed": 0..3}, driving duty 0, 1/3, 2/3 and full at 1 kHz. If the
//     driver has no PWM (see [device.Level]), speeds 1 and 2 fall back to
//     full on (duty "100%", "pulsing": false in the result) rather than
//     failing.
//   - "status" ([device.StatusCommand]): args none; result
//     {"fan": {"speed", "steps", "duty", "pulsing", "pin"}, "light": {"on", "level", "pin"}}.
//
// Both pins start off (Low). opts may be nil. Errors wrap
// [device.ErrConfig] or are a [*device.PinError].
func LightFan(light, fan gpio.PinOut, opts *device.Opts) (*device.Device, error) {
	l, err := device.NewSwitch(light, nil)
	if err != nil {
		return nil, fmt.Errorf("light: %w", err)
	}
	f, err := device.NewLevel(fan, &device.LevelOpts{Arg: "speed", Steps: 3, Fallback: true})
	if err != nil {
		return nil, fmt.Errorf("fan: %w", err)
	}
	return device.New(map[string]device.Action{"light": l, "fan": f}, opts)
}

// NewSim returns [LightFan] on simulated pins (devicetest.NewPins) named
// GPIO17 and GPIO18, for demos and tests without hardware. Its
// [device.StatusCommand] shows what the pins would do. Its name is "sim".
// Each call has pins of its own.
func NewSim() *device.Device {
	d, _ := NewSimPins()
	return d
}

// NewSimPins is [NewSim] that also returns the simulated pins, so that a
// test can read what the device drove.
func NewSimPins() (*device.Device, *devicetest.Pins) {
	pins := devicetest.NewPins("GPIO17", "GPIO18")
	d, err := OpenLightFan(DefaultPinMap, pins.ByName, &device.Opts{Name: "sim"})
	if err != nil {
		panic("lightfan: NewSim: " + err.Error()) // unreachable: simulated pins do not fail
	}
	return d, pins
}

// OpenLightFan returns [LightFan] on the pins named by pinMap, which must
// map exactly "light" and "fan" (see [device.ParsePinMap]), e.g.
// [DefaultPinMap]. byName looks pins up; nil means gpioreg.ByName, which
// knows the board's pins only after the program has called host.Init from
// periph.io/x/host/v3; devicetest.Pins.ByName simulates them. opts may be
// nil. A pin map that names other logical pins, or misses one, is an error
// wrapping [device.ErrConfig]; an unknown pin name, [device.ErrUnknownPin].
func OpenLightFan(pinMap string, byName func(string) gpio.PinIO, opts *device.Opts) (*device.Device, error) {
	m, err := device.ParsePinMap(pinMap)
	if err != nil {
		return nil, err
	}
	for k := range m {
		if k != "light" && k != "fan" {
			return nil, fmt.Errorf("%w: pin map: unknown name %q (want light and fan)", device.ErrConfig, k)
		}
	}
	for _, k := range []string{"light", "fan"} {
		if _, ok := m[k]; !ok {
			return nil, fmt.Errorf("%w: pin map: no pin for %q", device.ErrConfig, k)
		}
	}
	p, err := device.Resolve(m, byName)
	if err != nil {
		return nil, err
	}
	return LightFan(p["light"], p["fan"], opts)
}
