package device

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
)

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
