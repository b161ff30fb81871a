package device

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
)

// LevelOpts configures a [Level]. Zero fields take the value from
// [DefaultLevelOpts]; negative ones are an error.
type LevelOpts struct {
	// Arg is the name of the field in args, result and state: "level" by
	// default, "speed" for the fan of the examples. It cannot be one of the
	// other state keys ("steps", "duty", "pulsing", "pin").
	Arg string
	// Steps is the highest level; level n drives duty n/Steps of full.
	// At most 65536.
	Steps int
	// Freq is the PWM frequency.
	Freq physic.Frequency
	// Fallback makes a Level usable on pins without PWM: when the driver
	// refuses PWM, any level above 0 drives the pin High (full on) instead
	// of failing with ErrUnsupported.
	Fallback bool
}

// DefaultLevelOpts is used when NewLevel is passed nil: levels 0 to 100 (a
// percentage) at 1 kHz, no fallback.
var DefaultLevelOpts = LevelOpts{Arg: "level", Steps: 100, Freq: physic.KiloHertz}

// Level drives an output at one of Steps+1 levels with PWM, e.g. a dimmer or
// a fan. Its args are {Arg: 0..Steps}; its result and state are
// {Arg: n, "steps": Steps, "duty": "33%", "pulsing": bool, "pin": name},
// where duty is what the pin actually does and pulsing says whether PWM is
// pulsing the pin right now. It is false at level 0 and at Steps, where the
// pin is held steadily Low or High (whatever the driver can do), and under
// Fallback, where the driver refused PWM and the pin is held High instead;
// it does not say whether the pin supports PWM.
//
// Level 0 drives the pin Low and level Steps drives it High with Out, not
// PWM, so they work on every driver (periph's bcm283x does the same, and its
// Out stops a running PWM). Levels in between need PWM, an optional
// capability: periph drivers return untyped errors when they lack it
// (gpioioctl: "PWM() not implemented"; bcm283x without root: "bcm283x-dma
// not initialized"), so every PWM error is reported as a [*PinError]
// wrapping both [ErrUnsupported] and the driver's error, unless
// [LevelOpts].Fallback is set. The safe level is 0 (Low).
type Level struct {
	pin      gpio.PinOut
	arg      string
	steps    int
	freq     physic.Frequency
	fallback bool

	value int       // current level
	duty  gpio.Duty // what the pin does
	pwm   bool      // duty is produced by PWM now ("pulsing")
	name  boxedName // the pin's name, for State
}

var _ Action = (*Level)(nil)

// NewLevel returns a Level on p and drives p Low. opts may be nil.
func NewLevel(p gpio.PinOut, opts *LevelOpts) (*Level, error) {
	if p == nil {
		return nil, configErr("level: nil pin")
	}
	o := DefaultLevelOpts
	if opts != nil {
		if opts.Steps < 0 || opts.Steps > 1<<16 {
			return nil, configErr("level: Steps %d not in 1..65536", opts.Steps)
		}
		if opts.Freq < 0 {
			return nil, configErr("level: negative Freq")
		}
		if opts.Arg != "" {
			if !validName(opts.Arg) || opts.Arg == "steps" || opts.Arg == "duty" || opts.Arg == "pulsing" || opts.Arg == "pin" {
				return nil, configErr("level: Arg %s", quote(opts.Arg, maxNameLen))
			}
			o.Arg = opts.Arg
		}
		if opts.Steps != 0 {
			o.Steps = opts.Steps
		}
		if opts.Freq != 0 {
			o.Freq = opts.Freq
		}
		o.Fallback = opts.Fallback
	}
	l := &Level{pin: p, arg: o.Arg, steps: o.Steps, freq: o.Freq, fallback: o.Fallback, name: newBoxedName(p.Name())}
	if err := l.Halt(); err != nil {
		return nil, err
	}
	return l, nil
}

// String returns the pin's name.
func (l *Level) String() string { return l.pin.String() }

// Halt drives level 0 (Low).
func (l *Level) Halt() error { return l.set(0) }

// levelDuty returns the duty cycle for level n of steps, rounded to nearest.
func levelDuty(n, steps int) gpio.Duty {
	return gpio.Duty((int64(gpio.DutyMax)*int64(n) + int64(steps)/2) / int64(steps))
}

// percent formats d as a whole percentage, rounded to nearest (gpio.Duty's
// String truncates: 2/3 would print as "66%").
func percent(d gpio.Duty) string {
	return strconv.FormatInt(percentOf(d), 10) + "%"
}

// percentOf is d as a whole percentage, rounded to nearest.
func percentOf(d gpio.Duty) int64 {
	return (int64(d)*100 + int64(gpio.DutyMax)/2) / int64(gpio.DutyMax)
}

func (l *Level) out(v gpio.Level) error {
	if err := l.pin.Out(v); err != nil {
		return &PinError{Pin: l.pin.Name(), Op: "out", Err: err}
	}
	return nil
}

func (l *Level) set(n int) error {
	switch {
	case n == 0:
		if err := l.out(gpio.Low); err != nil {
			return err
		}
		l.duty, l.pwm = 0, false
	case n == l.steps:
		if err := l.out(gpio.High); err != nil {
			return err
		}
		l.duty, l.pwm = gpio.DutyMax, false
	default:
		d := levelDuty(n, l.steps)
		if err := l.pin.PWM(d, l.freq); err != nil {
			if !l.fallback {
				return &PinError{Pin: l.pin.Name(), Op: "pwm", Err: fmt.Errorf("%w: %w", ErrUnsupported, err)}
			}
			if err := l.out(gpio.High); err != nil {
				return err
			}
			l.duty, l.pwm = gpio.DutyMax, false
		} else {
			l.duty, l.pwm = d, true
		}
	}
	l.value = n
	return nil
}

// Do sets the level from args {Arg: 0..Steps}.
func (l *Level) Do(ctx context.Context, raw json.RawMessage) (any, error) {
	a, err := parseArgs(raw)
	if err != nil {
		return nil, err
	}
	if err := a.only(l.arg); err != nil {
		return nil, err
	}
	n, err := a.integer(l.arg, 0, int64(l.steps))
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := l.set(int(n)); err != nil {
		return nil, err
	}
	return l.State(), nil
}

// State returns {Arg: n, "steps": Steps, "duty": "33%", "pulsing": bool,
// "pin": name}.
func (l *Level) State() any {
	return map[string]any{l.arg: l.value, "steps": l.steps, "duty": percentString(l.duty), "pulsing": l.pwm, "pin": l.name.get(l.pin.Name())}
}
