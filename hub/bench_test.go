package hub_test

import (
	"bufio"
	"bytes"
	"context"
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
	"github.com/nemiot/nemiot/device"
	"github.com/nemiot/nemiot/hub"
	"github.com/nemiot/nemiot/nem"
)

// BenchmarkLoad runs many concurrent apps (each its own owner key, over
// keep-alive connections) against one hub.Server on 127.0.0.1. Every
// command switches the simulated light. It reports commands/s, p50/p99
// latency (POST to last reply byte), CPU time per command, and memory.
//
// hub=inproc runs the load client in the same process as the hub: memory
// is the process's (Go heap in use and obtained from the OS, the heap
// still live after a GC once the pre-sealed envelopes are dropped, VmRSS
// and peak VmHWM), all of hub and client together. hub=subprocess runs the
// hub alone in a child process (this test binary again), so that its
// resident set (hub-rss-MB, hub-peakrss-MB) and CPU (hub-cpu-µs/op) are
// the hub's own.
//
// verify=all checks every reply with command.OpenReply inside the timed
// loop, so the client's crypto competes with the hub for the two cores;
// verify=sample checks every 64th, which is closer to the hub's own
// capacity. Envelopes are sealed before the timer starts.
func BenchmarkLoad(b *testing.B) {
	for _, c := range []struct {
		apps   int
		verify int // check every verify-th reply
		sub    bool
	}{
		{16, 64, false}, {32, 64, false}, {64, 64, false}, {256, 64, false}, {64, 1, false},
		{16, 64, true}, {32, 64, true}, {64, 64, true}, {256, 64, true},
	} {
		name := fmt.Sprintf("hub=%s/apps=%d/verify=%s", map[bool]string{true: "subprocess", false: "inproc"}[c.sub],
			c.apps, map[bool]string{true: "all", false: "sample"}[c.verify == 1])
		b.Run(name, func(b *testing.B) { benchLoad(b, c.apps, c.verify, c.sub) })
	}
}

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
	opener := &command.Opener{Device: devKey, Owners: command.StaticOwners(pubs...)}
	return hub.NewServer(hub.New(opener, device.NewSim(), nil), "", nil), nil
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

func benchLoad(b *testing.B, apps, verify int, sub bool) {
	devKey := testKey(b, "device")
	owners := make([]*nem.PrivateKey, apps)
	for i := range owners {
		owners[i] = testKey(b, fmt.Sprint("owner ", i))
	}
	var addr string
	var child *exec.Cmd
	var stopChild func()
	if sub {
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
	url := "http://" + addr + hub.CommandsPath

	// Seal b.N envelopes (app i sends envelopes i, i+apps, …), on all cores.
	envs := make([][]byte, b.N)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < b.N; i += workers {
				args := `{"on":true}`
				if i%2 == 1 {
					args = `{"on":false}`
				}
				env, err := command.Seal(nil, owners[i%apps], devKey.PublicKey(), command.Command{Name: "light", Args: []byte(args)}, time.Now())
				if err != nil {
					b.Error(err)
					return
				}
				envs[i] = env
			}
		})
	}
	wg.Wait()

	client := &http.Client{Transport: &http.Transport{
		MaxIdleConns:        apps,
		MaxIdleConnsPerHost: apps,
		MaxConnsPerHost:     apps,
		IdleConnTimeout:     time.Minute,
	}}
	defer client.CloseIdleConnections()
	lat := make([]time.Duration, b.N)
	var failed, busy atomic.Int64

	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, cpuOK := cpuTime()
	start := time.Now()
	for a := range apps {
		wg.Go(func() {
			for i := a; i < b.N; i += apps {
				t0 := time.Now()
				resp, err := client.Post(url, "application/octet-stream", bytes.NewReader(envs[i]))
				if err != nil {
					failed.Add(1)
					continue
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				lat[i] = time.Since(t0)
				switch {
				case err != nil:
					failed.Add(1)
				case resp.StatusCode == http.StatusServiceUnavailable:
					busy.Add(1)
				case resp.StatusCode != http.StatusOK:
					failed.Add(1)
				case i%verify == 0:
					rep, err := command.OpenReply(owners[a], devKey.PublicKey(), envs[i], body, time.Now())
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
		// CPU time of hub and load client together, per command: on
		// an otherwise idle machine, cores / this bounds commands/s.
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	}
	if sub {
		if rss, hwm, ok := procRSS(fmt.Sprint(child.Process.Pid)); ok {
			b.ReportMetric(rss, "hub-rss-MB")
			b.ReportMetric(hwm, "hub-peakrss-MB")
		}
		client.CloseIdleConnections()
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
