// Package hubload drives a hub with many owners at once and measures it:
// commands per second, latency percentiles, CPU time per command and
// errors by kind. It is the load generator behind the command
// examples/hubload and hub's BenchmarkLoad, so that the figures in
// BENCHMARKS.md come from one place.
//
// Each owner is one client with its own key, its own keep-alive connection
// and a [command.Sender] for the device; every command switches a light on
// or off. [NewServer] makes a hub that takes those owners, and [Run] sends
// the load to any hub that does.
//
// The keys come from [DeviceKey] and [OwnerKey], derived from fixed public
// labels so that a hub started elsewhere (examples/hub -sim -owners …) can
// be told who its owners are. Anyone can derive them: never let a real
// device accept them.
package hubload

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/hub"
	"github.com/nemiot/nemiot/nem"
)

// ReplayCapacity is the replay cache of the hub that [NewServer] makes
// when given 0: the 30 s window (command.DefaultWindow) of a sustained
// 10,000 commands/s, and a third more, so that long runs at that rate are
// not refused with command.ErrReplayFull and show the memory of a hub
// that sustains it.
const ReplayCapacity = 400_000

// DefaultTimeout bounds each command of a [Run] whose Config.Timeout is 0.
const DefaultTimeout = 10 * time.Second

// Kinds of failed commands, the keys of [Result.Errors].
const (
	ErrSeal       = "seal"         // the owner could not seal the command
	ErrTransport  = "transport"    // no HTTP answer: refused connection, reset, timeout
	ErrBusy       = "busy-503"     // the hub was over its concurrency limit
	ErrRefused    = "refused-401"  // the hub refused the envelope (stale, replayed, not an owner …)
	ErrBadReply   = "reply-bad"    // a 200 whose reply envelope did not verify
	ErrReplyNotOK = "reply-not-ok" // a verified reply with ok false (the device refused the command)
)

// errStatus is the kind of a failed command answered with another status.
func errStatus(code int) string { return fmt.Sprintf("status-%d", code) }

// labelKey derives a key from a public label.
func labelKey(label string) *nem.PrivateKey {
	sum := sha256.Sum256([]byte("nemiot hubload key: " + label))
	k, err := nem.NewPrivateKey(sum[:])
	if err != nil {
		// NewPrivateKey takes any 32 bytes.
		panic("hubload: " + err.Error())
	}
	return k
}

// DeviceKey is the device key of the hub [NewServer] makes.
func DeviceKey() *nem.PrivateKey { return labelKey("device") }

// OwnerKey is the key of the i-th owner (from 0), which anyone can derive:
// for load tests only.
func OwnerKey(i int) *nem.PrivateKey { return labelKey(fmt.Sprint("owner ", i)) }

// OwnerKeys returns OwnerKey(0) … OwnerKey(n-1).
func OwnerKeys(n int) []*nem.PrivateKey {
	keys := make([]*nem.PrivateKey, max(n, 0))
	for i := range keys {
		keys[i] = OwnerKey(i)
	}
	return keys
}

// Config is one load run: Owners send commands to the hub at URL, all at
// once, until Count commands are sent or Duration has passed, whichever
// comes first. At least one of Count and Duration must be set.
type Config struct {
	// URL is the hub's base URL, such as "http://127.0.0.1:8080";
	// commands go to URL + hub.CommandsPath.
	URL string
	// Device is the hub's device key.
	Device nem.PublicKey
	// Owners are the clients, one connection each.
	Owners []*nem.PrivateKey
	// Raw sends each command with one write on the owner's TCP
	// connection and reads the reply with a minimal HTTP/1.1 parser
	// (status line, Content-Length), as load generators such as wrk do:
	// the hub sees the same requests, and the client takes a fraction of
	// the CPU it shares with the hub when both run on one machine. Raw
	// takes only http URLs. Otherwise each command goes through a
	// net/http Client, as a Go app's would.
	Raw bool
	// VerifyEvery opens every VerifyEvery-th reply with the owner's
	// Sender (checking the device's signature and that ok is true); 1
	// checks all, 0 none (a 200 then counts as done).
	VerifyEvery int
	// Count is how many commands to send; 0 means as many as Duration
	// allows. Owner a sends commands a, a+len(Owners), … so each sends
	// its share.
	Count int
	// Duration bounds the run; 0 means until Count. Commands under way
	// when it ends finish and count.
	Duration time.Duration
	// Preseal seals all Count envelopes (on all cores) before the clock
	// starts, so that only sending them is measured. Envelopes dated
	// more than the hub's window (30 s by default) before they arrive are
	// refused as stale, so keep presealed runs short. Otherwise each
	// owner seals its next command in the timed loop, and its CPU time is
	// the client's (latency is still counted from the request's first
	// byte).
	Preseal bool
	// Timeout bounds each command, connection included; 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// Started, if set, is called just before the clock starts (after
	// presealing), on the goroutine that called Run: a benchmark resets
	// its timer there.
	Started func()
}

