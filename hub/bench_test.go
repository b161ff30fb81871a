package hub_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/hub"
	"github.com/nemiot/nemiot/nem"
)

// BenchmarkLoad runs many concurrent apps (each its own owner key, over a
// keep-alive connection of its own) against one hub.Server on 127.0.0.1.
// Every command switches the simulated light. It reports commands/s,
// p50/p99 latency (request written to last reply byte), CPU time per
// command, and memory.
//
// hub=inproc runs the load client in the same process as the hub: memory
// is the process's (Go heap in use and obtained from the OS, the heap
// still live after a GC once the pre-sealed envelopes are dropped, VmRSS
// and peak VmHWM), all of hub and client together. hub=subprocess runs the
// hub alone in a child process (this test binary again), so that its
// resident set (hub-rss-MB, hub-peakrss-MB) and CPU (hub-cpu-µs/op) are
// the hub's own; cpu-µs/op is then the load client's alone.
//
// client=nethttp sends each command with a net/http Client. client=raw
// writes each request with one write on the app's TCP connection and reads
// the reply with a minimal HTTP/1.1 parser (status line, Content-Length),
// as load generators such as wrk do: the hub sees the same requests, and
// the client takes a fraction of the CPU that it shares with the hub on
// the machine's two cores.
//
// Each app is a command.Sender. verify=all checks every reply with its
// OpenReply inside the timed loop, so the client's crypto competes with the
// hub for the cores; verify=sample checks every 64th. Envelopes are sealed
// before the timer starts, except with seal=inline, where each app seals
// its next command in the timed loop (its CPU is the client's; latency is
// still from the request's first byte). The hub's replay cache holds
// benchReplayCapacity entries (the 30 s of a sustained 10,000 commands/s,
// plus a margin), so that long runs show the memory of a hub at that rate:
// those need seal=inline, since envelopes sealed ahead would grow older
// than the hub's 30 s window (-bench 'seal=inline' -benchtime=400000x).
func BenchmarkLoad(b *testing.B) {
	var cases []loadCase
	add := func(sub, raw bool, apps ...int) {
		for _, n := range apps {
			cases = append(cases, loadCase{apps: n, verify: 64, sub: sub, raw: raw})
		}
	}
	add(false, false, 16, 32, 64, 256)
	add(false, true, 16, 64)
	add(true, false, 16, 32, 64, 256)
	add(true, true, 4, 8, 16, 32, 64)
	cases = append(cases,
		loadCase{apps: 64, verify: 1},
		loadCase{apps: 16, verify: 1, sub: true, raw: true},
		loadCase{apps: 16, verify: 64, sub: true, raw: true, inline: true})
	for _, c := range cases {
		b.Run(c.name(), func(b *testing.B) { benchLoad(b, c) })
	}
}

type loadCase struct {
	apps   int
	verify int  // check every verify-th reply
	sub    bool // the hub in a child process
	raw    bool // the raw HTTP/1.1 client
	inline bool // seal in the timed loop
}

func (c loadCase) name() string {
	return fmt.Sprintf("hub=%s/client=%s/apps=%d/verify=%s",
		map[bool]string{true: "subprocess", false: "inproc"}[c.sub],
		map[bool]string{true: "raw", false: "nethttp"}[c.raw],
		c.apps, map[bool]string{true: "all", false: "sample"}[c.verify == 1]) +
		map[bool]string{true: "/seal=inline", false: ""}[c.inline]
}

// benchReplayCapacity is the replay cache of the bench hub: 30 s (the
// default window) of 10,000 commands/s, and a third more.
const benchReplayCapacity = 400_000

// benchServerEnv, set to a number of apps, makes the test binary a bench
// hub (see TestMain).
const benchServerEnv = "NEMIOT_HUB_BENCH_SERVER_APPS"

// benchProfileEnv, set to a file name, makes the bench hub write its CPU
// profile there.
const benchProfileEnv = "NEMIOT_HUB_BENCH_CPUPROFILE"

func TestMain(m *testing.M) {
	if v := os.Getenv(benchServerEnv); v != "" {
		os.Exit(runBenchServer(v))
	}
	os.Exit(m.Run())
}

