// Command raspberrypi is the firmware of a Raspberry Pi that its owners
// command over NEM: a light (an LED), a fan driven by PWM where the pin
// supports it, and optionally a push button, behind the hub's HTTP API. Its
// commands are those of examples/hub (light, fan, status), so the same app
// commands drive either.
//
// Wiring (BCM numbers; header pins in brackets), all configurable:
//
//	light   GPIO17 [11] → 330 Ω → LED → GND
//	fan     GPIO18 [12] → gate of a logic-level MOSFET (or a transistor) that switches the fan
//	button  (optional, -button GPIO27 [13]) → button → GND; the internal pull-up is used
//
// Build it on any computer, copy it over, run it on the Pi:
//
//	GOOS=linux GOARCH=arm GOARM=6 go build ./examples/raspberrypi   # Pi Zero / 1 (and any 32-bit OS)
//	GOOS=linux GOARCH=arm64 go build ./examples/raspberrypi         # Pi 3, 4, 5 with a 64-bit OS
//	sudo ./raspberrypi -key device.key -listen :8080
//
// go build writes the binary ./raspberrypi in the current directory (the
// repository's .gitignore lists it, and *.key files).
//
// Flags:
//
//	-key FILE      the device key (examples/keygen -out writes one); else $NEMIOT_DEVICE_KEY
//	-network NAME  mainnet | testnet | mijin (default: the key file's network, else testnet)
//	-listen ADDR   default 127.0.0.1:8080 (loopback); -listen :8080 to reach it from the LAN
//	-nodes URL,…   NIS nodes of the owner quorum (default: the embedded list of the network)
//	-owners HEX,…  fixed owner public keys instead of the quorum
//	-light PIN     default GPIO17
//	-fan PIN       default GPIO18 (a hardware PWM pin: GPIO12, 13, 18 or 19)
//	-fan-freq F    PWM frequency, e.g. 100Hz, 1kHz, 25kHz (default 1kHz)
//	-button PIN    a push button input; default none
//	-clock MODE    network (default: the time a quorum of NIS nodes agrees on; every
//	               command is refused until a quorum has told it) or system
//	-insecure-key-perms  run even if others may read the key file (refused by default)
//	-replay FILE   keep the replay cache in FILE across restarts (the unit: in its state directory)
//
// Under systemd (systemd/nemiot-raspberrypi.service, see README.md) it
// tells systemd when it serves (Type=notify) and pings the watchdog.
//
// Commands: "light" {"on": bool}; "fan" {"speed": 0..3}, duty 0, 1/3, 2/3 or
// full; "button" (when configured), {"high": bool, …}, High meaning released;
// and "status". Speeds 1 and 2 need PWM: periph's bcm283x driver gives it
// with root (memory-mapped PWM/DMA); without root, or with the gpioioctl
// driver, the fan runs at full speed instead and the reply says
// "duty": "100%", "pulsing": false (at speeds 0 and 3 the pin is held Low or
// High, so "pulsing" is false there anyway).
//
// Pins are named as periph names them (GPIO17, or a header alias such as
// P1_11), looked up with gpioreg.ByName after host.Init. On SIGINT or SIGTERM
// the hub stops and every output goes Low.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/host/v3/rpi"

	"github.com/nemiot/nemiot/device"
	"github.com/nemiot/nemiot/examples/internal/serve"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stderr))
}

// pins names the device's pins.
type pins struct {
	Light, Fan, Button string
	FanFreq            physic.Frequency
}

// newDevice builds the Pi's device with the pins byName finds.
func newDevice(p pins, byName func(string) gpio.PinIO) (*device.Device, error) {
	lookup := func(what, name string) (gpio.PinIO, error) {
		pin := byName(name)
		if pin == nil {
			return nil, fmt.Errorf("%s: %w %q", what, device.ErrUnknownPin, name)
		}
		return pin, nil
	}
	light, err := lookup("light", p.Light)
	if err != nil {
		return nil, err
	}
	fan, err := lookup("fan", p.Fan)
	if err != nil {
		return nil, err
	}
	lightAction, err := device.NewSwitch(light, nil)
	if err != nil {
		return nil, fmt.Errorf("light: %w", err)
	}
	fanAction, err := device.NewLevel(fan, &device.LevelOpts{Arg: "speed", Steps: 3, Freq: p.FanFreq, Fallback: true})
	if err != nil {
		return nil, fmt.Errorf("fan: %w", err)
	}
	actions := map[string]device.Action{"light": lightAction, "fan": fanAction}
	if p.Button != "" {
		button, err := lookup("button", p.Button)
		if err != nil {
			return nil, err
		}
		in, err := device.NewInput(button, &device.InputOpts{Pull: gpio.PullUp})
		if err != nil {
			return nil, fmt.Errorf("button: %w", err)
		}
		actions["button"] = in
	}
	return device.New(actions, &device.Opts{Name: "raspberrypi"})
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("raspberrypi", flag.ContinueOnError)
	fs.SetOutput(stderr)
	common := serve.AddFlags(fs)
	common.DefaultClock(serve.ClockNetwork) // a Pi has no real-time clock
	p := pins{FanFreq: physic.KiloHertz}
	fs.StringVar(&p.Light, "light", "GPIO17", "light (LED) `pin`")
	fs.StringVar(&p.Fan, "fan", "GPIO18", "fan `pin` (PWM)")
	fs.Var(&p.FanFreq, "fan-freq", "fan PWM `frequency`, e.g. 25kHz")
	fs.StringVar(&p.Button, "button", "", "push button `pin` (optional)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "raspberrypi: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	cfg, err := common.Config(log)
	if err != nil {
		fmt.Fprintf(stderr, "raspberrypi: %v\n", err)
		return 2
	}
	if err := serve.InitHost(log); err != nil {
		fmt.Fprintf(stderr, "raspberrypi: %v\n", err)
		return 1
	}
	if !rpi.Present() {
		log.Warn("this does not look like a Raspberry Pi; pin names may not exist")
	}
	dev, err := newDevice(p, gpioreg.ByName)
	if err != nil {
		fmt.Fprintf(stderr, "raspberrypi: %v\n", err)
		return 1
	}
	if err := serve.Run(ctx, cfg, dev); err != nil {
		fmt.Fprintf(stderr, "raspberrypi: %v\n", err)
		dev.Halt()
		return 1
	}
	return 0
}
