package device

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/nemiot/nemiot/command"
	"periph.io/x/conn/v3"
)

// StatusCommand is the built-in command every [Device] answers with its
// [Device.State]. It takes no args, and no action may be registered under
// this name.
const StatusCommand = "status"

// Action is one named thing a [Device] can do. The built-in actions are
// [Switch], [Level], [Input], [Pulse] and [I2CRead]; implement Action to add
// your own.
//
// A Device calls an Action's methods one at a time, never concurrently, so
// an Action needs no locking of its own when it is used only through a
// Device.
type Action interface {
	// String names the hardware behind the action, e.g. "GPIO17".
	String() string
	// Halt drives the action's outputs to their safe level. Actions
	// without outputs return nil.
	Halt() error
	// Do validates args and performs the action. Errors about args must
	// wrap [ErrBadArgs]. Do must return promptly once ctx is done, leaving
	// outputs at a defined level. The result must marshal to JSON.
	Do(ctx context.Context, args json.RawMessage) (any, error)
	// State reports the action's current state; it must marshal to JSON.
	State() any
}

// Commander is a device that runs commands by name: [*Device] implements
// it, and so does the recorder in package devicetest. Transports such as
// package hub take a [command.Handler] instead, which both also are;
// [DeviceHandler] makes one of any other Commander.
type Commander interface {
	conn.Resource
	Do(ctx context.Context, name string, args json.RawMessage) (any, error)
}

// Opts configures a [Device]. Zero fields take the value from
// [DefaultOpts]; negative ones are an error.
type Opts struct {
	// Name is what String returns.
	Name string
	// MaxArgs bounds the size in bytes of a command's args; larger args
	// are rejected with ErrBadArgs before any parsing.
	MaxArgs int
}

// DefaultOpts is the configuration used when New is passed nil.
var DefaultOpts = Opts{Name: "device", MaxArgs: 4096}

// maxNameLen bounds action names.
const maxNameLen = 64

// Device routes command names to actions. It validates args, serializes all
// hardware access (one action runs at a time), reports state, and halts
// every output to its safe level.
//
// A Device is safe for concurrent use.
type Device struct {
	name    string
	maxArgs int
	names   []string // sorted, without StatusCommand
	actions map[string]Action

	// sem is a one-slot semaphore guarding every call into an Action. It is
	// a channel, not a sync.Mutex, so waiting for it respects a context.
	sem chan struct{}

	cmu     sync.Mutex              // guards cancel and halting
	cancel  context.CancelCauseFunc // cancels the running Do, if any
	halting int                     // Halt calls waiting for or holding sem
}

var (
	_ conn.Resource   = (*Device)(nil)
	_ Commander       = (*Device)(nil)
	_ fmt.Stringer    = (*Device)(nil)
	_ command.Handler = (*Device)(nil)
	_ command.Halter  = (*Device)(nil)
)

