// Command fleet hosts many simulated devices in one process, one NEM key
// each, all dialing out to one MQTT broker (package mqtt's Fleet): a custom
// hub for a group of devices, or a load rig for a broker.
//
// Usage:
//
//	go run ./examples/fleet -mqtt tcp://127.0.0.1:1883 -owners HEX -n 1000 -keys ./fleet-keys > devices.txt
//
// Flags:
//
//	-mqtt URL      the broker (tcp://HOST:1883, ssl://HOST:8883); -mqtt-ca
//	               FILE trusts that CA for TLS; a username and password come
//	               only from $NEMIOT_MQTT_USERNAME and $NEMIOT_MQTT_PASSWORD.
//	-keys DIR      a directory of device key files (dev-0001.key, …, the
//	               key file format of examples/keygen); missing ones up to
//	               -n are made (mode 0600), so the fleet keeps its keys.
//	-n N           how many devices (default 100).
//	-owners HEX,…  the owners' public keys, the same for every device.
//	-network NAME  mainnet, testnet (default) or mijin, for addresses.
//
// Each device is a simulated light and fan (the commands light, fan and
// status of examples/hub -sim) with its own key, Opener (replay cache)
// and broker connection (its own session, presence and last will); the
// fleet shares one pool of workers. The devices' public keys go to stdout,
// one per line, for the owners' apps (examples/app -mqtt URL -device HEX).
// Once every device is online the fleet logs its resident memory.
//
// SIGINT or SIGTERM shuts every device down cleanly (offline presence,
// commands in progress answered, halted). Exit status: 0 after a clean
// stop, 2 for a usage error, 1 otherwise.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/examples/internal/lightfan"
	"github.com/nemiot/nemiot/examples/internal/serve"
	"github.com/nemiot/nemiot/mqtt"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/keyfile"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil))
}

// run is the program; online, if set, is called with the devices' keys
// once every device is online.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, online func([]nem.PublicKey)) int {
	fs := flag.NewFlagSet("fleet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	broker := fs.String("mqtt", "", "the MQTT broker `URL` (tcp://HOST:1883, ssl://HOST:8883)")
	ca := fs.String("mqtt-ca", "", "`FILE` of PEM CA certificates to trust for the broker's TLS")
	dir := fs.String("keys", "", "`DIR` of device key files; missing ones up to -n are made")
	n := fs.Int("n", 100, "how many devices")
	ownersFlag := fs.String("owners", "", "the owners' public keys `HEX,HEX,…`")
	network := fs.String("network", "testnet", "NEM network `NAME`: mainnet, testnet or mijin")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "fleet: "+format+"\n", a...)
		return 2
	}
	switch {
	case fs.NArg() > 0:
		return usage("unexpected argument %q", fs.Arg(0))
	case *broker == "":
		return usage("-mqtt URL is required")
	case *dir == "":
		return usage("-keys DIR is required")
	case *n < 1:
		return usage("-n must be at least 1")
	}
	owners, err := serve.ParseKeys(*ownersFlag)
	if err != nil {
		return usage("-owners: %v", err)
	}
	if len(owners) == 0 {
		return usage("-owners HEX,… is required: whom do the devices obey?")
	}
	net, err := nem.ParseNetwork(*network)
	if err != nil {
		return usage("-network: %v", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := mqtt.Config{Broker: *broker, Credentials: mqtt.CredentialsFromEnv(), Logger: log}
	if *ca != "" {
		if cfg.TLS, err = mqtt.LoadTLS(*ca, "", ""); err != nil {
			return usage("-mqtt-ca: %v", err)
		}
	}
	keys, err := loadKeys(*dir, *n)
	if err != nil {
		fmt.Fprintf(stderr, "fleet: %v\n", err)
		return 1
	}
	ownerSource, err := command.NewStaticOwners(owners...)
	if err != nil {
		return usage("-owners: %v", err)
	}

	fleet := mqtt.NewFleet(nil)
	devs := make([]*mqtt.Device, len(keys))
	pubs := make([]nem.PublicKey, len(keys))
	for i, k := range keys {
		d, err := fleet.Start(cfg, &command.Opener{Device: k, Owners: ownerSource}, lightfan.NewSim(), &mqtt.DeviceOptions{Network: net})
		if err != nil {
			fleet.Shutdown(context.Background())
			if errors.Is(err, mqtt.ErrConfig) {
				return usage("%v", err)
			}
			fmt.Fprintf(stderr, "fleet: %v\n", err)
			return 1
		}
		devs[i], pubs[i] = d, k.PublicKey()
		fmt.Fprintln(stdout, pubs[i])
	}
	keys = nil // the Openers hold them
	start := time.Now()
	for _, d := range devs {
		if d.Ready(ctx) != nil {
			break
		}
	}
	if ctx.Err() == nil {
		// What the fleet keeps, not what starting a thousand connections
		// at once took for a moment: let the runtime return that first.
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Fprintf(stderr, "fleet: %d devices online in %v; resident memory %s (heap %.1f MB, goroutine stacks %.1f MB for %d goroutines)\n",
			len(devs), time.Since(start).Round(time.Millisecond), rss(), float64(ms.HeapInuse)/(1<<20), float64(ms.StackInuse)/(1<<20), runtime.NumGoroutine())
		if online != nil {
			online(pubs)
		}
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := fleet.Shutdown(sctx); err != nil {
		fmt.Fprintf(stderr, "fleet: %v\n", err)
		return 1
	}
	return 0
}

// loadKeys reads dev-NNNN.key from dir for the first n devices, making the
// missing ones (and dir).
func loadKeys(dir string, n int) ([]*nem.PrivateKey, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	keys := make([]*nem.PrivateKey, n)
	for i := range keys {
		path := filepath.Join(dir, fmt.Sprintf("dev-%04d.key", i+1))
		k, err := keyfile.Read(path)
		if errors.Is(err, os.ErrNotExist) {
			if k, err = nem.GeneratePrivateKey(nil); err == nil {
				err = keyfile.Write(path, k, "a simulated device of examples/fleet")
			}
		}
		if err != nil {
			return nil, err
		}
		keys[i] = k
	}
	return keys, nil
}

// rss is the process's resident memory (Linux), or "unknown".
func rss() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err == nil {
				return fmt.Sprintf("%.1f MB", float64(kb)/1024)
			}
		}
	}
	return "unknown"
}
