package device

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// DefaultPinMap is the pin map of the example hub: the light on GPIO17
// (header pin 11) and the fan on GPIO18 (header pin 12).
const DefaultPinMap = "light=GPIO17,fan=GPIO18"

// LightFan returns the ready-made device of the examples, with commands:
//
//   - "light", a [Switch]: args {"on": bool}.
//   - "fan", a [Level] with Arg "speed" and 3 steps: args {"speed": 0..3},
//     driving duty 0, 1/3, 2/3 and full at 1 kHz. If the driver has no PWM
//     (see [Level]), speeds 1 and 2 fall back to full on (duty "100%",
//     "pulsing": false in the result) rather than failing.
//   - "status" ([StatusCommand]): args none; result
//     {"fan": {"speed", "steps", "duty", "pulsing", "pin"}, "light": {"on", "level", "pin"}}.
//
// Both pins start off (Low). opts may be nil.
func LightFan(light, fan gpio.PinOut, opts *Opts) (*Device, error) {
	l, err := NewSwitch(light, nil)
	if err != nil {
		return nil, fmt.Errorf("light: %w", err)
	}
	f, err := NewLevel(fan, &LevelOpts{Arg: "speed", Steps: 3, Fallback: true})
	if err != nil {
		return nil, fmt.Errorf("fan: %w", err)
	}
	return New(map[string]Action{"light": l, "fan": f}, opts)
}

// NewSim returns [LightFan] on simulated pins (periph's gpiotest) named
// GPIO17 and GPIO18, for demos and tests without hardware. Its
// [StatusCommand] shows what the pins would do. Its name is "sim".
func NewSim() *Device {
	d, err := LightFan(&gpiotest.Pin{N: "GPIO17", Num: 17}, &gpiotest.Pin{N: "GPIO18", Num: 18}, &Opts{Name: "sim"})
	if err != nil {
		panic("device: NewSim: " + err.Error()) // unreachable: gpiotest pins do not fail
	}
	return d
}

// OpenLightFan returns [LightFan] on the pins named by pinMap, which must
// map exactly "light" and "fan" (see [ParsePinMap]), e.g. [DefaultPinMap].
// byName looks pins up; nil means gpioreg.ByName, which knows the board's
// pins only after the program has called host.Init from
// periph.io/x/host/v3. opts may be nil.
func OpenLightFan(pinMap string, byName func(string) gpio.PinIO, opts *Opts) (*Device, error) {
	m, err := ParsePinMap(pinMap)
	if err != nil {
		return nil, err
	}
	for k := range m {
		if k != "light" && k != "fan" {
			return nil, configErr("pin map: unknown name %q (want light and fan)", k)
		}
	}
	for _, k := range []string{"light", "fan"} {
		if _, ok := m[k]; !ok {
			return nil, configErr("pin map: no pin for %q", k)
		}
	}
	p, err := Resolve(m, byName)
	if err != nil {
		return nil, err
	}
	return LightFan(p["light"], p["fan"], opts)
}

// ParsePinMap parses a map from logical names to periph pin names, written
// "name=PIN,name=PIN" (e.g. "light=GPIO17,fan=GPIO18"; spaces around items
// are ignored). Names and pins are 1 to 64 of [A-Za-z0-9_.-]; a name or a
// pin may appear only once. An empty string is an empty map. Errors wrap
// [ErrConfig].
func ParsePinMap(s string) (map[string]string, error) {
	m := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	used := map[string]string{}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		name, pin, ok := strings.Cut(item, "=")
		name, pin = strings.TrimSpace(name), strings.TrimSpace(pin)
		if !ok || !validName(name) || !validName(pin) {
			return nil, configErr("pin map: item %s: want name=PIN", quote(item, 80))
		}
		if _, dup := m[name]; dup {
			return nil, configErr("pin map: name %q given twice", name)
		}
		if other, dup := used[pin]; dup {
			return nil, configErr("pin map: pin %q used by %q and %q", pin, other, name)
		}
		m[name] = pin
		used[pin] = name
	}
	return m, nil
}

// Resolve looks up every pin name of m (logical name → pin name, as
// [ParsePinMap] returns) with byName and returns logical name → pin. byName
// nil means gpioreg.ByName (call host.Init first); tests pass a function
// over gpiotest pins. A name byName does not know is an error wrapping
// [ErrUnknownPin].
func Resolve(m map[string]string, byName func(string) gpio.PinIO) (map[string]gpio.PinIO, error) {
	if byName == nil {
		byName = gpioreg.ByName
	}
	keys := slices.Sorted(maps.Keys(m))
	out := make(map[string]gpio.PinIO, len(m))
	for _, k := range keys {
		p := byName(m[k])
		if p == nil {
			return nil, fmt.Errorf("%w: %q (for %q)", ErrUnknownPin, m[k], k)
		}
		out[k] = p
	}
	return out, nil
}
