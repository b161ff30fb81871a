package device_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/nemiot/nemiot/device"
)

// countConn is a conn.Conn that answers reads with 0, 1, 2, ….
type countConn struct{ txs int }

func (c *countConn) String() string { return "count" }
func (c *countConn) Tx(w, r []byte) error {
	c.txs++
	for i := range r {
		r[i] = byte(i)
	}
	return nil
}
func (c *countConn) Duplex() conn.Duplex { return conn.Half }

type fuzzRig struct {
	d                     *device.Device
	light, fan, door, btn *gpiotest.Pin
	bus                   *countConn
	pulses                int
}

func newFuzzRig(t testing.TB) *fuzzRig {
	r := &fuzzRig{
		light: &gpiotest.Pin{N: "GPIO17"}, fan: &gpiotest.Pin{N: "GPIO18"},
		door: &gpiotest.Pin{N: "GPIO22"}, btn: &gpiotest.Pin{N: "GPIO4"}, bus: &countConn{},
	}
	sw, err1 := device.NewSwitch(r.light, nil)
	lv, err2 := device.NewLevel(r.fan, &device.LevelOpts{Arg: "speed", Steps: 3})
	pu, err3 := device.NewPulse(r.door, &device.PulseOpts{Sleep: func(ctx context.Context, d time.Duration) error {
		if d < time.Millisecond || d > 10*time.Second {
			t.Errorf("pulse of %s passed validation", d)
		}
		r.pulses++
		return nil
	}})
	in, err4 := device.NewInput(r.btn, nil)
	rd, err5 := device.NewI2CRead(r.bus, nil)
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		t.Fatal(err)
	}
	d, err := device.New(map[string]device.Action{"light": sw, "fan": lv, "door": pu, "button": in, "temp": rd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.d = d
	return r
}

func (r *fuzzRig) pins() [4]pinState {
	return [4]pinState{stateOf(r.light), stateOf(r.fan), stateOf(r.door), stateOf(r.btn)}
}

// FuzzDo checks, for any command name and args bytes: no panic; every error
// is a *CommandError wrapping ErrUnknownCommand or ErrBadArgs (the doubles
// never fail); a rejected command changes no pin and touches no bus; an
// accepted one had valid JSON args (or none) and its effect agrees with what
// encoding/json reads from the same args; results marshal to JSON; error
// messages stay short whatever the input.
func FuzzDo(f *testing.F) {
	for _, s := range []struct{ name, args string }{
		{"light", `{"on":true}`}, {"light", `{"on":false}`}, {"fan", `{"speed":3}`}, {"fan", `{"speed":1}`},
		{"door", `{"ms":10}`}, {"button", ``}, {"button", `null`}, {"temp", `{"reg":1,"n":4}`}, {"temp", `{"n":32}`},
		{"status", `{}`}, {"light", `{"on":true,"on":false}`}, {"fan", `{"speed":1e0}`}, {"nope", `{}`},
		{"light", "{\"o\\u006e\":true}"}, {"light", " \t{\"on\" : true}\n"}, {"fan", `{"speed":-0}`},
	} {
		f.Add(s.name, []byte(s.args))
	}
	f.Fuzz(func(t *testing.T, name string, args []byte) {
		r := newFuzzRig(t)
		before, txs := r.pins(), r.bus.txs
		res, err := r.d.Do(context.Background(), name, json.RawMessage(args))
		if err != nil {
			var ce *device.CommandError
			if !errors.As(err, &ce) || !(errors.Is(err, device.ErrUnknownCommand) || errors.Is(err, device.ErrBadArgs)) {
				t.Fatalf("Do(%q, %q): unexpected error %v", name, args, err)
			}
			if len(err.Error()) > 1024 {
				t.Fatalf("error message of %d bytes", len(err.Error()))
			}
			if after := r.pins(); after != before || r.bus.txs != txs || r.pulses != 0 {
				t.Fatalf("rejected Do(%q, %q) changed pins %+v → %+v or used the bus/pulse", name, args, before, after)
			}
			return
		}
		if _, err := json.Marshal(res); err != nil {
			t.Fatalf("result does not marshal: %v", err)
		}
		trimmed := bytes.TrimSpace(args)
		var m map[string]any
		if len(trimmed) != 0 {
			dec := json.NewDecoder(bytes.NewReader(args))
			dec.UseNumber()
			if !json.Valid(args) || dec.Decode(&m) != nil {
				t.Fatalf("accepted invalid JSON args %q", args)
			}
		}
		switch name {
		case "light":
			on, ok := m["on"].(bool)
			if !ok || len(m) != 1 {
				t.Fatalf("light accepted %q", args)
			}
			if stateOf(r.light).L != gpio.Level(on) {
				t.Fatalf("light %q left pin %s", args, stateOf(r.light).L)
			}
		case "fan":
			n, ok := m["speed"].(json.Number)
			if !ok || len(m) != 1 || strings.ContainsAny(n.String(), ".eE") {
				t.Fatalf("fan accepted %q", args)
			}
			if got := res.(map[string]any)["speed"]; n.String() != "-0" && jsonOf(t, got) != n.String() {
				t.Fatalf("fan %q reported speed %v", args, got)
			}
		case "door":
			if r.pulses != 1 || stateOf(r.door).L != gpio.Low {
				t.Fatalf("door %q: %d pulses, pin %s", args, r.pulses, stateOf(r.door).L)
			}
		case "temp":
			if r.bus.txs != 1 {
				t.Fatalf("temp %q: %d transactions", args, r.bus.txs)
			}
		case "button", "status":
			if len(m) != 0 {
				t.Fatalf("%s accepted args %q", name, args)
			}
		default:
			t.Fatalf("unknown command %q accepted", name)
		}
	})
}

// TestFuzzCorpus checks the committed seed corpus is there and well formed,
// so FuzzDo's regression runs are not silently empty.
func TestFuzzCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzDo", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no seed corpus in testdata/fuzz/FuzzDo")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) != 3 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[1], "string(") || !strings.HasPrefix(lines[2], "[]byte(") {
			t.Errorf("%s: not a FuzzDo corpus file", f)
		}
	}
}
