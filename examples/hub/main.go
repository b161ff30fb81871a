// Command hub runs a device: it serves the hub's HTTP API (POST
// /v1/commands, GET /v1/device, GET /healthz) on loopback by default,
// obeys the owners of its NEM account, and drives a light and a fan.
//
// Usage:
//
//	go run ./examples/hub -key FILE          # file holding the device private key (hex)
//	                      -network testnet   # mainnet | testnet | mijin (default: the key file's network, else testnet)
//	                      -listen 127.0.0.1:8080
//	                      -nodes URL,URL,…   # NIS nodes for the owner quorum, http(s)://HOST:PORT (default: embedded list)
//	                      -owners HEX,HEX,…  # fixed owner public keys instead of the quorum (tests, labs)
//	                      -pins light=GPIO17,fan=GPIO18   # logical name = periph pin name
//	                      -sim               # simulated pins (gpiotest) instead of hardware
//	                      -mqtt tcp://127.0.0.1:1883 [-mqtt-ca FILE] [-listen ""]   # also (or, with -listen "", only) through a broker
//	                      -ui                # also serve the owner's app as a web page at /
//	                      -metrics 127.0.0.1:9100   # also serve Prometheus metrics at GET /metrics (default: off)
//
// With -ui the hub serves the owner's app at GET / (package
// examples/hub/ui): a page that seals commands and verifies replies in the
// browser with nemiot's Go code compiled to WebAssembly, so an owner needs
// only a browser. The owner's private key stays in the page; the hub sees
// only envelopes. Off unless given; it needs HTTP (-listen).
//
// With -mqtt the device dials out to an MQTT broker (package mqtt), so it
// works behind NAT: commands on nemiot/v1/DEV/commands, replies on
// nemiot/v1/DEV/replies/SENDER, presence on nemiot/v1/DEV/status. HTTP and
// MQTT share one Opener (one replay cache); -listen "" serves no HTTP at
// all. ssl:// URLs use TLS, trusting -mqtt-ca if given (-mqtt-cert and
// -mqtt-key add a client certificate); a username and password come only
// from $NEMIOT_MQTT_USERNAME and $NEMIOT_MQTT_PASSWORD.
//
// With -metrics ADDR the hub serves Prometheus text at GET /metrics on a
// listener of its own (package examples/internal/metrics, over the
// library's hooks; off unless given). Keep ADDR on loopback, or a network
// only the collector reaches: the metrics are not secret, but they tell
// anyone who asks how busy the device is and which nodes it asks. The
// metrics:
//
//	nemiot_commands_accepted_total             envelopes accepted (HTTP and MQTT)
//	nemiot_commands_refused_total{reason}      envelopes refused: replay, stale, future, clock, not_owner, bad_signature, malformed, …
//	nemiot_replies_total{ok}                   replies made, ok "true" or "false" (the device refused to act)
//	nemiot_hub_in_flight                       commands the HTTP hub is handling now
//	nemiot_hub_busy_total                      503s over the in-flight limit
//	nemiot_owner_refreshes_total{outcome}      owner-cache refreshes: quorum, not_multisig, no_quorum, error
//	nemiot_node_errors_total{node}             unusable NIS node answers, by node URL
//	nemiot_replay_cache_entries                live entries in the replay cache
//
// and the Go runtime's go_* and process_* metrics.
//
// Try it without hardware or network: -sim -owners OWNER_PUBLIC_KEY.
//
// The key file is what examples/keygen -out or examples/apostille -out
// write; without -key the environment variable NEMIOT_DEVICE_KEY holds the
// key. The key is never printed or logged. A key file records its
// network ("# network: mainnet"), and the hub runs on that network; a
// -network that differs is refused. A key file readable by others is
// logged as a warning (chmod 600 it).
//
// Owners: by default the hub obeys the cosignatories of its account
// (converted to multisig on chain), as a quorum of randomly chosen nodes
// from -nodes (or the embedded list of -network; mijin has none) agrees
// (multisig.OwnerCache: refreshed in the background, re-asked when an
// unknown key knocks). -owners replaces that with fixed keys; a key given
// twice, or the device's own key, is refused. When no quorum of nodes
// answers, the hub logs one line saying which nodes failed and what to do,
// and refuses every command until a quorum answers.
//
// Commands: "light" {"on": bool}, "fan" {"speed": 0..3} (PWM; full on where
// the pin has no PWM) and "status", whose result shows both pins. -pins
// names the periph pins (gpioreg.ByName after host.Init, e.g. GPIO17, or a
// header alias such as P1_11). -sim uses periph's gpiotest pins, so
// everything works without hardware; the replies show the pin states.
// The simulator knows the names a Raspberry Pi knows for the GPIOs of its
// 40-pin header (GPIO0…GPIO27, their numbers, P1_3…P1_40) and refuses
// others, as the Pi would.
//
// Exit status: 0 after a graceful stop, 2 for a usage or configuration
// error (ErrConfig of examples/internal/serve), 1 for anything else.
//
// SIGINT or SIGTERM stops the hub gracefully: it stops accepting, waits for
// the commands in progress, and halts the device (every output off).
// Access logs (log/slog, to stderr) show senders' public keys, commands and
// refusal reasons, never keys or command arguments.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/nemiot/nemiot/device"
	"github.com/nemiot/nemiot/examples/hub/ui"
	"github.com/nemiot/nemiot/examples/internal/lightfan"
	"github.com/nemiot/nemiot/examples/internal/serve"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stderr, nil))
}

