package devicetest

import (
	"context"
	"encoding/json"
	"slices"
	"sync"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/device"
)

// Call is one recorded command.
type Call struct {
	Name   string
	Args   json.RawMessage // a copy of what was passed
	Result any
	Err    error
}

// Recorder implements [device.Commander] and [command.Handler], so it can
// stand in for a device in front of any transport (package hub takes it as
// it is). Set its fields before use; it is then safe for concurrent use. The zero value accepts every command and
// returns a nil result.
type Recorder struct {
	// Device, when not nil, runs every command not answered by Err or
	// Errs; Recorder then records its results.
	Device device.Commander
	// Results maps a command name to the result to return (when Device is
	// nil). Commands not in it return nil.
	Results map[string]any
	// Errs maps a command name to an error to return instead of running it.
	Errs map[string]error
	// Err, when not nil, is returned for every command.
	Err error
	// HaltErr is returned by Halt.
	HaltErr error

	mu    sync.Mutex
	calls []Call
	halts int
}

var (
	_ device.Commander = (*Recorder)(nil)
	_ command.Handler  = (*Recorder)(nil)
	_ command.Halter   = (*Recorder)(nil)
)

// String implements conn.Resource.
func (r *Recorder) String() string { return "devicetest.Recorder" }

// Do records the command and answers it: with ctx's error if ctx is done,
// else Err, else Errs[name], else through Device, else Results[name].
func (r *Recorder) Do(ctx context.Context, name string, args json.RawMessage) (any, error) {
	var res any
	var err error
	switch {
	case ctx.Err() != nil:
		err = ctx.Err()
	case r.Err != nil:
		err = r.Err
	case r.Errs[name] != nil:
		err = r.Errs[name]
	case r.Device != nil:
		res, err = r.Device.Do(ctx, name, args)
	default:
		res = r.Results[name]
	}
	r.mu.Lock()
	r.calls = append(r.calls, Call{Name: name, Args: slices.Clone(args), Result: res, Err: err})
	r.mu.Unlock()
	return res, err
}

// Handle implements [command.Handler]: it is [Recorder.Do] with the
// request's command name and args, as a [*device.Device] handles one.
func (r *Recorder) Handle(ctx context.Context, req *command.Request) (any, error) {
	return r.Do(ctx, req.Command.Name, req.Command.Args)
}

// Halt records the call, halts Device if set, and returns HaltErr (or
// Device's error).
func (r *Recorder) Halt() error {
	r.mu.Lock()
	r.halts++
	r.mu.Unlock()
	if r.Device != nil {
		if err := r.Device.Halt(); err != nil {
			return err
		}
	}
	return r.HaltErr
}

// Calls returns a copy of the commands recorded so far, in call order.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// Halts returns how many times Halt was called.
func (r *Recorder) Halts() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.halts
}

// Reset forgets the recorded calls and halts.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls, r.halts = nil, 0
}