// benchHub is the hub of the load benchmark: the device key "device",
// owners "owner 0" … "owner apps-1", a simulated light and fan.
func benchHub(apps int) (*hub.Server, error) {
	devKey, err := labelKey("device")
	if err != nil {
		return nil, err
	}
	pubs := make([]nem.PublicKey, apps)
	for i := range pubs {
		k, err := labelKey(fmt.Sprint("owner ", i))
		if err != nil {
			return nil, err
		}
		pubs[i] = k.PublicKey()
	}
	opener := &command.Opener{Device: devKey, Owners: command.StaticOwners(pubs...), ReplayCapacity: benchReplayCapacity}
	return hub.NewServer(hub.New(opener, simDevice(), nil), "", nil), nil
}

// runBenchServer serves a bench hub on a loopback port, prints its address,
// and stops when stdin closes.
func runBenchServer(apps string) int {
	n, err := strconv.Atoi(apps)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	srv, err := benchHub(n)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if path := os.Getenv(benchProfileEnv); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Println(l.Addr())
	go srv.Serve(l)
	io.Copy(io.Discard, os.Stdin)
	if err := srv.Shutdown(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// startBenchServer starts a bench hub in a child process.
func startBenchServer(b *testing.B, apps int) (addr string, child *exec.Cmd, stop func()) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", benchServerEnv, apps))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		b.Fatalf("bench hub: %v", err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			stdin.Close()
			if err := cmd.Wait(); err != nil {
				b.Errorf("bench hub: %v", err)
			}
		})
	}
	b.Cleanup(stop)
	return strings.TrimSpace(line), cmd, stop
}

// poster sends one envelope and returns the reply's status and body; the
// body is valid until the next call.
type poster interface {
	post(env []byte) (status int, body []byte, err error)
	close()
}

// netHTTP posts with a shared net/http Client.
type netHTTP struct {
	c   *http.Client
	url string
	buf bytes.Buffer
}

func (p *netHTTP) post(env []byte) (int, []byte, error) {
	resp, err := p.c.Post(p.url, "application/octet-stream", bytes.NewReader(env))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	p.buf.Reset()
	_, err = p.buf.ReadFrom(resp.Body)
	return resp.StatusCode, p.buf.Bytes(), err
}

func (p *netHTTP) close() { p.c.CloseIdleConnections() }

// rawHTTP speaks just enough HTTP/1.1 over one keep-alive connection: one
// write per request, and a reply read by its status line and
// Content-Length (which the hub always sends). It redials when the hub
// closes the connection.
type rawHTTP struct {
	addr string
	c    net.Conn
	r    *bufio.Reader
	req  []byte
	body []byte
}

func (p *rawHTTP) post(env []byte) (int, []byte, error) {
	if p.c == nil {
		c, err := net.Dial("tcp", p.addr)
		if err != nil {
			return 0, nil, err
		}
		p.c, p.r = c, bufio.NewReaderSize(c, 4096)
	}
	p.req = append(p.req[:0], "POST "+hub.CommandsPath+" HTTP/1.1\r\nHost: hub\r\nContent-Type: application/octet-stream\r\nContent-Length: "...)
	p.req = strconv.AppendInt(p.req, int64(len(env)), 10)
	p.req = append(p.req, "\r\n\r\n"...)
	p.req = append(p.req, env...)
	status, body, keep, err := p.roundTrip()
	if err != nil || !keep {
		p.close()
	}
	return status, body, err
}

func (p *rawHTTP) roundTrip() (status int, body []byte, keep bool, err error) {
	if _, err := p.c.Write(p.req); err != nil {
		return 0, nil, false, err
	}
	line, err := p.r.ReadSlice('\n')
	if err != nil {
		return 0, nil, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, nil, false, fmt.Errorf("status line %q", line)
	}
	if status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return 0, nil, false, fmt.Errorf("status line %q", line)
	}
	n, keep := -1, true
	for {
		line, err := p.r.ReadSlice('\n')
		if err != nil {
			return 0, nil, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, nil, false, fmt.Errorf("header line %q", line)
		}
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			if n, err = strconv.Atoi(string(v)); err != nil || n < 0 {
				return 0, nil, false, fmt.Errorf("Content-Length %q", v)
			}
		case bytes.EqualFold(k, []byte("Connection")) && bytes.EqualFold(v, []byte("close")):
			keep = false
		}
	}
	if n < 0 {
		return 0, nil, false, errors.New("reply without Content-Length")
	}
	if cap(p.body) < n {
		p.body = make([]byte, n)
	}
	p.body = p.body[:n]
	if _, err := io.ReadFull(p.r, p.body); err != nil {
		return 0, nil, false, err
	}
	return status, p.body, keep, nil
}

