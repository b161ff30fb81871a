// Command hubload measures a hub under load: many owners send commands at
// once, each over its own keep-alive connection with its own key and a
// command.Sender, and it prints commands/s, latency percentiles, CPU time
// per command, peak memory and failed commands by kind. BENCHMARKS.md at
// the repository root lists what it measured and with which flags.
//
// Usage:
//
//	go run ./examples/hubload                        # a hub in this process, 16 owners, 10 s
//	go run ./examples/hubload -child -duration 40s   # the hub in a process of its own
//	go run ./examples/hubload -hub http://127.0.0.1:8080 -apps 4
//
// By default the hub runs in this process, on 127.0.0.1, in front of a
// device with one simulated light (a switch on a gpiotest pin), with a
// replay cache for 10,000 commands/s; every command switches the light.
// With -child it runs in a child process (this program with -serve), so
// that the hub's CPU time and peak resident memory are reported apart from
// the load's. With -hub the load goes to a hub that is already running:
// start one whose owners are this program's, for example
//
//	go run ./examples/hub -key device.key -sim -owners $(go run ./examples/hubload -print-owners -apps 16)
//
// (its replay cache holds 100,000 commands by default: above about 3,300
// commands/s for 30 s it refuses with 401 until entries expire). The
// owners' keys are derived from public labels, so anyone can compute them:
// never make them owners of a real device.
//
// Flags:
//
//	-apps N        owners sending at once, one connection each (default 16)
//	-duration D    how long to send (default 10s, at most 1h); every run
//	               is bounded by it
//	-n N           stop after N commands, if that comes first (default 0:
//	               until -duration)
//	-client NAME   raw: one write per request and a minimal HTTP/1.1
//	               reader, as wrk does, so that the client takes little of
//	               the CPU it shares with the hub (default); nethttp: a
//	               net/http Client, as a Go app would send
//	-seal MODE     inline: each owner seals its next command in the timed
//	               loop (default); ahead: all -n commands are sealed before
//	               the clock starts (needs -n; the hub refuses envelopes
//	               older than its window, 30 s)
//	-verify N      open every N-th reply with the owner's Sender, checking
//	               the device's signature and ok (default 64; 1: all; 0:
//	               none, a 200 counts as done)
//	-timeout D     bound on each command (default 10s)
//	-hub URL       send to this hub instead of starting one; its device
//	               key is read from GET /v1/device
//	-remote        allow a -hub or -listen address that is not loopback
//	-child         start the hub in a child process
//	-replay N      replay cache of the hub this program starts (default
//	               400000: 30 s of 10,000 commands/s and a third more)
//	-json          print the report as one JSON object
//	-cpuprofile F  write a CPU profile of the hub's process to F
//	-print-owners  print the owners' public keys for -apps, comma-separated
//	               (for examples/hub -owners), and exit
//	-serve         only serve the load hub on -listen, print its URL and
//	               wait for an interrupt (-child runs this)
//	-listen ADDR   with -serve: where (default 127.0.0.1:0, a free port)
//	-stdin         with -serve: also stop when standard input closes (so a
//	               -child hub never outlives this program)
//
// CPU per command is the CPU time (user and system, from getrusage(2) and,
// for the child, wait4(2)) divided by the commands sent; in this process it
// is hub and clients together, or the clients alone with -child or -hub.
// The machine's other work is not subtracted: on a shared machine, read
// CPU per command rather than commands/s.
//
// Exit status: 0 when every command sent was done, 1 when any failed (the
// report is printed all the same) or the run could not start, 2 on bad
// usage.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nemiot/nemiot/internal/hubload"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Bounds on flags.
const (
	maxApps      = 4096
	maxDuration  = time.Hour
	maxPresealed = 1_000_000 // envelopes of -seal ahead, about 400 bytes each
)

// options are the parsed flags.
type options struct {
	apps        int
	duration    time.Duration
	n           int
	client      string
	seal        string
	verify      int
	timeout     time.Duration
	hub         string
	remote      bool
	child       bool
	replay      int
	json        bool
	cpuprofile  string
	printOwners bool
	serve       bool
	listen      string
	stdin       bool
}

// errUsage marks usage errors (exit status 2).
var errUsage = errors.New("usage")

func usageErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, a...))
}