// New returns a Device serving actions under their map keys, plus the
// built-in [StatusCommand]. Action names are 1 to 64 bytes of ASCII letters,
// digits, '_', '-' and '.'; the map must not be empty. New halts every
// action, so outputs start at their safe levels even for custom actions.
//
// opts may be nil, meaning [DefaultOpts].
func New(actions map[string]Action, opts *Opts) (*Device, error) {
	o := DefaultOpts
	if opts != nil {
		if opts.MaxArgs < 0 {
			return nil, configErr("negative MaxArgs")
		}
		if opts.Name != "" {
			o.Name = opts.Name
		}
		if opts.MaxArgs != 0 {
			o.MaxArgs = opts.MaxArgs
		}
	}
	if len(actions) == 0 {
		return nil, configErr("no actions")
	}
	d := &Device{
		name:    o.Name,
		maxArgs: o.MaxArgs,
		actions: make(map[string]Action, len(actions)),
		sem:     make(chan struct{}, 1),
	}
	for n, a := range actions {
		if !validName(n) {
			return nil, configErr("action name %s: want 1 to %d of [A-Za-z0-9_.-]", quote(n, maxNameLen), maxNameLen)
		}
		if n == StatusCommand {
			return nil, configErr("action name %q is reserved", n)
		}
		if a == nil {
			return nil, configErr("action %q is nil", n)
		}
		d.actions[n] = a
		d.names = append(d.names, n)
	}
	slices.Sort(d.names)
	if err := d.Halt(); err != nil {
		return nil, err
	}
	return d, nil
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > maxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// String implements conn.Resource.
func (d *Device) String() string { return d.name }

// Names returns the command names the device answers, sorted, including
// [StatusCommand].
func (d *Device) Names() []string {
	n := slices.Clone(d.names)
	n = append(n, StatusCommand)
	slices.Sort(n)
	return n
}

// Do runs the command name with args (raw JSON; empty or null means none)
// and returns its result, which marshals to JSON. It waits for any running
// command first, giving up when ctx is done.
//
// Every error is a [*CommandError] wrapping [ErrUnknownCommand],
// [ErrBadArgs], [ErrUnsupported], a [*PinError], [ErrHalted] or a context
// error. Bad
// input never panics and never touches hardware.
func (d *Device) Do(ctx context.Context, name string, args json.RawMessage) (any, error) {
	res, err := d.do(ctx, name, args)
	if err != nil {
		if len(name) > maxNameLen {
			name = name[:maxNameLen]
		}
		return nil, &CommandError{Command: name, Err: err}
	}
	return res, nil
}

// Handle runs a verified command request on the device: it is [Device.Do]
// with the request's command name and args, so a *Device is a
// [command.Handler] (and, through Halt, a [command.Halter]) as it stands,
// ready for package hub or any other transport. The caller has already
// checked the request's envelope with a [command.Opener]; Handle trusts it.
func (d *Device) Handle(ctx context.Context, req *command.Request) (any, error) {
	return d.Do(ctx, req.Command.Name, req.Command.Args)
}

// DeviceHandler returns a [command.Handler] that runs each request's
// command on c with c.Do, and whose Halt halts c (it is a
// [command.Halter]). A command c refuses (unknown name, bad args, hardware
// error) gets a signed reply with ok false and the error's text.
//
// A [*Device] needs no wrapping, and neither does a devicetest.Recorder:
// both are Handlers as they stand. DeviceHandler is for a [Commander] of
// your own. It returns nil for a nil c.
func DeviceHandler(c Commander) command.Handler {
	if c == nil {
		return nil
	}
	return commander{c}
}

// commander is the Handler of [DeviceHandler].
type commander struct{ c Commander }

func (h commander) Handle(ctx context.Context, req *command.Request) (any, error) {
	return h.c.Do(ctx, req.Command.Name, req.Command.Args)
}

func (h commander) Halt() error { return h.c.Halt() }

func (d *Device) do(ctx context.Context, name string, raw json.RawMessage) (any, error) {
	var a Action
	if name != StatusCommand {
		a = d.actions[name]
		if a == nil {
			return nil, ErrUnknownCommand
		}
	}
	if len(raw) > d.maxArgs {
		return nil, badArgs("args longer than %d bytes", d.maxArgs)
	}
	if a == nil { // status
		p, err := parseArgs(raw)
		if err != nil {
			return nil, err
		}
		if err := p.only(); err != nil {
			return nil, err
		}
		return d.State(ctx)
	}
	if err := d.lock(ctx); err != nil {
		return nil, err
	}
	defer d.unlock()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	d.cmu.Lock()
	if d.halting > 0 { // a Halt is waiting for the hardware: it goes first
		d.cmu.Unlock()
		return nil, ErrHalted
	}
	d.cancel = cancel
	d.cmu.Unlock()
	defer func() {
		d.cmu.Lock()
		d.cancel = nil
		d.cmu.Unlock()
	}()
	res, err := a.Do(ctx, raw)
	if err != nil && context.Cause(ctx) == ErrHalted && !errors.Is(err, ErrHalted) {
		err = fmt.Errorf("%w: %w", ErrHalted, err)
	}
	return res, err
}

// lock takes the hardware semaphore, or fails when ctx is done first.
func (d *Device) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case d.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (d *Device) unlock() { <-d.sem }

// State returns every action's state keyed by action name; the map marshals
// to JSON and is what the [StatusCommand] returns. It waits for a running
// command (a pulse can take seconds) unless ctx is done first.
func (d *Device) State(ctx context.Context) (map[string]any, error) {
	if err := d.lock(ctx); err != nil {
		return nil, err
	}
	defer d.unlock()
	s := make(map[string]any, len(d.names))
	for _, n := range d.names {
		s[n] = d.actions[n].State()
	}
	return s, nil
}

// Halt implements conn.Resource: it interrupts a running command (a pulse
// ends early, back at its safe level; Do returns an error wrapping
// [ErrHalted]), refuses commands that would run before it, then drives
// every output to its safe level. It tries every action and returns all
// failures joined. The device stays usable: a command after Halt may drive
// outputs again.
func (d *Device) Halt() error {
	d.cmu.Lock()
	d.halting++
	if d.cancel != nil {
		d.cancel(ErrHalted)
	}
	d.cmu.Unlock()
	d.sem <- struct{}{}
	defer func() {
		d.cmu.Lock()
		d.halting--
		d.cmu.Unlock()
		d.unlock()
	}()
	var errs []error
	for _, n := range d.names {
		if err := d.actions[n].Halt(); err != nil {
			errs = append(errs, fmt.Errorf("halt %s: %w", n, err))
		}
	}
	return errors.Join(errs...)
}
