package device_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"

	"github.com/nemiot/nemiot/device"
	"github.com/nemiot/nemiot/device/devicetest"
)

// failPin is a gpiotest.Pin whose Out, PWM or In fail on demand (the
// tm1637 failPin pattern). Set the errors before concurrent use.
type failPin struct {
	gpiotest.Pin
	outErr, pwmErr, inErr error
}

func (p *failPin) Out(l gpio.Level) error {
	if p.outErr != nil {
		return p.outErr
	}
	return p.Pin.Out(l)
}

func (p *failPin) PWM(d gpio.Duty, f physic.Frequency) error {
	if p.pwmErr != nil {
		return p.pwmErr
	}
	return p.Pin.PWM(d, f)
}

func (p *failPin) In(pull gpio.Pull, e gpio.Edge) error {
	if p.inErr != nil {
		return p.inErr
	}
	return p.Pin.In(pull, e)
}

// pinState is what a gpiotest pin holds, read under its lock.
type pinState struct {
	L gpio.Level
	D gpio.Duty
	F physic.Frequency
}

func stateOf(p *gpiotest.Pin) pinState {
	p.Lock()
	defer p.Unlock()
	return pinState{p.L, p.D, p.F}
}

func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("result does not marshal: %v", err)
	}
	return string(b)
}

func mustDo(t *testing.T, d *device.Device, name, args string) string {
	t.Helper()
	res, err := d.Do(context.Background(), name, json.RawMessage(args))
	if err != nil {
		t.Fatalf("Do(%q, %s): %v", name, args, err)
	}
	return jsonOf(t, res)
}

