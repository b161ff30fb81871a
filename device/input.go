package device

import (
	"context"
	"encoding/json"

	"periph.io/x/conn/v3/gpio"
)

// InputOpts configures an [Input]. The zero value is [DefaultInputOpts].
type InputOpts struct {
	// Pull is the pull resistor to set; gpio.PullNoChange (the zero value)
	// leaves it as it is.
	Pull gpio.Pull
}

// DefaultInputOpts is used when NewInput is passed nil: the pull resistor
// is left unchanged.
var DefaultInputOpts = InputOpts{Pull: gpio.PullNoChange}

// Input reads a digital input. It takes no args; its result and state are
// {"high": bool, "level": "High"|"Low", "pin": name}, read from the pin
// each time. It has no outputs, so Halt does nothing.
type Input struct {
	pin gpio.PinIn
}

var _ Action = (*Input)(nil)

// NewInput returns an Input on p, setting p as an input with opts' pull and
// no edge detection. opts may be nil.
func NewInput(p gpio.PinIn, opts *InputOpts) (*Input, error) {
	if p == nil {
		return nil, configErr("input: nil pin")
	}
	o := DefaultInputOpts
	if opts != nil {
		o = *opts
	}
	if o.Pull > gpio.PullUp {
		return nil, configErr("input: invalid pull %s", o.Pull)
	}
	if err := p.In(o.Pull, gpio.NoEdge); err != nil {
		return nil, &PinError{Pin: p.Name(), Op: "in", Err: err}
	}
	return &Input{pin: p}, nil
}

// String returns the pin's name.
func (in *Input) String() string { return in.pin.String() }

// Halt does nothing: an input has no safe level to drive.
func (in *Input) Halt() error { return nil }

// Do reads the pin. It accepts no args (empty, null or {}).
func (in *Input) Do(ctx context.Context, raw json.RawMessage) (any, error) {
	a, err := parseArgs(raw)
	if err != nil {
		return nil, err
	}
	if err := a.only(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return in.State(), nil
}

// State reads the pin: {"high": bool, "level": "High"|"Low", "pin": name}.
func (in *Input) State() any {
	l := in.pin.Read()
	return inputState{High: bool(l), Level: l.String(), Pin: in.pin.Name()}
}
