package lightfan_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"strings"
	"testing"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/physic"

	"github.com/nemiot/nemiot/device"
	"github.com/nemiot/nemiot/device/devicetest"
	"github.com/nemiot/nemiot/examples/internal/lightfan"
)

// pwm returns the PWM duty and frequency last set on p.
func pwm(p *gpiotest.Pin) (gpio.Duty, physic.Frequency) {
	p.Lock()
	defer p.Unlock()
	return p.D, p.F
}

// mustDo runs a command on d and returns its result as JSON.
func mustDo(t *testing.T, d *device.Device, name, args string) string {
	t.Helper()
	res, err := d.Do(context.Background(), name, json.RawMessage(args))
	if err == nil {
		var b []byte
		if b, err = json.Marshal(res); err == nil {
			return string(b)
		}
	}
	t.Fatalf("%s %s: %v", name, args, err)
	return ""
}

func TestLightFanConfig(t *testing.T) {
	p := &gpiotest.Pin{N: "GPIO17"}
	if _, err := lightfan.LightFan(p, nil, nil); !errors.Is(err, device.ErrConfig) || !strings.HasPrefix(err.Error(), "fan: ") {
		t.Errorf("nil fan: %v, want ErrConfig for the fan", err)
	}
	if _, err := lightfan.LightFan(nil, p, nil); !errors.Is(err, device.ErrConfig) || !strings.HasPrefix(err.Error(), "light: ") {
		t.Errorf("nil light: %v, want ErrConfig for the light", err)
	}
}

