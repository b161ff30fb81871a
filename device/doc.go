// Package device turns commands into hardware actions, over periph.io.
//
// A [Device] serves named actions. Each command names one, with JSON args
// the action validates strictly; [Device.Do] runs it and returns a
// JSON-friendly result, or a [*CommandError]. Build your set of actions
// with [New]:
//
//	light, err := device.NewSwitch(gpioreg.ByName("GPIO17"), nil)
//	...
//	d, err := device.New(map[string]device.Action{"light": light}, nil)
//	...
//	defer d.Halt()
//	res, err := d.Do(ctx, "light", json.RawMessage(`{"on": true}`))
//
// A Device is a [command.Handler] as it stands: pass it to package hub
// (or any other transport), which hands it each command an owner sent.
//
// # Actions
//
//   - [Switch]: an output on or off ({"on": bool}), over [gpio.PinOut].
//   - [Level]: a PWM level such as a dimmer or fan speed ({"level": n}).
//     PWM is an optional capability: drivers that lack it give
//     [ErrUnsupported], or full on with [LevelOpts].Fallback.
//   - [Input]: a digital input, over [gpio.PinIn]; no args.
//   - [Pulse]: an output active for a bounded time ({"ms": n}), cancelled
//     by the context or by Halt.
//   - [I2CRead]: n bytes from a register of an I²C device ({"reg", "n"}).
//   - [StatusCommand]: built in; every action's state.
//
// Implement [Action] to add others.
//
// # Args
//
// Args are a JSON object, or empty or null for none. Unknown, duplicated
// or missing fields, wrong types (1.0 is not an integer, "true" is not a
// boolean) and out-of-range values are rejected with an error wrapping
// [ErrBadArgs] before any hardware is touched. Field names match exactly.
//
// # Safety and concurrency
//
// Constructors drive outputs to their safe level (off, level 0, rest), and
// so does [Device.Halt], which also cuts a running pulse short. Call Halt on
// shutdown, e.g. after [os/signal.NotifyContext] fires. A Device runs one
// action at a time (a pulse holds it for its length) and is safe for
// concurrent use.
//
// # Pins
//
// Actions take the narrowest periph interface they need. On hardware, call
// host.Init from periph.io/x/host/v3 once, then look pins up by name with
// gpioreg.ByName, or [ParsePinMap] and [Resolve] (a map such as
// "light=GPIO17,fan=GPIO18" from configuration, never pin numbers from a
// command). Without hardware, package devicetest simulates pins by name
// (devicetest.Pins, over periph's gpiotest) and records commands
// (devicetest.Recorder); periph's i2ctest plays back an I²C bus.
package device