func parse(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("hubload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	fs.IntVar(&o.apps, "apps", 16, "owners sending at once, one connection each")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long to send (at most 1h)")
	fs.IntVar(&o.n, "n", 0, "stop after `N` commands (0: when -duration ends)")
	fs.StringVar(&o.client, "client", "raw", "`raw` (one write per request, minimal HTTP/1.1 reader) or nethttp")
	fs.StringVar(&o.seal, "seal", "inline", "`inline` (in the timed loop) or ahead (before the clock starts; needs -n)")
	fs.IntVar(&o.verify, "verify", 64, "open every `N`-th reply (1: all, 0: none)")
	fs.DurationVar(&o.timeout, "timeout", hubload.DefaultTimeout, "bound on each command")
	fs.StringVar(&o.hub, "hub", "", "send to the hub at `URL` instead of starting one")
	fs.BoolVar(&o.remote, "remote", false, "allow a -hub or -listen address that is not loopback")
	fs.BoolVar(&o.child, "child", false, "start the hub in a child process, to measure its CPU and memory apart")
	fs.IntVar(&o.replay, "replay", hubload.ReplayCapacity, "replay cache capacity of the hub this program starts")
	fs.BoolVar(&o.json, "json", false, "print the report as JSON")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the hub's process to `FILE`")
	fs.BoolVar(&o.printOwners, "print-owners", false, "print the owners' public keys, comma-separated, and exit")
	fs.BoolVar(&o.serve, "serve", false, "only serve the load hub on -listen and print its URL")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:0", "with -serve: the `address` to listen on")
	fs.BoolVar(&o.stdin, "stdin", false, "with -serve: also stop when standard input closes")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageErr("%v", err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case fs.NArg() > 0:
		return nil, usageErr("unexpected argument %q", fs.Arg(0))
	case o.apps < 1 || o.apps > maxApps:
		return nil, usageErr("-apps %d: want 1 to %d", o.apps, maxApps)
	case o.duration <= 0 || o.duration > maxDuration:
		return nil, usageErr("-duration %v: want more than 0 and at most %v", o.duration, maxDuration)
	case o.n < 0:
		return nil, usageErr("-n %d: want 0 or more", o.n)
	case o.client != "raw" && o.client != "nethttp":
		return nil, usageErr("-client %q: want raw or nethttp", o.client)
	case o.seal != "inline" && o.seal != "ahead":
		return nil, usageErr("-seal %q: want inline or ahead", o.seal)
	case o.seal == "ahead" && (o.n == 0 || o.n > maxPresealed):
		return nil, usageErr("-seal ahead needs -n from 1 to %d", maxPresealed)
	case o.verify < 0:
		return nil, usageErr("-verify %d: want 0 or more", o.verify)
	case o.timeout <= 0:
		return nil, usageErr("-timeout %v: want more than 0", o.timeout)
	case o.replay < 1:
		return nil, usageErr("-replay %d: want 1 or more", o.replay)
	case o.hub != "" && (o.child || set["replay"] || o.serve):
		return nil, usageErr("-hub sends to a running hub: -child, -replay and -serve are for the hub this program starts")
	case o.serve && o.child:
		return nil, usageErr("-serve and -child do not go together")
	case !o.serve && (set["listen"] || o.stdin):
		return nil, usageErr("-listen and -stdin go with -serve")
	}
	if o.hub != "" {
		u, err := url.Parse(o.hub)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, usageErr("-hub %q: want http://HOST:PORT (or https://)", o.hub)
		}
		if o.client == "raw" && u.Scheme != "http" {
			return nil, usageErr("-hub %q: -client raw speaks http only; use -client nethttp", o.hub)
		}
		if !o.remote && !loopback(u.Hostname()) {
			return nil, usageErr("-hub %q is not on this machine: give -remote to load it anyway", o.hub)
		}
	}
	if o.serve {
		host, _, err := net.SplitHostPort(o.listen)
		if err != nil {
			return nil, usageErr("-listen %q: %v", o.listen, err)
		}
		if !o.remote && !loopback(host) {
			return nil, usageErr("-listen %q is not loopback: give -remote to listen there", o.listen)
		}
	}
	return o, nil
}

// loopback reports whether host names this machine's loopback interface.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// run is the program; it returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "hubload: %v\n", strings.TrimPrefix(err.Error(), "usage: "))
		}
		return 2
	}
	if o.printOwners {
		keys := make([]string, o.apps)
		for i, k := range hubload.OwnerKeys(o.apps) {
			keys[i] = k.PublicKey().String()
		}
		fmt.Fprintln(stdout, strings.Join(keys, ","))
		return 0
	}
	if o.serve {
		if err := serve(ctx, o, stdin, stdout, stderr); err != nil {
			fmt.Fprintf(stderr, "hubload: %v\n", err)
			return 1
		}
		return 0
	}
	rep, err := load(ctx, o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "hubload: %v\n", err)
		return 1
	}
	if o.json {
		b, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
	} else {
		rep.print(stdout)
	}
	if rep.Done == 0 || rep.Done < rep.Sent {
		return 1
	}
	return 0
}

