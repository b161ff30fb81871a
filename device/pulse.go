package device

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// PulseOpts configures a [Pulse]. Zero fields take the value from
// [DefaultPulseOpts]; negative ones are an error.
type PulseOpts struct {
	// ActiveLow makes the pulse drive Low, resting High.
	ActiveLow bool
	// Max bounds the pulse length a command may ask for; at least 1 ms, at
	// most 1 h.
	Max time.Duration
	// Sleep waits d or until ctx is done, returning ctx.Err() then. Nil
	// means a timer. Tests replace it to observe the pin mid-pulse.
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultPulseOpts is used when NewPulse is passed nil: active High, at
// most 10 s.
var DefaultPulseOpts = PulseOpts{Max: 10 * time.Second}

// maxPulseMax bounds PulseOpts.Max.
const maxPulseMax = time.Hour

// Pulse drives an output active for a bounded time, then back to rest, e.g.
// a door strike or a buzzer. Its args are {"ms": 1..Max in milliseconds};
// its result is {"ms": n, "level": rest level, "pin": name} once the pulse
// is over, and its state {"pulses": count, "level", "pin"}.
//
// A pulse holds the [Device] for its whole length. When ctx is done or the
// Device is halted mid-pulse, the pin returns to rest at once and Do returns
// the context's error. The safe level is rest (Low unless ActiveLow).
type Pulse struct {
	pin       gpio.PinOut
	activeLow bool
	max       time.Duration
	sleep     func(ctx context.Context, d time.Duration) error
	pulses    int
}

var _ Action = (*Pulse)(nil)

// NewPulse returns a Pulse on p and drives p to rest. opts may be nil.
func NewPulse(p gpio.PinOut, opts *PulseOpts) (*Pulse, error) {
	if p == nil {
		return nil, configErr("pulse: nil pin")
	}
	o := DefaultPulseOpts
	if opts != nil {
		if opts.Max != 0 {
			if opts.Max < time.Millisecond || opts.Max > maxPulseMax {
				return nil, configErr("pulse: Max %s not in 1ms..1h", opts.Max)
			}
			o.Max = opts.Max
		}
		o.ActiveLow = opts.ActiveLow
		o.Sleep = opts.Sleep
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	u := &Pulse{pin: p, activeLow: o.ActiveLow, max: o.Max, sleep: o.Sleep}
	if err := u.Halt(); err != nil {
		return nil, err
	}
	return u, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// String returns the pin's name.
func (u *Pulse) String() string { return u.pin.String() }

func (u *Pulse) rest() gpio.Level { return gpio.Level(u.activeLow) }

func (u *Pulse) out(l gpio.Level) error {
	if err := u.pin.Out(l); err != nil {
		return &PinError{Pin: u.pin.Name(), Op: "out", Err: err}
	}
	return nil
}

// Halt drives the pin to rest.
func (u *Pulse) Halt() error { return u.out(u.rest()) }

// Do pulses the pin for args {"ms": n}.
func (u *Pulse) Do(ctx context.Context, raw json.RawMessage) (any, error) {
	a, err := parseArgs(raw)
	if err != nil {
		return nil, err
	}
	if err := a.only("ms"); err != nil {
		return nil, err
	}
	ms, err := a.integer("ms", 1, int64(u.max/time.Millisecond))
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := u.out(!u.rest()); err != nil {
		// The pin state is unknown: try to leave it at rest.
		return nil, errors.Join(err, u.Halt())
	}
	u.pulses++
	serr := u.sleep(ctx, time.Duration(ms)*time.Millisecond)
	if err := u.Halt(); err != nil {
		return nil, errors.Join(serr, err)
	}
	if serr != nil {
		return nil, serr
	}
	return pulseResult{MS: ms, Level: u.rest().String(), Pin: u.pin.Name()}, nil
}

// State returns {"pulses": count, "level": rest level, "pin": name}.
func (u *Pulse) State() any {
	return pulseState{Pulses: u.pulses, Level: u.rest().String(), Pin: u.pin.Name()}
}
