package device

import (
	"errors"
	"fmt"
)

// Sentinel errors. Test for them with [errors.Is]; the errors returned by
// [Device.Do] wrap them together with detail.
var (
	// ErrUnknownCommand means no action is registered under the command name.
	ErrUnknownCommand = errors.New("unknown command")

	// ErrBadArgs means the command's arguments were rejected: not a JSON
	// object, an unknown or duplicated field, a missing field, a wrong type
	// or a value out of range. The wrapping error says which.
	ErrBadArgs = errors.New("bad args")

	// ErrUnsupported means the pin driver cannot do what was asked; in
	// practice, PWM on a driver without it (gpioioctl, sysfs, bcm283x
	// without root). It also matches [errors.ErrUnsupported].
	ErrUnsupported error = unsupportedError{}

	// ErrConfig means a constructor was given an invalid configuration: a
	// nil pin, a bad action name, a malformed pin map, an out-of-range
	// option. It is a programmer or operator error, never caused by a
	// command.
	ErrConfig = errors.New("invalid device configuration")

	// ErrHalted means [Device.Halt] interrupted the command, or ran before
	// it. Outputs are at their safe levels; the command may be retried.
	ErrHalted = errors.New("halted")

	// ErrUnknownPin means a pin name could not be resolved (gpioreg.ByName
	// returned nil). Did the program call host.Init first?
	ErrUnknownPin = errors.New("unknown pin")
)

type unsupportedError struct{}

func (unsupportedError) Error() string { return "unsupported by the pin driver" }

// Is makes errors.Is(ErrUnsupported, errors.ErrUnsupported) true.
func (unsupportedError) Is(target error) bool { return target == errors.ErrUnsupported }

// CommandError is the error [Device.Do] returns: which command failed and
// why. Err wraps one of the sentinels ([ErrUnknownCommand], [ErrBadArgs],
// [ErrUnsupported], [ErrHalted]), a [*PinError], a context error, or
// whatever a custom [Action] returned.
type CommandError struct {
	Command string // the command name as received, truncated to 64 bytes
	Err     error
}

// Error describes the failure; it never contains a private key.
func (e *CommandError) Error() string {
	return fmt.Sprintf("device: %q: %v", e.Command, e.Err)
}

// Unwrap returns e.Err.
func (e *CommandError) Unwrap() error { return e.Err }

// PinError is a failure reported by a pin or bus driver while an action used
// it. Err wraps the driver's error (and [ErrUnsupported] when PWM is missing).
type PinError struct {
	Pin string // the pin's or bus's name as its driver reports it
	Op  string // "out", "pwm", "in", "tx"
	Err error
}

// Error describes the failure; it never contains a private key.
func (e *PinError) Error() string {
	return fmt.Sprintf("%s: %s: %v", e.Pin, e.Op, e.Err)
}

// Unwrap returns e.Err.
func (e *PinError) Unwrap() error { return e.Err }

// badArgs returns an error wrapping ErrBadArgs with detail.
func badArgs(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrBadArgs, fmt.Sprintf(format, a...))
}

// configErr returns an error wrapping ErrConfig with detail.
func configErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, a...))
}

// quote returns s quoted for an error message, cut to at most n bytes so an
// untrusted name cannot make error strings (and reply envelopes) large.
func quote(s string, n int) string {
	if len(s) > n {
		s = s[:n] + "…"
	}
	return fmt.Sprintf("%q", s)
}