func TestOpenLightFan(t *testing.T) {
	pins := devicetest.NewPins("GPIO17", "GPIO18")
	for _, n := range pins.Names() {
		pins.Pin(n).Out(gpio.High) // OpenLightFan must drive them Low
	}
	d, err := lightfan.OpenLightFan(lightfan.DefaultPinMap, pins.ByName, nil)
	if err != nil {
		t.Fatal(err)
	}
	light, fan := pins.Pin("GPIO17"), pins.Pin("GPIO18")
	if light.Read() != gpio.Low || fan.Read() != gpio.Low {
		t.Error("OpenLightFan did not drive both pins Low")
	}
	mustDo(t, d, "light", `{"on":true}`)
	mustDo(t, d, "fan", `{"speed":1}`)
	if l := light.Read(); l != gpio.High {
		t.Errorf("light pin %s", l)
	}
	if d, f := pwm(fan); d != 5592405 || f != physic.KiloHertz {
		t.Errorf("fan pin duty %d at %s, want a third of 2^24 at 1 kHz", d, f)
	}
	for in, want := range map[string]error{
		"light=GPIO17":                     device.ErrConfig,
		"fan=GPIO18":                       device.ErrConfig,
		"light=GPIO17,fan=GPIO18,x=GPIO19": device.ErrConfig,
		"light=GPIO17,fan=GPIO99":          device.ErrUnknownPin,
		"light=GPIO17,,fan=GPIO18":         device.ErrConfig,
	} {
		if _, err := lightfan.OpenLightFan(in, pins.ByName, nil); !errors.Is(err, want) {
			t.Errorf("OpenLightFan(%q) = %v, want %v", in, err, want)
		}
	}

	// nil byName means gpioreg.ByName.
	for _, n := range []string{"NEMIOT_TEST_L", "NEMIOT_TEST_F"} {
		if err := gpioreg.Register(&gpiotest.Pin{N: n, Num: -1}); err != nil {
			t.Fatal(err)
		}
		defer gpioreg.Unregister(n)
	}
	d, err = lightfan.OpenLightFan("light=NEMIOT_TEST_L,fan=NEMIOT_TEST_F", nil, &device.Opts{Name: "reg"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := mustDo(t, d, "light", `{"on":true}`), `{"level":"High","on":true,"pin":"NEMIOT_TEST_L"}`; got != want {
		t.Errorf("registered light: %s, want %s", got, want)
	}
	if gpioreg.ByName("NEMIOT_TEST_L").Read() != gpio.High {
		t.Error("registered pin not driven")
	}
}

func TestNewSim(t *testing.T) {
	d, pins := lightfan.NewSimPins()
	if d.String() != "sim" {
		t.Errorf("String = %q", d.String())
	}
	if got := fmt.Sprint(d.Names()); got != "[fan light status]" {
		t.Errorf("Names = %s", got)
	}
	for _, step := range []struct{ name, args, want string }{
		{"status", ``, `{"fan":{"duty":"0%","pin":"GPIO18","pulsing":false,"speed":0,"steps":3},"light":{"level":"Low","on":false,"pin":"GPIO17"}}`},
		{"light", `{"on":true}`, `{"level":"High","on":true,"pin":"GPIO17"}`},
		{"fan", `{"speed":2}`, `{"duty":"67%","pin":"GPIO18","pulsing":true,"speed":2,"steps":3}`},
		{"status", `{}`, `{"fan":{"duty":"67%","pin":"GPIO18","pulsing":true,"speed":2,"steps":3},"light":{"level":"High","on":true,"pin":"GPIO17"}}`},
	} {
		if got := mustDo(t, d, step.name, step.args); got != step.want {
			t.Errorf("%s %s = %s, want %s", step.name, step.args, got, step.want)
		}
	}
	if d, _ := pwm(pins.Pin("GPIO18")); pins.Pin("GPIO17").Read() != gpio.High || d != 11184811 { // 2/3 of 2^24, rounded
		t.Errorf("pins: light %s, fan duty %d", pins.Pin("GPIO17").Read(), d)
	}
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
	if got, want := mustDo(t, d, "status", ``), `{"fan":{"duty":"0%","pin":"GPIO18","pulsing":false,"speed":0,"steps":3},"light":{"level":"Low","on":false,"pin":"GPIO17"}}`; got != want {
		t.Errorf("status after Halt %s", got)
	}
	// Two sims are independent.
	d2 := lightfan.NewSim()
	mustDo(t, d2, "light", `{"on":true}`)
	if got := mustDo(t, d, "status", ``); strings.Contains(got, `"on":true`) {
		t.Error("NewSim devices share pins")
	}
}

func ExampleNewSim() {
	d := lightfan.NewSim()
	defer d.Halt()
	ctx := context.Background()
	if _, err := d.Do(ctx, "fan", json.RawMessage(`{"speed": 2}`)); err != nil {
		log.Fatal(err)
	}
	status, err := d.Do(ctx, "status", nil)
	if err != nil {
		log.Fatal(err)
	}
	b, _ := json.Marshal(status)
	fmt.Println(string(b))
	_, err = d.Do(ctx, "fan", json.RawMessage(`{"speed": 9}`))
	fmt.Println(err)
	// Output:
	// {"fan":{"duty":"67%","pin":"GPIO18","pulsing":true,"speed":2,"steps":3},"light":{"level":"Low","on":false,"pin":"GPIO17"}}
	// device: "fan": bad args: field "speed" must be an integer from 0 to 3
}

func ExampleLightFan() {
	light := &gpiotest.Pin{N: "GPIO17", Num: 17}
	fan := &gpiotest.Pin{N: "GPIO18", Num: 18}
	d, err := lightfan.LightFan(light, fan, nil)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if _, err := d.Do(ctx, "light", json.RawMessage(`{"on":true}`)); err != nil {
		log.Fatal(err)
	}
	if _, err := d.Do(ctx, "fan", json.RawMessage(`{"speed":1}`)); err != nil {
		log.Fatal(err)
	}
	fmt.Println("light:", light.Read())
	fmt.Println("fan duty:", fan.D, "at", fan.F)
	if err := d.Halt(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("after Halt:", light.Read(), fan.Read())
	// Output:
	// light: High
	// fan duty: 33% at 1kHz
	// after Halt: Low Low
}
