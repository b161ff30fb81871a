package device

import (
	"context"
	"encoding/json"

	"periph.io/x/conn/v3/gpio"
)

// SwitchOpts configures a [Switch]. The zero value is [DefaultSwitchOpts].
type SwitchOpts struct {
	// ActiveLow inverts the output: on drives Low, off drives High, as
	// many relay boards need.
	ActiveLow bool
}

// DefaultSwitchOpts is used when NewSwitch is passed nil: on is High.
var DefaultSwitchOpts = SwitchOpts{}

// Switch turns an output on or off. Its args are {"on": true|false}; its
// result and state are {"on": bool, "level": "High"|"Low", "pin": name}.
// Its safe level is off.
type Switch struct {
	pin       gpio.PinOut
	activeLow bool
	on        bool
	name      boxedName // the pin's name, for State
}

var _ Action = (*Switch)(nil)

// NewSwitch returns a Switch on p and drives p off. opts may be nil.
func NewSwitch(p gpio.PinOut, opts *SwitchOpts) (*Switch, error) {
	if p == nil {
		return nil, configErr("switch: nil pin")
	}
	o := DefaultSwitchOpts
	if opts != nil {
		o = *opts
	}
	s := &Switch{pin: p, activeLow: o.ActiveLow, name: newBoxedName(p.Name())}
	if err := s.Halt(); err != nil {
		return nil, err
	}
	return s, nil
}

// String returns the pin's name.
func (s *Switch) String() string { return s.pin.String() }

// Halt turns the switch off.
func (s *Switch) Halt() error { return s.set(false) }

func (s *Switch) level(on bool) gpio.Level { return gpio.Level(on != s.activeLow) }

func (s *Switch) set(on bool) error {
	if err := s.pin.Out(s.level(on)); err != nil {
		return &PinError{Pin: s.pin.Name(), Op: "out", Err: err}
	}
	s.on = on
	return nil
}

// Do sets the switch from args {"on": bool}.
func (s *Switch) Do(ctx context.Context, raw json.RawMessage) (any, error) {
	a, err := parseArgs(raw)
	if err != nil {
		return nil, err
	}
	if err := a.only("on"); err != nil {
		return nil, err
	}
	on, err := a.boolean("on")
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.set(on); err != nil {
		return nil, err
	}
	return s.State(), nil
}

// State returns {"on": bool, "level": "High"|"Low", "pin": name}.
func (s *Switch) State() any {
	return map[string]any{"on": s.on, "level": levelString(s.level(s.on)), "pin": s.name.get(s.pin.Name())}
}
