package device_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"

	"github.com/nemiot/nemiot/device"
	"github.com/nemiot/nemiot/device/devicetest"
)

// A light and a fan on simulated pins: a switch and a three-speed level,
// looked up by name as on a board.
func Example() {
	pins := devicetest.NewPins("GPIO17", "GPIO18")
	light, err := device.NewSwitch(pins.ByName("GPIO17"), nil)
	if err != nil {
		log.Fatal(err)
	}
	fan, err := device.NewLevel(pins.ByName("GPIO18"), &device.LevelOpts{Arg: "speed", Steps: 3})
	if err != nil {
		log.Fatal(err)
	}
	d, err := device.New(map[string]device.Action{"light": light, "fan": fan}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer d.Halt()
	ctx := context.Background()
	for _, c := range []struct{ name, args string }{
		{"light", `{"on": true}`},
		{"fan", `{"speed": 2}`},
		{"status", ``},
		{"fan", `{"speed": 9}`},
	} {
		res, err := d.Do(ctx, c.name, json.RawMessage(c.args))
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		b, _ := json.Marshal(res)
		fmt.Println(string(b))
	}
	// Output:
	// {"level":"High","on":true,"pin":"GPIO17"}
	// {"duty":"67%","pin":"GPIO18","pulsing":true,"speed":2,"steps":3}
	// {"fan":{"duty":"67%","pin":"GPIO18","pulsing":true,"speed":2,"steps":3},"light":{"level":"High","on":true,"pin":"GPIO17"}}
	// error: device: "fan": bad args: field "speed" must be an integer from 0 to 3
}

func ExampleNew() {
	relay := &gpiotest.Pin{N: "GPIO23", Num: 23}
	strike := &gpiotest.Pin{N: "GPIO24", Num: 24}
	sensor := &i2ctest.Playback{Ops: []i2ctest.IO{{Addr: 0x48, W: []byte{0x00}, R: []byte{0x19, 0x80}}}}

	pump, err := device.NewSwitch(relay, &device.SwitchOpts{ActiveLow: true})
	if err != nil {
		log.Fatal(err)
	}
	door, err := device.NewPulse(strike, &device.PulseOpts{Max: 3 * time.Second})
	if err != nil {
		log.Fatal(err)
	}
	temp, err := device.NewI2CRead(&i2c.Dev{Bus: sensor, Addr: 0x48}, &device.I2CReadOpts{MaxLen: 2})
	if err != nil {
		log.Fatal(err)
	}
	d, err := device.New(map[string]device.Action{"pump": pump, "door": door, "temp": temp}, &device.Opts{Name: "greenhouse"})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Halt()

	ctx := context.Background()
	for _, c := range []struct{ name, args string }{
		{"pump", `{"on":true}`},
		{"door", `{"ms":20}`},
		{"temp", `{"reg":0,"n":2}`},
	} {
		res, err := d.Do(ctx, c.name, json.RawMessage(c.args))
		if err != nil {
			log.Fatal(err)
		}
		b, _ := json.Marshal(res)
		fmt.Printf("%s: %s\n", c.name, b)
	}
	fmt.Println(d.Names())
	// Output:
	// pump: {"level":"Low","on":true,"pin":"GPIO23"}
	// door: {"level":"Low","ms":20,"pin":"GPIO24"}
	// temp: {"hex":"1980","n":2,"reg":0}
	// [door pump status temp]
}

func ExampleDevice_Do_errors() {
	light, err := device.NewSwitch(devicetest.NewPins("GPIO17").ByName("GPIO17"), nil)
	if err != nil {
		log.Fatal(err)
	}
	d, err := device.New(map[string]device.Action{"light": light}, nil)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct{ name, args string }{
		{"heater", `{"on":true}`},
		{"light", `{"on":"yes"}`},
		{"light", `{"on":true,"dim":5}`},
	} {
		_, err := d.Do(ctx, c.name, json.RawMessage(c.args))
		switch {
		case errors.Is(err, device.ErrUnknownCommand):
			fmt.Println("unknown:", err)
		case errors.Is(err, device.ErrBadArgs):
			fmt.Println("bad args:", err)
		}
	}
	// Output:
	// unknown: device: "heater": unknown command
	// bad args: device: "light": bad args: field "on" must be true or false
	// bad args: device: "light": bad args: unknown field "dim"
}

func ExampleParsePinMap() {
	m, err := device.ParsePinMap("light=GPIO17, fan=GPIO18")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m["light"], m["fan"])
	_, err = device.ParsePinMap("light=GPIO17,fan=GPIO17")
	fmt.Println(err)
	// Output:
	// GPIO17 GPIO18
	// invalid device configuration: pin map: pin "GPIO17" used by "light" and "fan"
}

// On a Raspberry Pi (compile-only: it needs the board's pins).
func Example_raspberryPi() {
	// First: if _, err := host.Init(); err != nil { … } (periph.io/x/host/v3),
	// so that gpioreg knows the board's pins.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// The pin map comes from configuration, never from a command.
	m, err := device.ParsePinMap("light=GPIO17,fan=GPIO18")
	if err != nil {
		log.Fatal(err)
	}
	pins, err := device.Resolve(m, gpioreg.ByName)
	if err != nil {
		log.Fatal(err)
	}
	light, err := device.NewSwitch(pins["light"], nil)
	if err != nil {
		log.Fatal(err)
	}
	fan, err := device.NewLevel(pins["fan"], &device.LevelOpts{Arg: "speed", Steps: 3, Fallback: true})
	if err != nil {
		log.Fatal(err)
	}
	d, err := device.New(map[string]device.Action{"light": light, "fan": fan}, nil)
	if err != nil {
		log.Fatal(err)
	}
	// Halt on the way out, also after SIGINT/SIGTERM: light off, fan stopped.
	defer d.Halt()

	// Without root, bcm283x has no PWM: fan speeds 1 and 2 then run at full.
	res, err := d.Do(ctx, "fan", json.RawMessage(`{"speed":1}`))
	if err != nil {
		log.Fatal(err)
	}
	b, _ := json.Marshal(res)
	fmt.Println(string(b))

	<-ctx.Done()
}
