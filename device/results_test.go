package device_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"

	"github.com/nemiot/nemiot/device"
)

// odd is a pin name that JSON must escape: HTML characters, a quote, a
// control byte and invalid UTF-8.
const odd = "P<&>\"\x01\xff"

// TestResultJSON pins the exact JSON of every built-in action's results and
// states, and of the status command, byte for byte (golden strings captured
// from the map-based results), so a change of representation cannot change
// the wire output.
func TestResultJSON(t *testing.T) {
	noPWM := &failPin{Pin: gpiotest.Pin{N: "GPIO12"}, pwmErr: errors.New("no pwm")}
	bus := &i2ctest.Playback{Ops: []i2ctest.IO{
		{Addr: 0x40, W: []byte{0xfa}, R: []byte{0x01, 0xab, 0xff}},
		{Addr: 0x40, R: []byte{0x7f}},
	}}
	must := func(a device.Action, err error) device.Action {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	sleep := func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	btn := &gpiotest.Pin{N: "GPIO4", L: gpio.High}
	acts := map[string]device.Action{
		"light": must(device.NewSwitch(&gpiotest.Pin{N: "GPIO17"}, nil)),
		"relay": must(device.NewSwitch(&gpiotest.Pin{N: odd}, &device.SwitchOpts{ActiveLow: true})),
		"dim":   must(device.NewLevel(&gpiotest.Pin{N: "GPIO13"}, nil)),
		"fan":   must(device.NewLevel(&gpiotest.Pin{N: "GPIO18"}, &device.LevelOpts{Arg: "speed", Steps: 3})),
		"heat":  must(device.NewLevel(noPWM, &device.LevelOpts{Arg: "x.y-z_1", Steps: 65536, Fallback: true})),
		"door":  must(device.NewPulse(&gpiotest.Pin{N: "GPIO22"}, &device.PulseOpts{Sleep: sleep})),
		"gate":  must(device.NewPulse(&gpiotest.Pin{N: odd}, &device.PulseOpts{ActiveLow: true, Sleep: sleep})),
		"btn":   must(device.NewInput(btn, nil)),
		"temp":  must(device.NewI2CRead(&i2c.Dev{Bus: bus, Addr: 0x40}, nil)),
	}
	d, err := device.New(acts, nil)
	if err != nil {
		t.Fatal(err)
	}
	const status0 = `{"btn":{"high":true,"level":"High","pin":"GPIO4"},` +
		`"dim":{"duty":"0%","level":0,"pin":"GPIO13","pulsing":false,"steps":100},` +
		`"door":{"level":"Low","pin":"GPIO22","pulses":0},` +
		`"fan":{"duty":"0%","pin":"GPIO18","pulsing":false,"speed":0,"steps":3},` +
		`"gate":{"level":"High","pin":"P\u003c\u0026\u003e\"\u0001\ufffd","pulses":0},` +
		`"heat":{"duty":"0%","pin":"GPIO12","pulsing":false,"steps":65536,"x.y-z_1":0},` +
		`"light":{"level":"Low","on":false,"pin":"GPIO17"},` +
		`"relay":{"level":"High","on":false,"pin":"P\u003c\u0026\u003e\"\u0001\ufffd"},` +
		`"temp":{"conn":"playback(64)","last":null}}`
	if got := mustDo(t, d, "status", ""); got != status0 {
		t.Errorf("status\n got %s\nwant %s", got, status0)
	}
	for _, tc := range []struct{ name, args, result, state string }{
		{"light", `{"on":true}`, `{"level":"High","on":true,"pin":"GPIO17"}`, ""},
		{"relay", `{"on":true}`, `{"level":"Low","on":true,"pin":"P\u003c\u0026\u003e\"\u0001\ufffd"}`, ""},
		{"dim", `{"level":33}`, `{"duty":"33%","level":33,"pin":"GPIO13","pulsing":true,"steps":100}`, ""},
		{"dim", `{"level":100}`, `{"duty":"100%","level":100,"pin":"GPIO13","pulsing":false,"steps":100}`, ""},
		{"fan", `{"speed":2}`, `{"duty":"67%","pin":"GPIO18","pulsing":true,"speed":2,"steps":3}`, ""},
		{"heat", `{"x.y-z_1":1}`, `{"duty":"100%","pin":"GPIO12","pulsing":false,"steps":65536,"x.y-z_1":1}`, ""},
		{"door", `{"ms":250}`, `{"level":"Low","ms":250,"pin":"GPIO22"}`, `{"level":"Low","pin":"GPIO22","pulses":1}`},
		{"gate", `{"ms":1}`, `{"level":"High","ms":1,"pin":"P\u003c\u0026\u003e\"\u0001\ufffd"}`, `{"level":"High","pin":"P\u003c\u0026\u003e\"\u0001\ufffd","pulses":1}`},
		{"btn", ``, `{"high":true,"level":"High","pin":"GPIO4"}`, ""},
		{"temp", `{"reg":250,"n":3}`, `{"hex":"01abff","n":3,"reg":250}`, `{"conn":"playback(64)","last":{"hex":"01abff","n":3,"reg":250}}`},
		{"temp", `{"n":1}`, `{"hex":"7f","n":1}`, `{"conn":"playback(64)","last":{"hex":"7f","n":1}}`},
	} {
		if got := mustDo(t, d, tc.name, tc.args); got != tc.result {
			t.Errorf("%s %s\n got %s\nwant %s", tc.name, tc.args, got, tc.result)
		}
		state := tc.state
		if state == "" {
			state = tc.result
		}
		if got := jsonOf(t, acts[tc.name].State()); got != state {
			t.Errorf("%s State after %s\n got %s\nwant %s", tc.name, tc.args, got, state)
		}
	}
	btn.L = gpio.Low
	if got, want := jsonOf(t, acts["btn"].State()), `{"high":false,"level":"Low","pin":"GPIO4"}`; got != want {
		t.Errorf("btn State low\n got %s\nwant %s", got, want)
	}
	s, err := d.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	const status1 = `{"btn":{"high":false,"level":"Low","pin":"GPIO4"},` +
		`"dim":{"duty":"100%","level":100,"pin":"GPIO13","pulsing":false,"steps":100},` +
		`"door":{"level":"Low","pin":"GPIO22","pulses":1},` +
		`"fan":{"duty":"67%","pin":"GPIO18","pulsing":true,"speed":2,"steps":3},` +
		`"gate":{"level":"High","pin":"P\u003c\u0026\u003e\"\u0001\ufffd","pulses":1},` +
		`"heat":{"duty":"100%","pin":"GPIO12","pulsing":false,"steps":65536,"x.y-z_1":1},` +
		`"light":{"level":"High","on":true,"pin":"GPIO17"},` +
		`"relay":{"level":"Low","on":true,"pin":"P\u003c\u0026\u003e\"\u0001\ufffd"},` +
		`"temp":{"conn":"playback(64)","last":{"hex":"7f","n":1}}}`
	if got := jsonOf(t, s); got != status1 {
		t.Errorf("State\n got %s\nwant %s", got, status1)
	}
	// Indented output (as a caller might log it) is the same too.
	b, err := json.MarshalIndent(acts["door"].State(), "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\n \"level\": \"Low\",\n \"pin\": \"GPIO22\",\n \"pulses\": 1\n}"; string(b) != want {
		t.Errorf("indented door state %q", b)
	}
}

// TestLevelPulsing pins what a Level's "pulsing" says: whether PWM pulses
// the pin now. It is false at 0 and full, where the pin is held steady,
// also on a pin with PWM, and under Fallback; the key replaced "pwm",
// which read as "this pin has no PWM".
func TestLevelPulsing(t *testing.T) {
	type state struct {
		Speed   int    `json:"speed"`
		Steps   int    `json:"steps"`
		Duty    string `json:"duty"`
		Pulsing *bool  `json:"pulsing"`
		Pin     string `json:"pin"`
	}
	yes, no := true, false
	for _, tc := range []struct {
		pin  gpio.PinOut
		want []state // at speeds 0, 1, 2, 3
	}{
		{&gpiotest.Pin{N: "GPIO18"}, []state{
			{0, 3, "0%", &no, "GPIO18"}, {1, 3, "33%", &yes, "GPIO18"}, {2, 3, "67%", &yes, "GPIO18"}, {3, 3, "100%", &no, "GPIO18"}}},
		{&failPin{Pin: gpiotest.Pin{N: "GPIO5"}, pwmErr: errors.New("no pwm")}, []state{
			{0, 3, "0%", &no, "GPIO5"}, {1, 3, "100%", &no, "GPIO5"}, {2, 3, "100%", &no, "GPIO5"}, {3, 3, "100%", &no, "GPIO5"}}},
	} {
		l, err := device.NewLevel(tc.pin, &device.LevelOpts{Arg: "speed", Steps: 3, Fallback: true})
		if err != nil {
			t.Fatal(err)
		}
		var got []state
		for speed := range 4 {
			res, err := l.Do(context.Background(), json.RawMessage(fmt.Sprintf(`{"speed":%d}`, speed)))
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(res)
			if err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields() // no "pwm" beside "pulsing"
			var s state
			if err := dec.Decode(&s); err != nil {
				t.Fatalf("%s: %v", b, err)
			}
			got = append(got, s)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: results (-want +got):\n%s", tc.pin, diff)
		}
	}
	// "pulsing" is a state key: no Arg may take its name.
	if _, err := device.NewLevel(&gpiotest.Pin{N: "GPIO18"}, &device.LevelOpts{Arg: "pulsing"}); !errors.Is(err, device.ErrConfig) {
		t.Errorf(`Arg "pulsing": %v, want ErrConfig`, err)
	}
}