// Result is what a [Run] measured.
type Result struct {
	Sent     int            // commands sent (or sealing attempted), answered or not
	Done     int            // commands answered 200 (and, where checked, verified with ok true)
	Elapsed  time.Duration  // from the first command to the last answer
	Errors   map[string]int // failed commands by kind (ErrBusy, …); empty when none failed
	CPU      time.Duration  // this process's CPU time (user and system) during the run
	CPUKnown bool           // whether CPU was measured (not on every system)

	latencies []time.Duration // of every command answered, sorted
}

// Rate is the commands done per second.
func (r *Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Done) / r.Elapsed.Seconds()
}

// Failed is the number of failed commands, of all kinds.
func (r *Result) Failed() int {
	n := 0
	for _, v := range r.Errors {
		n += v
	}
	return n
}

// Latency is the q-quantile (0 to 1) of the time from writing a command to
// reading its whole answer, over every command that got one; 0 if none did.
func (r *Result) Latency(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(q * float64(len(r.latencies)))
	return r.latencies[min(max(i, 0), len(r.latencies)-1)]
}

// ErrConfig is wrapped by the errors of a Config that cannot run.
var ErrConfig = errors.New("hubload: invalid configuration")

func configErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, a...))
}

// appStats is what one owner's client counted.
type appStats struct {
	sent, done int
	lat        []time.Duration
	errs       map[string]int
}

func (s *appStats) fail(kind string) {
	if s.errs == nil {
		s.errs = make(map[string]int)
	}
	s.errs[kind]++
}