func (p *rawHTTP) close() {
	if p.c != nil {
		p.c.Close()
		p.c, p.r = nil, nil
	}
}

func benchLoad(b *testing.B, c loadCase) {
	apps := c.apps
	devKey := testKey(b, "device")
	senders := make([]*command.Sender, apps)
	for i := range senders {
		s, err := command.NewSender(testKey(b, fmt.Sprint("owner ", i)), devKey.PublicKey())
		if err != nil {
			b.Fatal(err)
		}
		senders[i] = s
	}
	seal := func(i int) ([]byte, error) {
		args := `{"on":true}`
		if i%2 == 1 {
			args = `{"on":false}`
		}
		return senders[i%apps].Seal(nil, command.Command{Name: "light", Args: []byte(args)}, time.Now())
	}
	var addr string
	var child *exec.Cmd
	var stopChild func()
	if c.sub {
		addr, child, stopChild = startBenchServer(b, apps)
	} else {
		srv, err := benchHub(apps)
		if err != nil {
			b.Fatal(err)
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		go srv.Serve(l)
		defer srv.Shutdown(context.Background())
		addr = l.Addr().String()
	}

	// Seal b.N envelopes (app i sends envelopes i, i+apps, …), on all cores.
	var envs [][]byte
	var wg sync.WaitGroup
	if !c.inline {
		envs = make([][]byte, b.N)
		workers := runtime.GOMAXPROCS(0)
		for w := range workers {
			wg.Go(func() {
				for i := w; i < b.N; i += workers {
					env, err := seal(i)
					if err != nil {
						b.Error(err)
						return
					}
					envs[i] = env
				}
			})
		}
		wg.Wait()
	}

	posters := make([]poster, apps)
	if c.raw {
		for a := range posters {
			posters[a] = &rawHTTP{addr: addr}
		}
	} else {
		client := &http.Client{Transport: &http.Transport{
			MaxIdleConns:        apps,
			MaxIdleConnsPerHost: apps,
			MaxConnsPerHost:     apps,
			IdleConnTimeout:     time.Minute,
		}}
		for a := range posters {
			posters[a] = &netHTTP{c: client, url: "http://" + addr + hub.CommandsPath}
		}
	}
	closeAll := func() {
		for _, p := range posters {
			p.close()
		}
	}
	defer closeAll()
	lat := make([]time.Duration, b.N)
	var failed, busy atomic.Int64

	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, cpuOK := cpuTime()
	busy0, busyOK := machineBusy()
	var child0 time.Duration
	if c.sub {
		child0, _ = procCPU(child.Process.Pid)
	}
	start := time.Now()
	for a, p := range posters {
		wg.Go(func() {
			for i := a; i < b.N; i += apps {
				var env []byte
				if c.inline {
					var err error
					if env, err = seal(i); err != nil {
						failed.Add(1)
						continue
					}
				} else {
					env = envs[i]
				}
				t0 := time.Now()
				status, body, err := p.post(env)
				lat[i] = time.Since(t0)
				switch {
				case err != nil:
					failed.Add(1)
				case status == http.StatusServiceUnavailable:
					busy.Add(1)
				case status != http.StatusOK:
					failed.Add(1)
				case i%c.verify == 0:
					rep, err := senders[a].OpenReply(env, body, time.Now())
					if err != nil || !rep.OK {
						failed.Add(1)
					}
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, _ := cpuTime()
	busy1, _ := machineBusy()
	var child1 time.Duration
	if c.sub {
		child1, _ = procCPU(child.Process.Pid)
	}
	b.StopTimer()

	if n := failed.Load(); n > 0 {
		b.Errorf("%d of %d commands failed", n, b.N)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "cmds/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(busy.Load())/float64(b.N), "503/op")
	if cpuOK {
		// CPU time of this process per command: hub and load client
		// (inproc), or the load client alone (subprocess).
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	}
	if cpuOK && busyOK {
		// The machine's CPU time that neither hub nor client used (other
		// processes: compilers, other benchmarks), in cores: anything
		// well above 0 means the numbers understate the hub.
		others := (busy1 - busy0) - (cpu1 - cpu0) - (child1 - child0)
		b.ReportMetric(max(0, others.Seconds()/elapsed.Seconds()), "others-cores")
	}
	if c.sub {
		if rss, hwm, ok := procRSS(fmt.Sprint(child.Process.Pid)); ok {
			b.ReportMetric(rss, "hub-rss-MB")
			b.ReportMetric(hwm, "hub-peakrss-MB")
		}
		closeAll()
		stopChild()
		if st := child.ProcessState; st != nil {
			b.ReportMetric(float64((st.UserTime()+st.SystemTime()).Microseconds())/float64(b.N), "hub-cpu-µs/op")
		}
		return
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heapinuse-MB")
	b.ReportMetric(float64(ms.Sys)/(1<<20), "sys-MB")
	// What stays live with the connections still open, once the
	// pre-sealed envelopes are dropped: hub and client state.
	envs, lat = nil, nil
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "live-MB")
	if rss, hwm, ok := procRSS("self"); ok {
		b.ReportMetric(rss, "rss-MB")
		b.ReportMetric(hwm, "peakrss-MB")
	}
}

// machineBusy returns the CPU time all cores of the machine have spent
// busy (not idle or waiting for I/O), from /proc/stat.
func machineBusy() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0, false
	}
	var busy int64
	for i, v := range f[1:] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, false
		}
		if i != 3 && i != 4 && i < 8 { // not idle, iowait, or guest (counted in user)
			busy += n
		}
	}
	return time.Duration(busy) * clockTick, true
}

// procCPU returns the user and system CPU time of process pid, from
// /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name, in parentheses, may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(ut+st) * clockTick, true
}

// clockTick is Linux's USER_HZ tick of /proc times (100 Hz everywhere
// that matters).
const clockTick = 10 * time.Millisecond

// procRSS reads VmRSS and VmHWM (peak) from /proc/<pid>/status, in MiB.
func procRSS(pid string) (rss, hwm float64, ok bool) {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, found := strings.Cut(s.Text(), ":")
		if !found || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		if err != nil {
			return 0, 0, false
		}
		if k == "VmRSS" {
			rss, ok = kb/1024, true
		} else {
			hwm = kb / 1024
		}
	}
	return rss, hwm, ok
}

// BenchmarkServeHTTP is the hub's own cost per command, without the
// network: open, run on a simulated device, reply.
// With log=json, the access log is written as JSON to memory.
func BenchmarkServeHTTP(b *testing.B) {
	for _, logged := range []bool{false, true} {
		b.Run(map[bool]string{false: "log=off", true: "log=json"}[logged], func(b *testing.B) {
			var o hub.Options
			if !logged {
				o.Logger = slog.New(slog.DiscardHandler)
			}
			r := newRig(b, &o)
			envs := make([][]byte, b.N)
			for i := range envs {
				envs[i] = r.seal(b, r.owner, "light", `{"on":true}`)
			}
			serveAll(b, r.handler, envs, http.StatusOK)
		})
	}
}

// serveAll serves each envelope with h, timed, expecting status want.
func serveAll(b *testing.B, h http.Handler, envs [][]byte, want int) {
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		req, _ := http.NewRequest(http.MethodPost, hub.CommandsPath, bytes.NewReader(envs[i]))
		w := &discardWriter{h: http.Header{}}
		h.ServeHTTP(w, req)
		if w.status != want {
			b.Fatalf("status %d, want %d", w.status, want)
		}
	}
}

// BenchmarkRefusal compares the cost of refusals that differ only in where
// Open stops: a bad signature, and an owner-signed envelope that does not
// decrypt. Both are answered by the same 401.
func BenchmarkRefusal(b *testing.B) {
	for _, kind := range []string{"bad-signature", "undecryptable"} {
		b.Run(kind, func(b *testing.B) {
			r := newRig(b, nil)
			envs := make([][]byte, b.N)
			for i := range envs {
				env := r.seal(b, r.owner, "light", `{"on":true}`)
				env[95+3] ^= 0x40
				if kind == "undecryptable" {
					env = resign(env, r.owner)
				}
				envs[i] = env
			}
			serveAll(b, r.handler, envs, http.StatusUnauthorized)
		})
	}
}

type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(s int)           { w.status = s }
