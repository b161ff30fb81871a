package devicetest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"slices"
	"sync"
	"testing"

	"periph.io/x/conn/v3/gpio"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/device"
	"github.com/nemiot/nemiot/device/devicetest"
)

func TestRecorderCanned(t *testing.T) {
	boom := errors.New("boom")
	r := &devicetest.Recorder{
		Results: map[string]any{"light": "lit"},
		Errs:    map[string]error{"fan": boom},
	}
	ctx := context.Background()
	args := json.RawMessage(`{"on":true}`)
	res, err := r.Do(ctx, "light", args)
	if err != nil || res != "lit" {
		t.Errorf("light = %v, %v; want lit", res, err)
	}
	args[2] = 'X' // the recorder keeps its own copy
	if res, err := r.Do(ctx, "fan", nil); !errors.Is(err, boom) || res != nil {
		t.Errorf("fan = %v, %v; want boom", res, err)
	}
	if res, err := r.Do(ctx, "other", json.RawMessage(`{}`)); err != nil || res != nil {
		t.Errorf("other = %v, %v; want nil, nil", res, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := r.Do(cctx, "light", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("done ctx: %v", err)
	}
	calls := r.Calls()
	want := `[{light {"on":true} lit <nil>} {fan  <nil> boom} {other {} <nil> <nil>} {light  <nil> context canceled}]`
	got := "["
	for i, c := range calls {
		if i > 0 {
			got += " "
		}
		got += fmt.Sprintf("{%s %s %v %v}", c.Name, string(c.Args), c.Result, c.Err)
	}
	got += "]"
	if got != want {
		t.Errorf("calls\n%s\nwant\n%s", got, want)
	}
	calls[0].Name = "changed"
	if r.Calls()[0].Name != "light" {
		t.Error("Calls returned the recorder's own slice")
	}

	r.Err = boom
	if _, err := r.Do(ctx, "light", nil); !errors.Is(err, boom) {
		t.Errorf("Err: %v", err)
	}
	r.Reset()
	if len(r.Calls()) != 0 || r.Halts() != 0 {
		t.Error("Reset kept calls")
	}
}

// lightFan returns a device with a "light" switch on GPIO17 and a "fan"
// level (arg "speed", 3 steps) on GPIO18 of simulated pins.
func lightFan(t *testing.T) (*device.Device, *devicetest.Pins) {
	t.Helper()
	pins := devicetest.NewPins("GPIO17", "GPIO18")
	light, err := device.NewSwitch(pins.ByName("GPIO17"), nil)
	if err != nil {
		t.Fatal(err)
	}
	fan, err := device.NewLevel(pins.ByName("GPIO18"), &device.LevelOpts{Arg: "speed", Steps: 3})
	if err != nil {
		t.Fatal(err)
	}
	d, err := device.New(map[string]device.Action{"light": light, "fan": fan}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d, pins
}

func TestRecorderPassThrough(t *testing.T) {
	d, _ := lightFan(t)
	r := &devicetest.Recorder{Device: d}
	ctx := context.Background()
	if _, err := r.Do(ctx, "light", json.RawMessage(`{"on":true}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Do(ctx, "fan", json.RawMessage(`{"speed":7}`)); !errors.Is(err, device.ErrBadArgs) {
		t.Errorf("bad args through recorder: %v", err)
	}
	st, err := d.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if on := st["light"].(map[string]any)["on"]; on != true {
		t.Errorf("device not driven through the recorder: %v", st)
	}
	calls := r.Calls()
	if len(calls) != 2 || calls[0].Result.(map[string]any)["on"] != true || !errors.Is(calls[1].Err, device.ErrBadArgs) {
		t.Errorf("calls = %+v", calls)
	}
	if err := r.Halt(); err != nil {
		t.Fatal(err)
	}
	st, _ = d.State(ctx)
	if on := st["light"].(map[string]any)["on"]; on != false || r.Halts() != 1 {
		t.Errorf("Halt not passed through: %v, %d halts", st, r.Halts())
	}
	r.HaltErr = errors.New("stuck")
	if err := r.Halt(); err == nil || r.Halts() != 2 {
		t.Errorf("HaltErr: %v", err)
	}
	var _ device.Commander = r
}

func TestRecorderHandle(t *testing.T) {
	d, pins := lightFan(t)
	r := &devicetest.Recorder{Device: d, Errs: map[string]error{"fan": device.ErrUnsupported}}
	var h command.Handler = r // what a transport such as package hub takes
	ctx := context.Background()
	req := &command.Request{Command: command.Command{Name: "light", Args: json.RawMessage(`{"on":true}`)}}
	res, err := h.Handle(ctx, req)
	if err != nil || res.(map[string]any)["on"] != true {
		t.Fatalf("Handle(light) = %v, %v", res, err)
	}
	if pins.Pin("GPIO17").Read() != gpio.High {
		t.Error("Handle did not reach the pin")
	}
	req.Command = command.Command{Name: "fan", Args: json.RawMessage(`{"speed":1}`)}
	if _, err := h.Handle(ctx, req); !errors.Is(err, device.ErrUnsupported) {
		t.Errorf("Handle(fan) = %v, want the injected error", err)
	}
	calls := r.Calls()
	if len(calls) != 2 || calls[0].Name != "light" || string(calls[0].Args) != `{"on":true}` || calls[1].Name != "fan" {
		t.Errorf("calls = %+v", calls)
	}
	if err := h.(command.Halter).Halt(); err != nil || r.Halts() != 1 || pins.Pin("GPIO17").Read() != gpio.Low {
		t.Errorf("Halt through the Handler: %v, %d halts", err, r.Halts())
	}
}

func TestPins(t *testing.T) {
	pins := devicetest.NewPins("GPIO18", "GPIO17", "", "LED", "GPIO17", "P1_11")
	if got, want := pins.Names(), []string{"GPIO17", "GPIO18", "LED", "P1_11"}; !slices.Equal(got, want) {
		t.Errorf("Names = %q, want %q", got, want)
	}
	for name, num := range map[string]int{"GPIO17": 17, "GPIO18": 18, "LED": -1, "P1_11": 11} {
		p := pins.ByName(name)
		if p == nil || p.Name() != name || p.Number() != num {
			t.Errorf("ByName(%q) = %v, want %s numbered %d", name, p, name, num)
		}
		if p != gpio.PinIO(pins.Pin(name)) {
			t.Errorf("ByName(%q) and Pin(%q) differ", name, name)
		}
	}
	// An unknown name is a nil interface, as gpioreg.ByName gives, which
	// device.Resolve reports as unknown.
	if p := pins.ByName("GPIO99"); p != nil {
		t.Errorf("ByName(GPIO99) = %#v, want nil", p)
	}
	if p := pins.ByName(""); p != nil {
		t.Errorf(`ByName("") = %#v, want nil`, p)
	}
	if pins.Pin("GPIO99") != nil {
		t.Error("Pin(GPIO99) not nil")
	}
	_, err := device.Resolve(map[string]string{"light": "GPIO17", "fan": "GPIO99"}, pins.ByName)
	if !errors.Is(err, device.ErrUnknownPin) {
		t.Errorf("Resolve of an unknown pin: %v", err)
	}
	// A device drives the pins, and the test reads them back.
	m, err := device.Resolve(map[string]string{"light": "GPIO17"}, pins.ByName)
	if err != nil {
		t.Fatal(err)
	}
	sw, err := device.NewSwitch(m["light"], nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sw.Do(context.Background(), json.RawMessage(`{"on":true}`)); err != nil {
		t.Fatal(err)
	}
	if pins.Pin("GPIO17").Read() != gpio.High || pins.Pin("GPIO18").Read() != gpio.Low {
		t.Error("the switch did not drive GPIO17 alone")
	}
	// Two sets share nothing.
	if devicetest.NewPins("GPIO17").Pin("GPIO17") == pins.Pin("GPIO17") {
		t.Error("two Pins share a pin")
	}
}

func TestRecorderConcurrent(t *testing.T) {
	r := &devicetest.Recorder{Results: map[string]any{"x": 1}}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				r.Do(context.Background(), "x", json.RawMessage(`{}`))
				_ = r.Calls()
			}
			r.Halt()
		})
	}
	wg.Wait()
	if n := len(r.Calls()); n != 800 || r.Halts() != 8 {
		t.Errorf("%d calls, %d halts; want 800, 8", n, r.Halts())
	}
}

func ExampleRecorder() {
	r := &devicetest.Recorder{
		Results: map[string]any{"status": map[string]any{"light": "on"}},
		Errs:    map[string]error{"fan": device.ErrUnsupported},
	}
	// The code under test would do this:
	r.Do(context.Background(), "status", nil)
	r.Do(context.Background(), "fan", json.RawMessage(`{"speed":1}`))

	for _, c := range r.Calls() {
		fmt.Printf("%s %s → %v, %v\n", c.Name, c.Args, c.Result, c.Err)
	}
	// Output:
	// status  → map[light:on], <nil>
	// fan {"speed":1} → <nil>, unsupported by the pin driver
}

// A device on simulated pins, found by name as on a board.
func ExamplePins() {
	pins := devicetest.NewPins("GPIO17")
	light, err := device.NewSwitch(pins.ByName("GPIO17"), nil)
	if err != nil {
		log.Fatal(err)
	}
	d, err := device.New(map[string]device.Action{"light": light}, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("before:", pins.Pin("GPIO17").Read())
	if _, err := d.Do(context.Background(), "light", json.RawMessage(`{"on":true}`)); err != nil {
		log.Fatal(err)
	}
	fmt.Println("after:", pins.Pin("GPIO17").Read())
	d.Halt()
	fmt.Println("halted:", pins.Pin("GPIO17").Read())
	// Output:
	// before: Low
	// after: High
	// halted: Low
}

// A Recorder in front of a transport: it is a command.Handler, so package
// hub (or any other transport) takes it as it is, here called directly.
func ExampleRecorder_Handle() {
	r := &devicetest.Recorder{Results: map[string]any{"status": map[string]bool{"light": true}}}
	var h command.Handler = r
	res, err := h.Handle(context.Background(), &command.Request{Command: command.Command{Name: "status"}})
	fmt.Println(res, err)
	fmt.Println(len(r.Calls()), "call:", r.Calls()[0].Name)
	// Output:
	// map[light:true] <nil>
	// 1 call: status
}
