// Package serve runs a device's hub the way examples/hub and
// examples/raspberrypi do: it chooses who the device obeys (fixed owner
// keys, or the cosignatories a quorum of NIS nodes reports for the device
// account), serves the hub's wire API on an address, and on shutdown
// waits for the commands in progress and halts the device.
//
// [Flags.Config] reads the shared flags: the device key file, whose
// recorded network wins over a conflicting -network (refused), the node
// list and the fixed owners. A configuration that cannot work is an error
// wrapping [ErrConfig]; the programs exit 2 for it, as for a usage error.
package serve

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"periph.io/x/host/v3"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/examples/internal/metrics"
	"github.com/nemiot/nemiot/hub"
	"github.com/nemiot/nemiot/mqtt"
	"github.com/nemiot/nemiot/multisig"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/keyfile"
)

// KeyEnv holds the device key when -key is not given.
const KeyEnv = "NEMIOT_DEVICE_KEY"

// Flags are the command-line flags every hub program shares: -key,
// -network, -listen, -nodes and -owners (DESIGN §8), and -mqtt,
// -mqtt-ca, -mqtt-cert and -mqtt-key (DESIGN §9).
type Flags struct {
	fs                                  *flag.FlagSet // tells whether -network was given
	key, network, listen, nodes, owners *string
	mqtt, mqttCA, mqttCert, mqttKey     *string
	clock, replay, metrics              *string
	insecureKeyPerms                    *bool
}

// AddFlags defines the shared flags on fs.
func AddFlags(fs *flag.FlagSet) *Flags {
	return &Flags{
		fs:      fs,
		key:     fs.String("key", "", "`FILE` holding the device private key (hex); else $"+KeyEnv),
		network: fs.String("network", "", "NEM network `NAME`: mainnet, testnet or mijin (default: the key file's network, else testnet)"),
		listen:  fs.String("listen", "127.0.0.1:8080", "`address` to serve the hub on"),
		nodes:   fs.String("nodes", "", "NIS nodes for the owner quorum, `URL,URL,…`, each http(s)://HOST:PORT (default: the embedded list of the network)"),
		owners:  fs.String("owners", "", "fixed owner public keys `HEX,HEX,…` instead of the quorum"),
		mqtt: fs.String("mqtt", "", "also take commands from the MQTT broker at `URL` (tcp://HOST:1883 or ssl://HOST:8883); -listen \"\" then serves no HTTP at all;\n"+
			"credentials come only from $"+mqtt.EnvUsername+" and $"+mqtt.EnvPassword),
		mqttCA:   fs.String("mqtt-ca", "", "`FILE` of PEM CA certificates to trust for the broker's TLS (default: the system's)"),
		mqttCert: fs.String("mqtt-cert", "", "client certificate `FILE` (PEM) for the broker's TLS, with -mqtt-key"),
		mqttKey:  fs.String("mqtt-key", "", "`FILE` holding the key of -mqtt-cert (PEM)"),
		clock: fs.String("clock", ClockSystem, "`MODE` of the clock commands are dated by: system (this machine's) or network (the time a quorum of NIS nodes agrees on,\n"+
			"for a device without a real-time clock; commands are refused until a quorum has told the time)"),
		replay: fs.String("replay", "", "`FILE` keeping the replay cache across restarts (command.FileStore; kept on storage that survives a reboot);\n"+
			"without it, commands dated before this process started are refused"),
		metrics:          fs.String("metrics", "", "also serve Prometheus metrics at GET /metrics on `address` (e.g. 127.0.0.1:9100; default: off; keep it on loopback or a trusted network)"),
		insecureKeyPerms: fs.Bool("insecure-key-perms", false, "run even if the key file is readable or writable by group or others (refused by default)"),
	}
}

// DefaultClock makes mode (ClockSystem or ClockNetwork) the default of
// -clock; call it before parsing.
func (f *Flags) DefaultClock(mode string) {
	*f.clock = mode
	f.fs.Lookup("clock").DefValue = mode
}