func TestSwitch(t *testing.T) {
	for _, activeLow := range []bool{false, true} {
		t.Run(fmt.Sprint("activeLow=", activeLow), func(t *testing.T) {
			onL, offL := gpio.High, gpio.Low
			if activeLow {
				onL, offL = gpio.Low, gpio.High
			}
			p := &gpiotest.Pin{N: "GPIO17", Num: 17, L: onL} // starts "on": New must turn it off
			s, err := device.NewSwitch(p, &device.SwitchOpts{ActiveLow: activeLow})
			if err != nil {
				t.Fatal(err)
			}
			if got := stateOf(p).L; got != offL {
				t.Fatalf("after NewSwitch pin = %s, want %s (safe: off)", got, offL)
			}
			d, err := device.New(map[string]device.Action{"light": s}, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := mustDo(t, d, "light", `{"on": true}`)
			want := fmt.Sprintf(`{"level":%q,"on":true,"pin":"GPIO17"}`, onL)
			if got != want || stateOf(p).L != onL {
				t.Errorf("on: result %s pin %s; want %s pin %s", got, stateOf(p).L, want, onL)
			}
			got = mustDo(t, d, "light", `{"on": false}`)
			want = fmt.Sprintf(`{"level":%q,"on":false,"pin":"GPIO17"}`, offL)
			if got != want || stateOf(p).L != offL {
				t.Errorf("off: result %s pin %s; want %s pin %s", got, stateOf(p).L, want, offL)
			}
		})
	}
}

func TestLevel(t *testing.T) {
	p := &gpiotest.Pin{N: "GPIO18", Num: 18, L: gpio.High}
	l, err := device.NewLevel(p, &device.LevelOpts{Arg: "speed", Steps: 3, Freq: 25 * physic.KiloHertz})
	if err != nil {
		t.Fatal(err)
	}
	if got := stateOf(p).L; got != gpio.Low {
		t.Fatalf("after NewLevel pin = %s, want Low", got)
	}
	d, err := device.New(map[string]device.Action{"fan": l}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Duties: 2^24 * n / 3 rounded to nearest; 25 kHz = 25e9 µHz.
	for _, tc := range []struct {
		speed int
		pin   pinState
		want  string
	}{
		{1, pinState{gpio.Low, 5592405, 25000000000}, `{"duty":"33%","pin":"GPIO18","pulsing":true,"speed":1,"steps":3}`},
		{2, pinState{gpio.Low, 11184811, 25000000000}, `{"duty":"67%","pin":"GPIO18","pulsing":true,"speed":2,"steps":3}`},
		{3, pinState{gpio.High, 11184811, 25000000000}, `{"duty":"100%","pin":"GPIO18","pulsing":false,"speed":3,"steps":3}`},
		{0, pinState{gpio.Low, 11184811, 25000000000}, `{"duty":"0%","pin":"GPIO18","pulsing":false,"speed":0,"steps":3}`},
	} {
		got := mustDo(t, d, "fan", fmt.Sprintf(`{"speed":%d}`, tc.speed))
		if got != tc.want {
			t.Errorf("speed %d: result %s, want %s", tc.speed, got, tc.want)
		}
		// gpiotest keeps the last PWM duty after Out; L tells Out's level.
		if s := stateOf(p); s != tc.pin {
			t.Errorf("speed %d: pin %+v, want %+v", tc.speed, s, tc.pin)
		}
	}

	// Defaults: 0..100 at 1 kHz.
	q := &gpiotest.Pin{N: "GPIO12", Num: 12}
	l2, err := device.NewLevel(q, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l2.Do(context.Background(), json.RawMessage(`{"level":25}`)); err != nil {
		t.Fatal(err)
	}
	if s := stateOf(q); s.D != 4194304 || s.F != 1000000000 {
		t.Errorf("level 25 of 100: %+v, want duty 2^22 at 1 kHz", s)
	}
	if _, err := l2.Do(context.Background(), json.RawMessage(`{"level":101}`)); !errors.Is(err, device.ErrBadArgs) {
		t.Errorf("level 101: %v, want ErrBadArgs", err)
	}
}

func TestLevelWithoutPWM(t *testing.T) {
	driverErr := errors.New("PWM() not implemented")

	// Without fallback: a typed unsupported error and the pin untouched.
	p := &failPin{Pin: gpiotest.Pin{N: "GPIO18", Num: 18}, pwmErr: driverErr}
	l, err := device.NewLevel(p, &device.LevelOpts{Arg: "speed", Steps: 3})
	if err != nil {
		t.Fatal(err)
	}
	d, err := device.New(map[string]device.Action{"fan": l}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mustDo(t, d, "fan", `{"speed":3}`)
	_, err = d.Do(context.Background(), "fan", json.RawMessage(`{"speed":1}`))
	var pe *device.PinError
	if !errors.Is(err, device.ErrUnsupported) || !errors.Is(err, errors.ErrUnsupported) || !errors.Is(err, driverErr) || !errors.As(err, &pe) {
		t.Fatalf("speed 1 without PWM: %v; want ErrUnsupported, errors.ErrUnsupported, the driver error and a *PinError", err)
	}
	if pe.Pin != "GPIO18" || pe.Op != "pwm" {
		t.Errorf("PinError = %+v", pe)
	}
	if want := `device: "fan": GPIO18: pwm: unsupported by the pin driver: PWM() not implemented`; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if got := stateOf(&p.Pin).L; got != gpio.High {
		t.Errorf("pin after refused PWM = %s, want High (unchanged)", got)
	}
	if got := mustDo(t, d, "status", ``); got != `{"fan":{"duty":"100%","pin":"GPIO18","pulsing":false,"speed":3,"steps":3}}` {
		t.Errorf("status after refused PWM: %s", got)
	}
	// 0 and full need no PWM.
	mustDo(t, d, "fan", `{"speed":0}`)
	if got := stateOf(&p.Pin).L; got != gpio.Low {
		t.Errorf("speed 0 = %s, want Low", got)
	}

	// With fallback (as the examples' fan has): full on instead.
	p2 := &failPin{Pin: gpiotest.Pin{N: "GPIO19", Num: 19}, pwmErr: driverErr}
	fan2, err := device.NewLevel(p2, &device.LevelOpts{Arg: "speed", Steps: 3, Fallback: true})
	if err != nil {
		t.Fatal(err)
	}
	d2, err := device.New(map[string]device.Action{"fan": fan2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := mustDo(t, d2, "fan", `{"speed":2}`), `{"duty":"100%","pin":"GPIO19","pulsing":false,"speed":2,"steps":3}`; got != want {
		t.Errorf("fallback result %s, want %s", got, want)
	}
	if got := stateOf(&p2.Pin).L; got != gpio.High {
		t.Errorf("fallback pin = %s, want High", got)
	}
	// Fallback does not hide Out failures.
	p2.outErr = errors.New("line busy")
	if _, err := d2.Do(context.Background(), "fan", json.RawMessage(`{"speed":1}`)); !errors.As(err, &pe) || pe.Op != "out" {
		t.Errorf("fallback with failing Out: %v, want a *PinError for out", err)
	}
}

func TestInput(t *testing.T) {
	p := &gpiotest.Pin{N: "GPIO4", Num: 4}
	in, err := device.NewInput(p, &device.InputOpts{Pull: gpio.PullUp})
	if err != nil {
		t.Fatal(err)
	}
	p.Lock()
	pull := p.P
	p.Unlock()
	if pull != gpio.PullUp {
		t.Errorf("pull = %s, want PullUp", pull)
	}
	d, err := device.New(map[string]device.Action{"button": in}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := mustDo(t, d, "button", ``), `{"high":true,"level":"High","pin":"GPIO4"}`; got != want {
		t.Errorf("pulled up: %s, want %s", got, want)
	}
	p.Lock()
	p.L = gpio.Low // the button is pressed
	p.Unlock()
	for _, args := range []string{``, `null`, `{}`} {
		if got, want := mustDo(t, d, "button", args), `{"high":false,"level":"Low","pin":"GPIO4"}`; got != want {
			t.Errorf("pressed (%q): %s, want %s", args, got, want)
		}
	}
	if _, err := d.Do(context.Background(), "button", json.RawMessage(`{"x":1}`)); !errors.Is(err, device.ErrBadArgs) {
		t.Errorf("input with args: %v, want ErrBadArgs", err)
	}
	fp := &failPin{Pin: gpiotest.Pin{N: "GPIO5"}, inErr: errors.New("busy")}
	var pe *device.PinError
	if _, err := device.NewInput(fp, nil); !errors.As(err, &pe) || pe.Op != "in" {
		t.Errorf("NewInput on failing pin: %v", err)
	}
}

func TestPulse(t *testing.T) {
	for _, activeLow := range []bool{false, true} {
		t.Run(fmt.Sprint("activeLow=", activeLow), func(t *testing.T) {
			rest := gpio.Level(activeLow)
			p := &gpiotest.Pin{N: "GPIO22", Num: 22, L: !rest}
			var during []gpio.Level
			var slept []time.Duration
			u, err := device.NewPulse(p, &device.PulseOpts{ActiveLow: activeLow, Max: 2 * time.Second,
				Sleep: func(ctx context.Context, d time.Duration) error {
					during = append(during, stateOf(p).L)
					slept = append(slept, d)
					return nil
				}})
			if err != nil {
				t.Fatal(err)
			}
			if stateOf(p).L != rest {
				t.Fatalf("after NewPulse pin = %s, want %s", stateOf(p).L, rest)
			}
			d, err := device.New(map[string]device.Action{"door": u}, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := mustDo(t, d, "door", `{"ms":250}`)
			if want := fmt.Sprintf(`{"level":%q,"ms":250,"pin":"GPIO22"}`, rest); got != want {
				t.Errorf("result %s, want %s", got, want)
			}
			mustDo(t, d, "door", `{"ms":2000}`)
			if len(during) != 2 || during[0] != !rest || during[1] != !rest || slept[0] != 250*time.Millisecond || slept[1] != 2*time.Second {
				t.Errorf("during pulses pin %v, slept %v; want active and [250ms 2s]", during, slept)
			}
			if stateOf(p).L != rest {
				t.Errorf("after pulse pin = %s, want %s", stateOf(p).L, rest)
			}
			for _, bad := range []string{`{"ms":0}`, `{"ms":2001}`, `{"ms":-1}`, `{}`, `{"ms":1.5}`, `{"ms":"5"}`} {
				if _, err := d.Do(context.Background(), "door", json.RawMessage(bad)); !errors.Is(err, device.ErrBadArgs) {
					t.Errorf("pulse %s: %v, want ErrBadArgs", bad, err)
				}
			}
			if len(slept) != 2 {
				t.Errorf("bad args reached the pin: %d sleeps", len(slept))
			}
			if got, want := mustDo(t, d, "status", `{}`), fmt.Sprintf(`{"door":{"level":%q,"pin":"GPIO22","pulses":2}}`, rest); got != want {
				t.Errorf("status %s, want %s", got, want)
			}
		})
	}
}

func TestPulseRealTimer(t *testing.T) {
	p := &gpiotest.Pin{N: "GPIO22", Num: 22}
	u, err := device.NewPulse(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := u.Do(context.Background(), json.RawMessage(`{"ms":5}`)); err != nil {
		t.Fatal(err)
	}
	if e := time.Since(start); e < 5*time.Millisecond {
		t.Errorf("5 ms pulse took %s", e)
	}
	// Default Max is 10 s.
	if _, err := u.Do(context.Background(), json.RawMessage(`{"ms":10001}`)); !errors.Is(err, device.ErrBadArgs) {
		t.Errorf("10001 ms: %v, want ErrBadArgs", err)
	}
	// A cancelled context cuts a 10 s pulse short, and the pin rests.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = u.Do(ctx, json.RawMessage(`{"ms":10000}`))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cancelled pulse: %v, want DeadlineExceeded", err)
	}
	if e := time.Since(start); e > 5*time.Second {
		t.Errorf("cancelled pulse took %s", e)
	}
	if stateOf(p).L != gpio.Low {
		t.Error("pin not at rest after a cancelled pulse")
	}
	// A done context touches nothing.
	p.Out(gpio.High)
	if _, err := u.Do(ctx, json.RawMessage(`{"ms":1}`)); !errors.Is(err, context.DeadlineExceeded) || stateOf(p).L != gpio.High {
		t.Errorf("done ctx: %v, pin %s", err, stateOf(p).L)
	}
}

// blockingPulse returns a device with a pulse "door" whose Sleep signals
// started and then waits for ctx or release.
func blockingPulse(t *testing.T) (d *device.Device, p *gpiotest.Pin, started chan struct{}, release chan struct{}) {
	t.Helper()
	p = &gpiotest.Pin{N: "GPIO22", Num: 22}
	started, release = make(chan struct{}, 1), make(chan struct{})
	u, err := device.NewPulse(p, &device.PulseOpts{Sleep: func(ctx context.Context, _ time.Duration) error {
		started <- struct{}{}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	light, err := device.NewSwitch(&gpiotest.Pin{N: "GPIO17", Num: 17}, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err = device.New(map[string]device.Action{"door": u, "light": light}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d, p, started, release
}

func TestHaltInterruptsPulse(t *testing.T) {
	d, p, started, _ := blockingPulse(t)
	done := make(chan error)
	go func() {
		_, err := d.Do(context.Background(), "door", json.RawMessage(`{"ms":10000}`))
		done <- err
	}()
	<-started
	if stateOf(p).L != gpio.High {
		t.Fatal("pin not active mid-pulse")
	}
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
	err := <-done
	var ce *device.CommandError
	if !errors.Is(err, device.ErrHalted) || !errors.Is(err, context.Canceled) || !errors.As(err, &ce) || ce.Command != "door" {
		t.Errorf("halted pulse: %v, want a CommandError for door wrapping ErrHalted and context.Canceled", err)
	}
	if want := `device: "door": halted: context canceled`; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if stateOf(p).L != gpio.Low {
		t.Error("pin not at rest after Halt")
	}
	// The device stays usable.
	mustDo(t, d, "light", `{"on":true}`)
}

// stubborn is an Action that ignores its context until released.
type stubborn struct {
	started, cancelled, release chan struct{}
}

func (s *stubborn) String() string { return "stubborn" }
func (s *stubborn) Halt() error    { return nil }
func (s *stubborn) State() any     { return nil }
func (s *stubborn) Do(ctx context.Context, _ json.RawMessage) (any, error) {
	close(s.started)
	<-ctx.Done()
	close(s.cancelled)
	<-s.release
	return "done", nil
}

// TestHaltGoesFirst: a command queued behind a pending Halt either is
// refused with ErrHalted or runs after the Halt, never before it.
func TestHaltGoesFirst(t *testing.T) {
	outcomes := map[string]int{}
	for range 30 {
		light := &gpiotest.Pin{N: "GPIO17"}
		sw, _ := device.NewSwitch(light, nil)
		st := &stubborn{started: make(chan struct{}), cancelled: make(chan struct{}), release: make(chan struct{})}
		d, err := device.New(map[string]device.Action{"light": sw, "slow": st}, nil)
		if err != nil {
			t.Fatal(err)
		}
		slowDone := make(chan error)
		go func() { _, err := d.Do(context.Background(), "slow", nil); slowDone <- err }()
		<-st.started // Halt must find the command running
		for {
			// Halt cancels the running command; wait until it has.
			haltDone := make(chan error)
			go func() { haltDone <- d.Halt() }()
			<-st.cancelled
			lightDone := make(chan error)
			go func() {
				_, err := d.Do(context.Background(), "light", json.RawMessage(`{"on":true}`))
				lightDone <- err
			}()
			close(st.release)
			if err := <-haltDone; err != nil {
				t.Fatal(err)
			}
			err := <-lightDone
			switch {
			case errors.Is(err, device.ErrHalted) && stateOf(light).L == gpio.Low:
				outcomes["refused"]++
			case err == nil && stateOf(light).L == gpio.High:
				outcomes["after"]++
			default:
				t.Fatalf("light: %v, pin %s: it ran before Halt", err, stateOf(light).L)
			}
			break
		}
		if err := <-slowDone; err != nil {
			t.Fatalf("slow: %v", err) // it returned success after ignoring ctx
		}
	}
	t.Logf("outcomes: %v", outcomes)
}

func TestWaitRespectsContext(t *testing.T) {
	d, _, started, release := blockingPulse(t)
	done := make(chan error)
	go func() {
		_, err := d.Do(context.Background(), "door", json.RawMessage(`{"ms":10000}`))
		done <- err
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := d.Do(ctx, "light", json.RawMessage(`{"on":true}`)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Do while busy: %v, want DeadlineExceeded", err)
	}
	if _, err := d.State(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("State while busy: %v, want DeadlineExceeded", err)
	}
	if _, err := d.Do(ctx, "status", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("status while busy: %v, want DeadlineExceeded", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("pulse: %v", err)
	}
	mustDo(t, d, "light", `{"on":true}`)
}

func TestI2CRead(t *testing.T) {
	bus := &i2ctest.Playback{Ops: []i2ctest.IO{
		{Addr: 0x40, W: []byte{0x10}, R: []byte{0x0a, 0xfb}},
		{Addr: 0x40, R: []byte{0x01, 0x02, 0x03}},
		{Addr: 0x40, W: []byte{0xff}, R: []byte{0x7f}},
	}}
	r, err := device.NewI2CRead(&i2c.Dev{Bus: bus, Addr: 0x40}, &device.I2CReadOpts{MaxLen: 4})
	if err != nil {
		t.Fatal(err)
	}
	d, err := device.New(map[string]device.Action{"temp": r}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := mustDo(t, d, "status", ``), `{"temp":{"conn":"playback(64)","last":null}}`; got != want {
		t.Errorf("status before: %s, want %s", got, want)
	}
	if got, want := mustDo(t, d, "temp", `{"reg":16,"n":2}`), `{"hex":"0afb","n":2,"reg":16}`; got != want {
		t.Errorf("reg read: %s, want %s", got, want)
	}
	if got, want := mustDo(t, d, "temp", `{"n":3}`), `{"hex":"010203","n":3}`; got != want {
		t.Errorf("plain read: %s, want %s", got, want)
	}
	if got, want := mustDo(t, d, "temp", `{"n":1,"reg":255}`), `{"hex":"7f","n":1,"reg":255}`; got != want {
		t.Errorf("reg 255: %s, want %s", got, want)
	}
	if got, want := mustDo(t, d, "status", ``), `{"temp":{"conn":"playback(64)","last":{"hex":"7f","n":1,"reg":255}}}`; got != want {
		t.Errorf("status after: %s, want %s", got, want)
	}
	for _, bad := range []string{`{"n":5}`, `{"n":0}`, `{"reg":256,"n":1}`, `{"reg":-1,"n":1}`, `{"reg":1}`, `{"reg":1,"n":1,"addr":3}`} {
		if _, err := d.Do(context.Background(), "temp", json.RawMessage(bad)); !errors.Is(err, device.ErrBadArgs) {
			t.Errorf("%s: %v, want ErrBadArgs", bad, err)
		}
	}
	if err := bus.Close(); err != nil {
		t.Errorf("playback: %v", err)
	}

	// Bus failure → PinError "tx"; allowed registers make reg mandatory.
	bus2 := &i2ctest.Playback{DontPanic: true}
	r2, err := device.NewI2CRead(&i2c.Dev{Bus: bus2, Addr: 0x76}, &device.I2CReadOpts{Regs: []byte{0xd0}})
	if err != nil {
		t.Fatal(err)
	}
	var pe *device.PinError
	if _, err := r2.Do(context.Background(), json.RawMessage(`{"reg":208,"n":1}`)); !errors.As(err, &pe) || pe.Op != "tx" || pe.Pin != "playback(118)" {
		t.Errorf("failing bus: %v", err)
	}
	for _, bad := range []string{`{"n":1}`, `{"reg":209,"n":1}`} {
		if _, err := r2.Do(context.Background(), json.RawMessage(bad)); !errors.Is(err, device.ErrBadArgs) {
			t.Errorf("restricted %s: %v, want ErrBadArgs", bad, err)
		}
	}
	if bus2.Count != 0 {
		t.Errorf("rejected reads reached the bus")
	}
}

// rig is a device with every built-in action on test doubles.
type rig struct {
	d                     *device.Device
	light, fan, dim, door *gpiotest.Pin
	btn                   *gpiotest.Pin
	bus                   *i2ctest.Playback
}

func newRig(t testing.TB) *rig {
	t.Helper()
	r := &rig{
		light: &gpiotest.Pin{N: "GPIO17", Num: 17},
		fan:   &gpiotest.Pin{N: "GPIO18", Num: 18},
		dim:   &gpiotest.Pin{N: "GPIO13", Num: 13},
		door:  &gpiotest.Pin{N: "GPIO22", Num: 22},
		btn:   &gpiotest.Pin{N: "GPIO4", Num: 4},
		bus:   &i2ctest.Playback{DontPanic: true},
	}
	must := func(a device.Action, err error) device.Action {
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	acts := map[string]device.Action{
		"light": must(device.NewSwitch(r.light, nil)),
		"fan":   must(device.NewLevel(r.fan, &device.LevelOpts{Arg: "speed", Steps: 3, Fallback: true})),
		"dim":   must(device.NewLevel(r.dim, nil)),
		"door": must(device.NewPulse(r.door, &device.PulseOpts{Sleep: func(ctx context.Context, d time.Duration) error {
			return ctx.Err()
		}})),
		"button": must(device.NewInput(r.btn, nil)),
		"temp":   must(device.NewI2CRead(&i2c.Dev{Bus: r.bus, Addr: 0x40}, nil)),
	}
	d, err := device.New(acts, &device.Opts{Name: "rig", MaxArgs: 256})
	if err != nil {
		t.Fatal(err)
	}
	r.d = d
	return r
}

func (r *rig) pins() [5]pinState {
	return [5]pinState{stateOf(r.light), stateOf(r.fan), stateOf(r.dim), stateOf(r.door), stateOf(r.btn)}
}

func TestArgsValidation(t *testing.T) {
	r := newRig(t)
	mustDo(t, r.d, "light", `{"on":true}`)
	mustDo(t, r.d, "fan", `{"speed":2}`)
	mustDo(t, r.d, "dim", `{"level":40}`)
	before, beforeState := r.pins(), mustDo(t, r.d, "status", "")
	for _, tc := range []struct {
		name, args string
		want       error
		msg        string
	}{
		{"lamp", `{"on":true}`, device.ErrUnknownCommand, `device: "lamp": unknown command`},
		{"", ``, device.ErrUnknownCommand, `device: "": unknown command`},
		{"LIGHT", `{"on":true}`, device.ErrUnknownCommand, ``},
		{"light ", `{"on":true}`, device.ErrUnknownCommand, ``},
		{strings.Repeat("x", 1000), ``, device.ErrUnknownCommand, `device: "` + strings.Repeat("x", 64) + `": unknown command`},
		{"light", ``, device.ErrBadArgs, `device: "light": bad args: missing field "on"`},
		{"light", `{}`, device.ErrBadArgs, ``},
		{"light", `null`, device.ErrBadArgs, ``},
		{"light", `{"on":1}`, device.ErrBadArgs, `device: "light": bad args: field "on" must be true or false`},
		{"light", `{"on":"true"}`, device.ErrBadArgs, ``},
		{"light", `{"on":null}`, device.ErrBadArgs, ``},
		{"light", `{"On":true}`, device.ErrBadArgs, `device: "light": bad args: unknown field "On"`},
		{"light", `{"on":false,"x":1}`, device.ErrBadArgs, ``},
		{"light", `{"on":false,"on":false}`, device.ErrBadArgs, `device: "light": bad args: duplicate field "on"`},
		{"light", `[false]`, device.ErrBadArgs, `device: "light": bad args: args must be a JSON object`},
		{"light", `{"on":false`, device.ErrBadArgs, `device: "light": bad args: malformed JSON`},
		{"light", `{"on":false} {"on":true}`, device.ErrBadArgs, ``},
		{"light", `{"on":false,"pad":"` + strings.Repeat("a", 300) + `"}`, device.ErrBadArgs, `device: "light": bad args: args longer than 256 bytes`},
		{"fan", `{"speed":4}`, device.ErrBadArgs, `device: "fan": bad args: field "speed" must be an integer from 0 to 3`},
		{"fan", `{"speed":-1}`, device.ErrBadArgs, ``},
		{"fan", `{"speed":1.5}`, device.ErrBadArgs, ``},
		{"fan", `{"speed":1.0}`, device.ErrBadArgs, ``},
		{"fan", `{"speed":1e0}`, device.ErrBadArgs, ``},
		{"fan", `{"speed":"1"}`, device.ErrBadArgs, ``},
		{"fan", `{"speed":true}`, device.ErrBadArgs, ``},
		{"fan", `{"speed":18446744073709551617}`, device.ErrBadArgs, ``},
		{"fan", `{"level":1}`, device.ErrBadArgs, ``},
		{"dim", `{"level":101}`, device.ErrBadArgs, ``},
		{"door", `{"ms":10001}`, device.ErrBadArgs, `device: "door": bad args: field "ms" must be an integer from 1 to 10000`},
		{"door", `{"ms":0}`, device.ErrBadArgs, ``},
		{"button", `{"on":true}`, device.ErrBadArgs, `device: "button": bad args: takes no args, got field "on"`},
		{"button", `[]`, device.ErrBadArgs, ``},
		{"temp", `{"reg":1,"n":33}`, device.ErrBadArgs, ``},
		{"temp", `{"reg":1.5,"n":1}`, device.ErrBadArgs, ``},
		{"status", `{"verbose":true}`, device.ErrBadArgs, `device: "status": bad args: takes no args, got field "verbose"`},
		{"status", `1`, device.ErrBadArgs, ``},
	} {
		_, err := r.d.Do(context.Background(), tc.name, json.RawMessage(tc.args))
		var ce *device.CommandError
		if !errors.Is(err, tc.want) || !errors.As(err, &ce) {
			t.Errorf("Do(%.20q, %.40s) = %v, want %v in a *CommandError", tc.name, tc.args, err, tc.want)
			continue
		}
		if tc.msg != "" && err.Error() != tc.msg {
			t.Errorf("Do(%.20q, %.40s) error %q, want %q", tc.name, tc.args, err, tc.msg)
		}
	}
	if after := r.pins(); after != before {
		t.Errorf("rejected commands changed pins:\n%+v\n%+v", before, after)
	}
	if after := mustDo(t, r.d, "status", "null"); after != beforeState {
		t.Errorf("rejected commands changed state:\n%s\n%s", beforeState, after)
	}
	if r.bus.Count != 0 {
		t.Error("rejected commands reached the bus")
	}
}

func TestNewConfig(t *testing.T) {
	p := &gpiotest.Pin{N: "GPIO1"}
	sw, err := device.NewSwitch(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		acts map[string]device.Action
		opts *device.Opts
	}{
		{"nil map", nil, nil},
		{"empty map", map[string]device.Action{}, nil},
		{"empty name", map[string]device.Action{"": sw}, nil},
		{"space in name", map[string]device.Action{"a b": sw}, nil},
		{"long name", map[string]device.Action{strings.Repeat("a", 65): sw}, nil},
		{"reserved name", map[string]device.Action{"status": sw}, nil},
		{"nil action", map[string]device.Action{"x": nil}, nil},
		{"negative MaxArgs", map[string]device.Action{"x": sw}, &device.Opts{MaxArgs: -1}},
	} {
		if _, err := device.New(tc.acts, tc.opts); !errors.Is(err, device.ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", tc.name, err)
		}
	}
	d, err := device.New(map[string]device.Action{strings.Repeat("a", 64): sw, "A-z_0.9": sw}, &device.Opts{})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(d.Names()); got != "[A-z_0.9 "+strings.Repeat("a", 64)+" status]" {
		t.Errorf("Names = %s", got)
	}
	if d.String() != "device" {
		t.Errorf("String = %q", d.String())
	}

	for name, f := range map[string]func() error{
		"switch nil pin": func() error { _, err := device.NewSwitch(nil, nil); return err },
		"level nil pin":  func() error { _, err := device.NewLevel(nil, nil); return err },
		"level steps -1": func() error { _, err := device.NewLevel(p, &device.LevelOpts{Steps: -1}); return err },
		"level steps 2^16+1": func() error {
			_, err := device.NewLevel(p, &device.LevelOpts{Steps: 1<<16 + 1})
			return err
		},
		"level freq -1":   func() error { _, err := device.NewLevel(p, &device.LevelOpts{Freq: -1}); return err },
		"level arg pin":   func() error { _, err := device.NewLevel(p, &device.LevelOpts{Arg: "pin"}); return err },
		"level arg space": func() error { _, err := device.NewLevel(p, &device.LevelOpts{Arg: "a b"}); return err },
		"input nil pin":   func() error { _, err := device.NewInput(nil, nil); return err },
		"input pull 9":    func() error { _, err := device.NewInput(p, &device.InputOpts{Pull: 9}); return err },
		"pulse nil pin":   func() error { _, err := device.NewPulse(nil, nil); return err },
		"pulse max 1µs":   func() error { _, err := device.NewPulse(p, &device.PulseOpts{Max: time.Microsecond}); return err },
		"pulse max 2h":    func() error { _, err := device.NewPulse(p, &device.PulseOpts{Max: 2 * time.Hour}); return err },
		"i2c nil conn":    func() error { _, err := device.NewI2CRead(nil, nil); return err },
		"i2c maxlen 1025": func() error { _, err := device.NewI2CRead(&i2c.Dev{}, &device.I2CReadOpts{MaxLen: 1025}); return err },
		"i2c maxlen -1":   func() error { _, err := device.NewI2CRead(&i2c.Dev{}, &device.I2CReadOpts{MaxLen: -1}); return err },
	} {
		if err := f(); !errors.Is(err, device.ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}

	// A failing pin fails construction with a PinError.
	fp := &failPin{Pin: gpiotest.Pin{N: "GPIO2"}, outErr: errors.New("no such line")}
	var pe *device.PinError
	if _, err := device.NewSwitch(fp, nil); !errors.As(err, &pe) || pe.Op != "out" || pe.Pin != "GPIO2" {
		t.Errorf("NewSwitch on failing pin: %v", err)
	}
}

func TestHalt(t *testing.T) {
	r := newRig(t)
	mustDo(t, r.d, "light", `{"on":true}`)
	mustDo(t, r.d, "fan", `{"speed":3}`)
	mustDo(t, r.d, "dim", `{"level":100}`)
	for _, p := range []*gpiotest.Pin{r.light, r.fan, r.dim} {
		if stateOf(p).L != gpio.High {
			t.Fatalf("%s not High before Halt", p)
		}
	}
	r.door.Out(gpio.High)
	if err := r.d.Halt(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*gpiotest.Pin{r.light, r.fan, r.dim, r.door} {
		if stateOf(p).L != gpio.Low {
			t.Errorf("%s = %s after Halt, want Low", p, stateOf(p).L)
		}
	}
	if got, want := mustDo(t, r.d, "status", ""), `{"button":{"high":false,"level":"Low","pin":"GPIO4"},`+
		`"dim":{"duty":"0%","level":0,"pin":"GPIO13","pulsing":false,"steps":100},`+
		`"door":{"level":"Low","pin":"GPIO22","pulses":0},`+
		`"fan":{"duty":"0%","pin":"GPIO18","pulsing":false,"speed":0,"steps":3},`+
		`"light":{"level":"Low","on":false,"pin":"GPIO17"},`+
		`"temp":{"conn":"playback(64)","last":null}}`; got != want {
		t.Errorf("status after Halt:\n%s\nwant\n%s", got, want)
	}

	// Halt tries every action and reports every failure.
	a := &failPin{Pin: gpiotest.Pin{N: "GPIO5"}}
	b := &failPin{Pin: gpiotest.Pin{N: "GPIO6"}}
	c := &gpiotest.Pin{N: "GPIO7"}
	sa, _ := device.NewSwitch(a, nil)
	sb, _ := device.NewSwitch(b, nil)
	sc, _ := device.NewSwitch(c, nil)
	d, err := device.New(map[string]device.Action{"a": sa, "b": sb, "c": sc}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mustDo(t, d, "c", `{"on":true}`)
	a.outErr, b.outErr = errors.New("gone"), errors.New("busy")
	err = d.Halt()
	if err == nil || !strings.Contains(err.Error(), "halt a: GPIO5: out: gone") || !strings.Contains(err.Error(), "halt b: GPIO6: out: busy") {
		t.Errorf("Halt = %v, want both failures", err)
	}
	if stateOf(c).L != gpio.Low {
		t.Error("Halt stopped at the first failure")
	}
	// New halts, so a failing output fails New.
	if _, err := device.New(map[string]device.Action{"a": sa}, nil); err == nil {
		t.Error("New with a failing output succeeded")
	}
}

// probe is an Action that fails the test if it ever runs concurrently with
// another call into the device.
type probe struct {
	t        *testing.T
	inFlight *atomic.Int32
	n        int
}

func (p *probe) enter() {
	if p.inFlight.Add(1) != 1 {
		p.t.Error("two actions ran at once")
	}
}
func (p *probe) leave()         { p.inFlight.Add(-1) }
func (p *probe) String() string { return "probe" }
func (p *probe) Halt() error    { p.enter(); defer p.leave(); return nil }
func (p *probe) State() any     { p.enter(); defer p.leave(); return p.n }
func (p *probe) Do(ctx context.Context, _ json.RawMessage) (any, error) {
	p.enter()
	defer p.leave()
	p.n++ // unsynchronised on purpose: the race detector checks the device's serialization
	time.Sleep(10 * time.Microsecond)
	return p.n, nil
}

func TestConcurrent(t *testing.T) {
	var inFlight atomic.Int32
	light := &gpiotest.Pin{N: "GPIO17"}
	fan := &gpiotest.Pin{N: "GPIO18"}
	sw, _ := device.NewSwitch(light, nil)
	lv, _ := device.NewLevel(fan, &device.LevelOpts{Arg: "speed", Steps: 3})
	p1 := &probe{t: t, inFlight: &inFlight}
	p2 := &probe{t: t, inFlight: &inFlight}
	d, err := device.New(map[string]device.Action{"light": sw, "fan": lv, "p1": p1, "p2": p2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const workers, rounds = 8, 50
	var wg sync.WaitGroup
	// A command that meets a pending Halt is refused with ErrHalted (see
	// TestHaltGoesFirst); every other outcome is an error. ok1 and ok2
	// count the probe calls that were accepted.
	var ok1, ok2 atomic.Int64
	for w := range workers {
		wg.Go(func() {
			ctx := context.Background()
			for i := range rounds {
				var err error
				switch (w + i) % 6 {
				case 0:
					_, err = d.Do(ctx, "light", json.RawMessage(fmt.Sprintf(`{"on":%t}`, i%2 == 0)))
				case 1:
					_, err = d.Do(ctx, "fan", json.RawMessage(fmt.Sprintf(`{"speed":%d}`, i%4)))
				case 2:
					_, err = d.Do(ctx, "p1", nil)
				case 3:
					_, err = d.Do(ctx, "p2", nil)
				case 4:
					var s map[string]any
					s, err = d.State(ctx)
					if err == nil {
						_, err = json.Marshal(s)
					}
				case 5:
					if i%10 == 5 {
						err = d.Halt()
					} else {
						_, err = d.Do(ctx, "status", nil)
					}
				}
				switch {
				case errors.Is(err, device.ErrHalted):
				case err != nil:
					t.Error(err)
				case (w+i)%6 == 2:
					ok1.Add(1)
				case (w+i)%6 == 3:
					ok2.Add(1)
				}
			}
		})
	}
	wg.Wait()
	// Every accepted p1 and p2 call ran exactly once.
	if int64(p1.n) != ok1.Load() || int64(p2.n) != ok2.Load() {
		t.Errorf("probe counts %d, %d; accepted %d, %d", p1.n, p2.n, ok1.Load(), ok2.Load())
	}
	if ok1.Load() == 0 || ok2.Load() == 0 {
		t.Errorf("no probe call accepted (%d, %d)", ok1.Load(), ok2.Load())
	}
	// The final state agrees with the pins.
	s, err := d.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	on := s["light"].(map[string]any)["on"].(bool)
	if gpio.Level(on) != stateOf(light).L {
		t.Errorf("light state on=%t but pin %s", on, stateOf(light).L)
	}
}

func TestParsePinMap(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // fmt of the map; "" = error
	}{
		{"light=GPIO17,fan=GPIO18", "map[fan:GPIO18 light:GPIO17]"},
		{" light = GPIO17 , fan=P1_12 ", "map[fan:P1_12 light:GPIO17]"},
		{"relay1=17", "map[relay1:17]"},
		{"", "map[]"},
		{"  ", "map[]"},
		{"light", ""},
		{"light=", ""},
		{"=GPIO17", ""},
		{"light=GPIO17,", ""},
		{",light=GPIO17", ""},
		{"light=GPIO17,light=GPIO18", ""},
		{"light=GPIO17,fan=GPIO17", ""},
		{"li ght=GPIO17", ""},
		{"light=GPIO 17", ""},
		{"light=GPIO17=1", ""},
		{"light=GPIO17;fan=GPIO18", ""},
	} {
		m, err := device.ParsePinMap(tc.in)
		if tc.want == "" {
			if !errors.Is(err, device.ErrConfig) {
				t.Errorf("ParsePinMap(%q) = %v, %v; want ErrConfig", tc.in, m, err)
			}
			continue
		}
		if err != nil || fmt.Sprint(m) != tc.want {
			t.Errorf("ParsePinMap(%q) = %v, %v; want %s", tc.in, m, err, tc.want)
		}
	}
}

func TestResolve(t *testing.T) {
	pins := devicetest.NewPins("GPIO17", "GPIO18")
	m, err := device.Resolve(map[string]string{"light": "GPIO17", "fan": "GPIO18"}, pins.ByName)
	if err != nil {
		t.Fatal(err)
	}
	if m["light"] != gpio.PinIO(pins.Pin("GPIO17")) || m["fan"] != gpio.PinIO(pins.Pin("GPIO18")) || len(m) != 2 {
		t.Errorf("Resolve = %v", m)
	}
	if _, err := device.Resolve(map[string]string{"a": "GPIO17", "b": "nope"}, pins.ByName); !errors.Is(err, device.ErrUnknownPin) ||
		err.Error() != `unknown pin: "nope" (for "b")` {
		t.Errorf("Resolve unknown: %v", err)
	}

	// nil byName means gpioreg.ByName.
	for _, n := range []string{"NEMIOT_TEST_L", "NEMIOT_TEST_F"} {
		if err := gpioreg.Register(&gpiotest.Pin{N: n, Num: -1}); err != nil {
			t.Fatal(err)
		}
		defer gpioreg.Unregister(n)
	}
	m, err = device.Resolve(map[string]string{"light": "NEMIOT_TEST_L", "fan": "NEMIOT_TEST_F"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	light, err := device.NewSwitch(m["light"], nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := device.New(map[string]device.Action{"light": light}, &device.Opts{Name: "reg"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := mustDo(t, d, "light", `{"on":true}`), `{"level":"High","on":true,"pin":"NEMIOT_TEST_L"}`; got != want {
		t.Errorf("registered light: %s, want %s", got, want)
	}
	if gpioreg.ByName("NEMIOT_TEST_L").Read() != gpio.High {
		t.Error("registered pin not driven")
	}
	if _, err := device.Resolve(map[string]string{"x": "NEMIOT_TEST_NONE"}, nil); !errors.Is(err, device.ErrUnknownPin) {
		t.Errorf("Resolve of a pin gpioreg does not know: %v", err)
	}
}

func TestResultsAreCopies(t *testing.T) {
	bus := &i2ctest.Playback{Ops: []i2ctest.IO{{Addr: 1, W: []byte{2}, R: []byte{3}}}}
	r, _ := device.NewI2CRead(&i2c.Dev{Bus: bus, Addr: 1}, nil)
	res, err := r.Do(context.Background(), json.RawMessage(`{"reg":2,"n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	res.(map[string]any)["hex"] = "tampered"
	r.State().(map[string]any)["last"].(map[string]any)["n"] = 99
	if got := jsonOf(t, r.State()); got != `{"conn":"playback(1)","last":{"hex":"03","n":1,"reg":2}}` {
		t.Errorf("state changed through a returned map: %s", got)
	}
}

// benchLightFan is the light and fan of the examples on simulated pins:
// a switch "light" and a level "fan" (arg "speed", 3 steps).
func benchLightFan(b *testing.B) *device.Device {
	pins := devicetest.NewPins("GPIO17", "GPIO18")
	light, err := device.NewSwitch(pins.ByName("GPIO17"), nil)
	if err != nil {
		b.Fatal(err)
	}
	fan, err := device.NewLevel(pins.ByName("GPIO18"), &device.LevelOpts{Arg: "speed", Steps: 3, Fallback: true})
	if err != nil {
		b.Fatal(err)
	}
	d, err := device.New(map[string]device.Action{"light": light, "fan": fan}, nil)
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// benchCommands are the hub's common commands on benchLightFan: each
// benchmark alternates between two args so every call changes the pins.
var benchCommands = []struct {
	name string
	args [2]json.RawMessage
}{
	{"light", [2]json.RawMessage{json.RawMessage(`{"on":true}`), json.RawMessage(`{"on":false}`)}},
	{"fan", [2]json.RawMessage{json.RawMessage(`{"speed":2}`), json.RawMessage(`{"speed":1}`)}},
	{"status", [2]json.RawMessage{nil, nil}},
}

// BenchmarkDo measures Device.Do for each common command.
func BenchmarkDo(b *testing.B) {
	for _, c := range benchCommands {
		b.Run(c.name, func(b *testing.B) {
			d := benchLightFan(b)
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := d.Do(ctx, c.name, c.args[i&1]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkDoJSON measures Device.Do plus encoding its result with
// encoding/json, which is what the hub does with every result.
func BenchmarkDoJSON(b *testing.B) {
	for _, c := range benchCommands {
		b.Run(c.name, func(b *testing.B) {
			d := benchLightFan(b)
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				res, err := d.Do(ctx, c.name, c.args[i&1])
				if err != nil {
					b.Fatal(err)
				}
				if _, err := json.Marshal(res); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