// serve serves the load hub until ctx ends (or, with -stdin, stdin
// closes).
func serve(ctx context.Context, o *options, stdin io.Reader, stdout, stderr io.Writer) error {
	srv, err := hubload.NewServer(o.apps, o.replay)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	stop, err := startProfile(o.cpuprofile)
	if err != nil {
		l.Close()
		return err
	}
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	fmt.Fprintf(stdout, "http://%s\n", l.Addr())
	if !o.stdin { // a -child hub's parent says what it does
		fmt.Fprintf(stderr, "hubload: serving the load hub (device %s, %d owners: -print-owners) until interrupted\n",
			hubload.DeviceKey().PublicKey(), o.apps)
	}
	eof := make(chan struct{})
	if o.stdin {
		go func() {
			io.Copy(io.Discard, stdin)
			close(eof)
		}()
	}
	select {
	case <-ctx.Done():
	case <-eof:
	case err := <-served:
		return err
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// startProfile starts a CPU profile into path, if set; stop ends it.
func startProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// childEnv is added to the environment of a -child hub (tests set it).
var childEnv []string

// startChild starts this program with -serve and returns the hub's URL;
// finish stops it and returns what it used.
func startChild(ctx context.Context, o *options, stderr io.Writer) (hubURL string, finish func() (hubload.Usage, bool, error), err error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	args := []string{"-serve", "-stdin", "-apps", strconv.Itoa(o.apps), "-replay", strconv.Itoa(o.replay)}
	if o.cpuprofile != "" {
		args = append(args, "-cpuprofile", o.cpuprofile)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), childEnv...)
	cmd.Stderr = stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- strings.TrimSpace(s)
		io.Copy(io.Discard, out)
	}()
	fail := func(err error) (string, func() (hubload.Usage, bool, error), error) {
		cmd.Process.Kill()
		cmd.Wait()
		return "", nil, err
	}
	select {
	case hubURL = <-line:
	case <-ctx.Done():
		return fail(ctx.Err())
	case <-time.After(30 * time.Second):
		return fail(errors.New("the child hub did not start within 30 s"))
	}
	if !strings.HasPrefix(hubURL, "http://") {
		return fail(errors.New("the child hub did not start"))
	}
	finish = func() (hubload.Usage, bool, error) {
		in.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		select {
		case err = <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
			err = errors.New("the child hub did not stop within 30 s")
		}
		u, ok := hubload.ProcessUsage(cmd.ProcessState)
		return u, ok, err
	}
	return hubURL, finish, nil
}

// load runs the load that o describes and reports it.
func load(ctx context.Context, o *options, stderr io.Writer) (*report, error) {
	rep := &report{
		Owners: o.apps, Client: o.client, Seal: o.seal, VerifyEvery: o.verify,
		Machine: fmt.Sprintf("%s/%s, %d CPUs, GOMAXPROCS %d", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0)),
	}
	hubURL := o.hub
	var finish func() (hubload.Usage, bool, error)
	switch {
	case o.hub != "":
		rep.Hub, rep.CPUOf = "at "+o.hub, "clients"
	case o.child:
		var err error
		if hubURL, finish, err = startChild(ctx, o, stderr); err != nil {
			return nil, fmt.Errorf("starting the child hub: %w", err)
		}
		rep.Hub, rep.CPUOf = fmt.Sprintf("child process, %s (replay capacity %d)", hubURL, o.replay), "clients"
	default:
		srv, err := hubload.NewServer(o.apps, o.replay)
		if err != nil {
			return nil, err
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		stop, err := startProfile(o.cpuprofile)
		if err != nil {
			l.Close()
			return nil, err
		}
		defer stop()
		go srv.Serve(l)
		defer srv.Shutdown(context.Background())
		hubURL = "http://" + l.Addr().String()
		rep.Hub, rep.CPUOf = fmt.Sprintf("this process, %s (replay capacity %d)", hubURL, o.replay), "hub and clients"
	}
	if finish != nil {
		// Stop the child however the run ends.
		defer func() {
			if finish != nil {
				finish()
			}
		}()
	}

	dev := hubload.DeviceKey().PublicKey()
	if o.hub != "" {
		fctx, cancel := context.WithTimeout(ctx, o.timeout)
		var err error
		dev, err = hubload.FetchDevice(fctx, o.hub)
		cancel()
		if err != nil {
			return nil, err
		}
	}
	r, err := hubload.Run(ctx, hubload.Config{
		URL:         hubURL,
		Device:      dev,
		Owners:      hubload.OwnerKeys(o.apps),
		Raw:         o.client == "raw",
		VerifyEvery: o.verify,
		Count:       o.n,
		Duration:    o.duration,
		Preseal:     o.seal == "ahead",
		Timeout:     o.timeout,
	})
	if err != nil {
		return nil, err
	}
	rep.fill(r)
	if u, ok := hubload.SelfUsage(); ok {
		rep.PeakRSSMiB = ptr(mib(u.PeakRSS))
	}
	if finish != nil {
		u, ok, err := finish()
		finish = nil
		if err != nil {
			fmt.Fprintf(stderr, "hubload: child hub: %v\n", err)
		}
		if r.Sent > 0 && u.CPU > 0 {
			rep.HubCPUMicros = ptr(float64(u.CPU.Microseconds()) / float64(r.Sent))
		}
		if ok {
			rep.HubPeakRSSMiB = ptr(mib(u.PeakRSS))
		}
	}
	return rep, nil
}