// Config checks the parsed flags and loads the key. Its errors are usage
// errors; they never contain key material. A key file that group or
// others may read or write (keyfile.ErrExposed) is refused, unless
// -insecure-key-perms, which logs it as a warning instead. It logs the key
// file's other warnings and which network it uses and why.
//
// The network is the one the key file records ("# network: NAME"); a
// -network that differs is refused, naming both. A key file that records
// none takes -network, by default testnet.
//
// -nodes must be http or https URLs with a host; -owners must not repeat
// a key or name the device's own key. These errors wrap [ErrConfig].
func (f *Flags) Config(log *slog.Logger) (*Config, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	kf, err := keyfile.LoadFile(*f.key, KeyEnv)
	if err != nil {
		return nil, err
	}
	src := *f.key
	if src == "" {
		src = "$" + KeyEnv
	}
	for _, w := range kf.Warnings {
		if errors.Is(w, keyfile.ErrExposed) && !*f.insecureKeyPerms {
			return nil, configErr("%w (or -insecure-key-perms to run anyway)", w)
		}
		log.Warn(w.Error())
	}
	n, from, err := f.chooseNetwork(kf.Network, src)
	if err != nil {
		return nil, err
	}
	log.Info("network", "network", n.String(), "from", from)
	owners, err := ParseKeys(*f.owners)
	if err != nil {
		return nil, fmt.Errorf("-owners: %w", err)
	}
	if dev := kf.Key.PublicKey(); slices.Contains(owners, dev) {
		return nil, configErr("-owners: public key %s is the device's own key (-key); an owner is the key of whoever commands the device (examples/keygen -owner makes one)", dev)
	}
	nodes := ParseList(*f.nodes)
	if err := checkNodes(nodes); err != nil {
		return nil, fmt.Errorf("-nodes: %w", err)
	}
	if *f.clock != ClockSystem && *f.clock != ClockNetwork {
		return nil, configErr("-clock %q: want system or network", *f.clock)
	}
	if len(owners) > 0 && len(nodes) > 0 && *f.clock != ClockNetwork {
		return nil, configErr("-owners and -nodes exclude each other (unless -clock network, which asks -nodes the time)")
	}
	if *f.mqtt == "" && *f.listen == "" {
		return nil, configErr("-listen \"\" serves no HTTP: give -mqtt URL, or an address to -listen")
	}
	if *f.mqtt == "" && (*f.mqttCA != "" || *f.mqttCert != "" || *f.mqttKey != "") {
		return nil, configErr("-mqtt-ca, -mqtt-cert and -mqtt-key need -mqtt")
	}
	cfg := &Config{Key: kf.Key, Network: n, Listen: *f.listen, Nodes: nodes, Owners: owners, Logger: log, Clock: *f.clock, Replay: *f.replay, Metrics: *f.metrics}
	if *f.mqtt != "" {
		m := &mqtt.Config{Broker: *f.mqtt, Credentials: mqtt.CredentialsFromEnv(), Logger: log}
		if *f.mqttCA != "" || *f.mqttCert != "" || *f.mqttKey != "" {
			if m.TLS, err = mqtt.LoadTLS(*f.mqttCA, *f.mqttCert, *f.mqttKey); err != nil {
				return nil, configErr("-mqtt-ca/-mqtt-cert/-mqtt-key: %w", err)
			}
		}
		cfg.MQTT = m
	}
	return cfg, nil
}

// chooseNetwork returns the network of the hub and where it came from:
// the key file's (named src), which an explicit -network must equal, or
// -network, by default testnet.
func (f *Flags) chooseNetwork(file nem.Network, src string) (n nem.Network, from string, err error) {
	given := false
	f.fs.Visit(func(fl *flag.Flag) { given = given || fl.Name == "network" })
	if given {
		if n, err = nem.ParseNetwork(*f.network); err != nil {
			return 0, "", configErr("-network: %w", err)
		}
	}
	switch {
	case file.Valid() && given && n != file:
		return 0, "", configErr("-network %s conflicts with %s's network %s (\"# network: %s\"); drop -network or use that network's key", n, src, file, file)
	case file.Valid() && given:
		return n, "-network, as the key file says", nil
	case file.Valid():
		return file, "the key file " + src, nil
	case given:
		return n, "-network (the key file names no network)", nil
	}
	return nem.Testnet, "default (neither the key file nor -network names one)", nil
}

// checkNodes refuses a node that is not an http or https URL with a host,
// such as "127.0.0.1:7890": the owner quorum could never ask it.
func checkNodes(nodes []string) error {
	for _, n := range nodes {
		u, err := url.Parse(n)
		if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != "" {
			continue
		}
		if !strings.Contains(n, "://") {
			hint := "http://" + n
			if _, _, err := net.SplitHostPort(n); err != nil {
				hint += ":7890"
			}
			return configErr("node %q is not an http or https URL with a host; write %s (NIS serves http on 7890, https on 7891)", n, hint)
		}
		return configErr("node %q is not an http or https URL with a host", n)
	}
	return nil
}

// InitHost initializes periph's host drivers (host.Init) and logs what
// loaded and what failed; a failed driver that the device does not use is
// not an error.
func InitHost(log *slog.Logger) error {
	state, err := host.Init()
	if err != nil {
		return fmt.Errorf("periph host.Init: %w", err)
	}
	for _, d := range state.Loaded {
		log.Debug("periph driver loaded", "driver", d.String())
	}
	for _, f := range state.Failed {
		log.Warn("periph driver failed", "driver", f.D.String(), "err", f.Err)
	}
	return nil
}

