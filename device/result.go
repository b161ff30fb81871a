package device

import (
	"strconv"

	"periph.io/x/conn/v3/gpio"
)

// Results and states are small structs where no caller relies on a map:
// encoding/json encodes a struct from a cached plan, a map by sorting its
// keys and reflecting on every value. Fields are in key order, so the JSON
// is what the maps gave (results_test.go pins it byte for byte).

// pulseResult is a Pulse's result.
type pulseResult struct {
	Level string `json:"level"`
	MS    int64  `json:"ms"`
	Pin   string `json:"pin"`
}

// pulseState is a Pulse's state.
type pulseState struct {
	Level  string `json:"level"`
	Pin    string `json:"pin"`
	Pulses int    `json:"pulses"`
}

// inputState is an Input's state and result.
type inputState struct {
	High  bool   `json:"high"`
	Level string `json:"level"`
	Pin   string `json:"pin"`
}

// The results of Switch and Level stay maps (callers index them), so their
// string values are boxed once here instead of on every call.

// levelAny holds gpio.Low and gpio.High as strings in interfaces.
var levelAny = [2]any{gpio.Low.String(), gpio.High.String()}

func levelString(l gpio.Level) any {
	if l {
		return levelAny[1]
	}
	return levelAny[0]
}

// percentAny holds "0%" to "100%" in interfaces.
var percentAny [101]any

func init() {
	for i := range percentAny {
		percentAny[i] = strconv.Itoa(i) + "%"
	}
}

// percentString returns percent(d) in an interface.
func percentString(d gpio.Duty) any {
	if p := percentOf(d); 0 <= p && p < int64(len(percentAny)) {
		return percentAny[p]
	}
	return percent(d)
}

// boxedName is a pin's name as a string and in an interface, boxed once:
// get returns the boxed name while the pin still answers that name.
type boxedName struct {
	s string
	v any
}

func newBoxedName(s string) boxedName { return boxedName{s, s} }

func (b boxedName) get(s string) any {
	if s == b.s {
		return b.v
	}
	return s
}