// report is what hubload prints.
type report struct {
	Hub           string         `json:"hub"`
	Machine       string         `json:"machine"`
	Owners        int            `json:"owners"`
	Client        string         `json:"client"`
	Seal          string         `json:"seal"`
	VerifyEvery   int            `json:"verifyEvery"`
	Sent          int            `json:"sent"`
	Done          int            `json:"done"`
	Seconds       float64        `json:"seconds"`
	Rate          float64        `json:"commandsPerSecond"`
	LatencyMs     latencies      `json:"latencyMs"`
	CPUMicros     *float64       `json:"cpuMicrosPerCommand,omitempty"`
	CPUOf         string         `json:"cpuOf"`
	PeakRSSMiB    *float64       `json:"peakRSSMiB,omitempty"`
	HubCPUMicros  *float64       `json:"hubCpuMicrosPerCommand,omitempty"`
	HubPeakRSSMiB *float64       `json:"hubPeakRSSMiB,omitempty"`
	Errors        map[string]int `json:"errors"`
}

// latencies are the percentiles of command latency, in milliseconds.
type latencies struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func ptr[T any](v T) *T { return &v }

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (rep *report) fill(r *hubload.Result) {
	rep.Sent, rep.Done = r.Sent, r.Done
	rep.Seconds, rep.Rate = r.Elapsed.Seconds(), r.Rate()
	rep.LatencyMs = latencies{P50: ms(r.Latency(0.50)), P90: ms(r.Latency(0.90)), P99: ms(r.Latency(0.99)), Max: ms(r.Latency(1))}
	if r.CPUKnown && r.Sent > 0 {
		rep.CPUMicros = ptr(float64(r.CPU.Microseconds()) / float64(r.Sent))
	}
	rep.Errors = r.Errors
}

func (rep *report) print(w io.Writer) {
	verify := "no reply verified"
	switch rep.VerifyEvery {
	case 0:
	case 1:
		verify = "every reply verified"
	default:
		verify = fmt.Sprintf("1 reply in %d verified", rep.VerifyEvery)
	}
	fmt.Fprintf(w, "hub         %s\n", rep.Hub)
	fmt.Fprintf(w, "machine     %s\n", rep.Machine)
	fmt.Fprintf(w, "load        %d owners, client %s, sealing %s, %s\n", rep.Owners, rep.Client, rep.Seal, verify)
	fmt.Fprintf(w, "commands    %d done of %d sent in %.3fs\n", rep.Done, rep.Sent, rep.Seconds)
	fmt.Fprintf(w, "rate        %.0f commands/s\n", rep.Rate)
	l := rep.LatencyMs
	fmt.Fprintf(w, "latency     p50 %.3fms  p90 %.3fms  p99 %.3fms  max %.3fms\n", l.P50, l.P90, l.P99, l.Max)
	if rep.CPUMicros != nil {
		fmt.Fprintf(w, "cpu         %.1f µs/command (this process: %s)\n", *rep.CPUMicros, rep.CPUOf)
	}
	if rep.PeakRSSMiB != nil {
		fmt.Fprintf(w, "memory      %.1f MiB peak resident (this process)\n", *rep.PeakRSSMiB)
	}
	if rep.HubCPUMicros != nil {
		fmt.Fprintf(w, "hub cpu     %.1f µs/command (the hub's process, start to exit)\n", *rep.HubCPUMicros)
	}
	if rep.HubPeakRSSMiB != nil {
		fmt.Fprintf(w, "hub memory  %.1f MiB peak resident\n", *rep.HubPeakRSSMiB)
	}
	if len(rep.Errors) == 0 {
		fmt.Fprintf(w, "errors      none\n")
		return
	}
	kinds := make([]string, 0, len(rep.Errors))
	for k, v := range rep.Errors {
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, v))
	}
	slices.Sort(kinds)
	fmt.Fprintf(w, "errors      %s\n", strings.Join(kinds, " "))
}