// ShutdownTimeout bounds how long a shutdown waits for commands in
// progress before it closes their connections (and halts the device).
const ShutdownTimeout = 10 * time.Second

// Config is what a hub program is configured with.
type Config struct {
	Key     *nem.PrivateKey
	Network nem.Network
	Listen  string          // host:port; "" serves no HTTP (MQTT only)
	MQTT    *mqtt.Config    // the broker to take commands from too; nil: none
	Nodes   []string        // NIS nodes of the owner quorum; nil: the embedded list of Network
	Owners  []nem.PublicKey // fixed owners instead of the quorum, when not empty
	Logger  *slog.Logger    // nil discards
	// Ready, if set, is called with the listening address once the hub
	// accepts connections (with nil, once the device is online on the
	// broker, when it serves MQTT only).
	Ready func(addr net.Addr)
	// HTTP is the client of the NIS nodes; nil is the resolver's default.
	HTTP *http.Client
	// Mount, if set, wraps the hub's HTTP API handler: examples/hub -ui
	// serves the owner's page beside it (ui.Handler).
	Mount func(api http.Handler) http.Handler
	// Clock is ClockSystem ("" too) or ClockNetwork: what commands are
	// dated by (see -clock).
	Clock string
	// Replay is the file of the persistent replay cache; "" keeps it in
	// memory.
	Replay string
	// Metrics is the address to serve Prometheus metrics on (GET
	// /metrics, package examples/internal/metrics); "" serves none.
	Metrics string
	// metrics are the collectors Run fed while serving Metrics; nil: none.
	metrics *metrics.Metrics
	// SystemClock is this machine's clock; nil means time.Now (tests set
	// it off to play a device without a real-time clock).
	SystemClock func() time.Time
}

// handler is the hub's HTTP API for opener and d, wrapped by cfg.Mount.
func (cfg *Config) handler(opener *command.Opener, d hub.Handler) http.Handler {
	o := &hub.Options{Logger: logger(cfg), Network: cfg.Network}
	if m := cfg.metrics; m != nil {
		o.OnReply, o.OnBusy = m.OnReply, m.OnBusy
	}
	h := hub.New(opener, d, o)
	if m := cfg.metrics; m != nil {
		api := h
		m.InFlight(func() int { n, _ := hub.InFlight(api); return n })
	}
	if cfg.Mount != nil {
		h = cfg.Mount(h)
	}
	return h
}