// Run sends the load that c describes and measures it. It fails, before
// sending anything, only for a Config that cannot run (ErrConfig) or
// envelopes that cannot be presealed; failed commands are counted in the
// Result. Cancelling ctx ends the run as Duration does, and cuts the
// commands under way short.
func Run(ctx context.Context, c Config) (*Result, error) {
	apps := len(c.Owners)
	switch {
	case apps == 0:
		return nil, configErr("no owners")
	case c.Count < 0 || c.Duration < 0 || c.VerifyEvery < 0 || c.Timeout < 0:
		return nil, configErr("negative Count, Duration, VerifyEvery or Timeout")
	case c.Count == 0 && c.Duration == 0:
		return nil, configErr("neither Count nor Duration bounds the run")
	case c.Preseal && c.Count == 0:
		return nil, configErr("Preseal needs Count")
	}
	target, err := commandsURL(c.URL)
	if err != nil {
		return nil, err
	}
	if c.Raw && target.Scheme != "http" {
		return nil, configErr("the raw client speaks http only, not %s", target.Scheme)
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	senders := make([]*command.Sender, apps)
	for i, k := range c.Owners {
		if senders[i], err = command.NewSender(k, c.Device); err != nil {
			return nil, configErr("owner %d: %v", i, err)
		}
	}
	seal := func(i int) ([]byte, error) {
		args := `{"on":true}`
		if (i/apps)%2 == 1 {
			args = `{"on":false}`
		}
		return senders[i%apps].Seal(nil, command.Command{Name: "light", Args: []byte(args)}, time.Now())
	}

	var envs [][]byte
	if c.Preseal {
		if envs, err = sealAll(c.Count, seal); err != nil {
			return nil, err
		}
	}

	posters := make([]poster, apps)
	if c.Raw {
		for a := range posters {
			posters[a] = &rawHTTP{addr: target.Host, path: target.RequestURI(), host: target.Host, timeout: timeout}
		}
	} else {
		client := &http.Client{Timeout: timeout, Transport: &http.Transport{
			Proxy:               nil, // a load test talks to the hub itself
			MaxIdleConns:        apps,
			MaxIdleConnsPerHost: apps,
			MaxConnsPerHost:     apps,
			IdleConnTimeout:     time.Minute,
		}}
		defer client.CloseIdleConnections()
		for a := range posters {
			posters[a] = &netHTTP{c: client, url: target.String()}
		}
	}
	defer func() {
		for _, p := range posters {
			p.close()
		}
	}()

	loopCtx := ctx
	if c.Duration > 0 {
		var cancel context.CancelFunc
		loopCtx, cancel = context.WithTimeout(ctx, c.Duration)
		defer cancel()
	}
	stats := make([]appStats, apps)
	if c.Count > 0 {
		for a := range stats {
			stats[a].lat = make([]time.Duration, 0, c.Count/apps+1)
		}
	}
	if c.Started != nil {
		c.Started()
	}
	u0, cpuOK := SelfUsage()
	start := time.Now()
	var wg sync.WaitGroup
	for a, p := range posters {
		wg.Go(func() {
			st := &stats[a]
			for i := a; c.Count == 0 || i < c.Count; i += apps {
				if loopCtx.Err() != nil {
					return
				}
				st.sent++
				var env []byte
				if envs != nil {
					env = envs[i]
				} else {
					var err error
					if env, err = seal(i); err != nil {
						st.fail(ErrSeal)
						continue
					}
				}
				t0 := time.Now()
				status, body, err := p.post(ctx, env)
				if err != nil {
					st.fail(ErrTransport)
					continue
				}
				st.lat = append(st.lat, time.Since(t0))
				switch {
				case status == http.StatusServiceUnavailable:
					st.fail(ErrBusy)
				case status == http.StatusUnauthorized:
					st.fail(ErrRefused)
				case status != http.StatusOK:
					st.fail(errStatus(status))
				case c.VerifyEvery > 0 && i%c.VerifyEvery == 0:
					rep, err := senders[a].OpenReply(env, body, time.Now())
					switch {
					case err != nil:
						st.fail(ErrBadReply)
					case !rep.OK:
						st.fail(ErrReplyNotOK)
					default:
						st.done++
					}
				default:
					st.done++
				}
			}
		})
	}
	wg.Wait()
	r := &Result{Elapsed: time.Since(start), Errors: map[string]int{}}
	if u1, ok := SelfUsage(); ok && cpuOK {
		r.CPU, r.CPUKnown = u1.CPU-u0.CPU, true
	}
	for _, st := range stats {
		r.Sent += st.sent
		r.Done += st.done
		r.latencies = append(r.latencies, st.lat...)
		for k, v := range st.errs {
			r.Errors[k] += v
		}
	}
	slices.Sort(r.latencies)
	return r, nil
}

// sealAll seals envelopes 0 … n-1 on all cores.
func sealAll(n int, seal func(int) ([]byte, error)) ([][]byte, error) {
	envs := make([][]byte, n)
	workers := runtime.GOMAXPROCS(0)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				env, err := seal(i)
				if err != nil {
					errs[w] = fmt.Errorf("hubload: sealing command %d: %w", i, err)
					return
				}
				envs[i] = env
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return envs, nil
}

// commandsURL is the commands URL of the hub at base.
func commandsURL(base string) (*url.URL, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, configErr("hub URL: %v", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, configErr("hub URL %q: want http://host:port or https://host:port", base)
	}
	u = u.JoinPath(hub.CommandsPath)
	if !strings.HasPrefix(u.Path, "/") { // JoinPath on a URL with no path
		u.Path = "/" + u.Path
	}
	return u, nil
}