// run is the program; it returns the exit status. ready, if set, is called
// with the listening address and the device once the hub serves.
func run(ctx context.Context, args []string, stderr io.Writer, ready func(net.Addr, *device.Device)) int {
	fs := flag.NewFlagSet("hub", flag.ContinueOnError)
	fs.SetOutput(stderr)
	common := serve.AddFlags(fs)
	pins := fs.String("pins", lightfan.DefaultPinMap, "logical name = periph pin name, `light=PIN,fan=PIN`")
	uiPage := fs.Bool("ui", false, "also serve the owner's app as a web page at / (open the hub's address in a browser)")
	sim := fs.Bool("sim", false, "simulated pins (gpiotest) instead of hardware, named as on a Raspberry Pi's 40-pin header\n(GPIO0…GPIO27, their numbers, P1_3…P1_40); other names are refused, as the Pi would")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "hub: "+format+"\n", a...)
		return 2
	}
	if fs.NArg() > 0 {
		return usage("unexpected argument %q", fs.Arg(0))
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	cfg, err := common.Config(log)
	if err != nil {
		return usage("%v", err)
	}

	if *uiPage {
		if cfg.Listen == "" {
			return usage("-ui needs HTTP: give -listen an address")
		}
		cfg.Mount = ui.Handler
	}

	var dev *device.Device
	if *sim {
		dev, err = lightfan.OpenLightFan(*pins, simPins(), &device.Opts{Name: "sim"})
	} else {
		if err := serve.InitHost(log); err != nil {
			fmt.Fprintf(stderr, "hub: %v\n", err)
			return 1
		}
		dev, err = lightfan.OpenLightFan(*pins, nil, &device.Opts{Name: "hub"})
	}
	if err != nil {
		fmt.Fprintf(stderr, "hub: -pins: %v\n", err)
		if *sim {
			fmt.Fprintln(stderr, "hub: "+simHelp)
		} else {
			fmt.Fprintln(stderr, "hub: no such pins here? run with -sim to try without hardware")
		}
		return 1
	}

	if ready != nil {
		cfg.Ready = func(a net.Addr) { ready(a, dev) }
	}
	if *uiPage {
		next := cfg.Ready
		cfg.Ready = func(a net.Addr) {
			log.Info("owner page: open it in a browser", "url", "http://"+a.String()+"/")
			if next != nil {
				next(a)
			}
		}
	}
	if err := serve.Run(ctx, cfg, dev); err != nil {
		fmt.Fprintf(stderr, "hub: %v\n", err)
		dev.Halt()
		if errors.Is(err, serve.ErrConfig) {
			return 2
		}
		return 1
	}
	return 0
}