// ParseKeys reads a comma-separated list of owner public keys (hex). It
// refuses a key that is not a curve point ([nem.ErrInvalidKey]) or that
// is of small order, the all-zero key included ([nem.ErrWeakKey]): anyone
// could forge commands under such a key, without a private key. A key
// listed twice (in any letter case) is refused too ([ErrConfig]): a list
// that repeats itself was likely meant to hold another key.
func ParseKeys(s string) ([]nem.PublicKey, error) {
	var keys []nem.PublicKey
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, err := nem.ParsePublicKey(item)
		if err != nil {
			return nil, fmt.Errorf("public key %q: %w", item, err)
		}
		if err := k.Validate(); errors.Is(err, nem.ErrWeakKey) {
			return nil, fmt.Errorf("public key %s is refused as an owner, anyone could forge its commands: %w", k, err)
		} else if err != nil {
			return nil, fmt.Errorf("public key %s: %w", k, err)
		}
		if slices.Contains(keys, k) {
			return nil, configErr("public key %s is listed twice", k)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// ParseList reads a comma-separated list, dropping empty items.
func ParseList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// ErrConfig reports a configuration that cannot work. The errors of this
// package that wrap it do not repeat its text: their message says what is
// wrong, once.
var ErrConfig = errors.New("invalid configuration")

// configError wraps ErrConfig (and whatever its cause wraps) with the
// message of its cause alone.
type configError struct{ err error }

func (e *configError) Error() string   { return e.err.Error() }
func (e *configError) Unwrap() []error { return []error{ErrConfig, e.err} }

func configErr(format string, a ...any) error {
	return &configError{fmt.Errorf(format, a...)}
}

// OwnerSource returns whom the device obeys. With cfg.Owners, exactly
// those keys (command.NewStaticOwners: a key that cannot be an owner is
// an error wrapping [ErrConfig], never dropped). Otherwise an owner cache
// over a quorum of cfg.Nodes, asked once now so the log shows the owners
// (a failure is logged, not fatal: the cache retries, and the device
// refuses every command until it knows its owners). The failure is one
// short warning line saying what to do; what each node said is logged at
// debug level. run refreshes the cache until its context ends.
func OwnerSource(ctx context.Context, cfg *Config) (src command.OwnerSource, run func(context.Context), err error) {
	log := logger(cfg)
	if len(cfg.Owners) > 0 {
		src, err := command.NewStaticOwners(cfg.Owners...)
		if err != nil {
			return nil, nil, configErr("fixed owners: %w", err)
		}
		for _, k := range cfg.Owners {
			log.Info("owner (fixed)", "publicKey", k.String(), "address", k.Address(cfg.Network).String())
		}
		return src, func(context.Context) {}, nil
	}
	nodes := cfg.Nodes
	if len(nodes) == 0 {
		nodes = multisig.DefaultNodes(cfg.Network)
	}
	if len(nodes) == 0 {
		return nil, nil, configErr("%s has no embedded node list; give -nodes or -owners", cfg.Network)
	}
	account := cfg.Key.Address(cfg.Network)
	cache := &multisig.OwnerCache{
		Resolver: &multisig.Resolver{Nodes: nodes, HTTP: cfg.HTTP},
		Account:  account,
	}
	if m := cfg.metrics; m != nil {
		cache.OnRefresh, cache.Resolver.OnNodeError = m.OnRefresh, m.OnNodeError
	}
	actx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	owners, err := cache.Owners(actx)
	switch {
	case errors.Is(err, multisig.ErrConfig):
		return nil, nil, configErr("owner quorum: %w", err)
	case errors.Is(err, multisig.ErrNotMultisig):
		log.Warn("the device account is not multisig: no one owns it yet, every command is refused; convert it to multisig with the owner as cosignatory (see examples/keygen)", "account", account.String())
	case err != nil:
		log.Warn("owners unknown: no quorum of NIS nodes answered; commands are refused until one does",
			"account", account.String(), "nodes", quorumSummary(err), "hint", noQuorumHint)
		log.Debug("owner quorum failed", "account", account.String(), "err", err)
	default:
		log.Info("owners (quorum)", "owners", owners.String())
	}
	return cache, cache.Run, nil
}

// Run serves the hub of handler d with the device key and owners of cfg
// until ctx ends, then shuts down: it waits up to ShutdownTimeout for the
// commands in progress and halts the device (if d is a hub.Halter).
func Run(ctx context.Context, cfg *Config, d hub.Handler) error {
	log := logger(cfg)
	if cfg.Metrics != "" {
		stop, err := cfg.serveMetrics()
		if err != nil {
			return err
		}
		defer stop()
	}
	owners, refresh, err := OwnerSource(ctx, cfg)
	if err != nil {
		return err
	}
	rctx, stopRefresh := context.WithCancel(ctx)
	defer stopRefresh()
	go refresh(rctx)

	opener := &command.Opener{Device: cfg.Key, Owners: owners}
	if m := cfg.metrics; m != nil {
		opener.OnOpen = m.OnOpen
		m.ReplayLen(opener.ReplayLen)
	}
	if cfg.Replay != "" {
		store, err := command.OpenFileStore(cfg.Replay)
		if err != nil {
			return configErr("-replay: %w", err)
		}
		defer store.Close()
		opener.Replay = store
	}
	runClock, err := cfg.setClock(opener)
	if err != nil {
		return err
	}
	go runClock(rctx)
	if cfg.MQTT != nil {
		return runMQTT(ctx, cfg, opener, d)
	}
	h := cfg.handler(opener, d)
	srv := hub.NewServer(h, cfg.Listen, &hub.ServerOptions{Logger: log})
	l, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	if ip, ok := l.Addr().(*net.TCPAddr); ok && !ip.IP.IsLoopback() {
		log.Warn("listening beyond this machine; envelopes are signed and encrypted, but consider TLS in front to hide who talks to the device", "addr", l.Addr().String())
	}
	pub := cfg.Key.PublicKey()
	log.Info("hub listening", "addr", l.Addr().String(), "device", pub.String(), "address", pub.Address(cfg.Network).String(), "network", cfg.Network.String())
	cfg.serving(ctx, l.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()

	select {
	case err := <-served: // the listener failed
		return errors.Join(err, halt(d))
	case <-ctx.Done():
	}
	log.Info("shutting down: waiting for commands in progress, then halting the device")
	cfg.stopping()
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err == nil {
		log.Info("device halted")
	}
	return err
}

func halt(d hub.Handler) error {
	if h, ok := d.(hub.Halter); ok {
		return h.Halt()
	}
	return nil
}

func logger(cfg *Config) *slog.Logger {
	if cfg.Logger != nil {
		return cfg.Logger
	}
	return slog.New(slog.DiscardHandler)
}
