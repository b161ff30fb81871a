package devicetest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

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

func TestRecorderPassThrough(t *testing.T) {
	d := device.NewSim()
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
