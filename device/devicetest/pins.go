package devicetest

import (
	"slices"
	"strconv"
	"strings"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// Pins is a set of simulated GPIO pins (periph's [gpiotest.Pin]) found by
// name: a stand-in for gpioreg.ByName, so that code which looks its pins
// up by name (device.Resolve over a pin map from configuration, say) runs
// without hardware, and a test can then read what it drove.
//
// The set is fixed when [NewPins] makes it, and safe for concurrent use;
// each pin is as safe as gpiotest makes it (lock it to read its fields).
type Pins struct {
	pins  map[string]*gpiotest.Pin
	names []string // sorted
}

// NewPins returns a simulated pin for each name, as gpiotest.Pin{N: name}
// starting Low. A pin's number is the one its name ends with (17 for
// "GPIO17"), or -1 when it ends with none. Empty names are skipped, and a
// name given twice is one pin.
func NewPins(names ...string) *Pins {
	p := &Pins{pins: make(map[string]*gpiotest.Pin, len(names))}
	for _, n := range names {
		if n == "" || p.pins[n] != nil {
			continue
		}
		p.pins[n] = &gpiotest.Pin{N: n, Num: number(n)}
		p.names = append(p.names, n)
	}
	slices.Sort(p.names)
	return p
}

// number returns the decimal number name ends with, or -1.
func number(name string) int {
	digits := name[len(strings.TrimRight(name, "0123456789")):]
	n, err := strconv.Atoi(digits)
	if err != nil {
		return -1
	}
	return n
}

// ByName returns the pin called name, or nil when there is none, as
// gpioreg.ByName does; it fits the byName argument of device.Resolve.
func (p *Pins) ByName(name string) gpio.PinIO {
	if pin := p.pins[name]; pin != nil {
		return pin
	}
	return nil // an untyped nil: a nil *gpiotest.Pin would not compare equal to nil
}

// Pin returns the pin called name, or nil, to set its input level or read
// what was driven: lock it, then read its L (level), D (PWM duty) and F
// (PWM frequency).
func (p *Pins) Pin(name string) *gpiotest.Pin { return p.pins[name] }

// Names returns the names of the pins, sorted.
func (p *Pins) Names() []string { return slices.Clone(p.names) }
