package hub_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"testing"

	"github.com/nemiot/nemiot/hub"
	"github.com/nemiot/nemiot/internal/hubload"
)

// BenchmarkLoad is the hub's throughput: apps concurrent owners (each its
// own key, over a keep-alive connection of its own) against one
// hub.Server on 127.0.0.1, in this process, every command switching a
// simulated light. Envelopes are sealed before the timer starts; every
// 64th reply is verified inside it. client=raw writes each request with
// one write and reads the answer with a minimal HTTP/1.1 parser, as wrk
// does, so that the client takes little of the CPU it shares with the
// hub; client=nethttp sends with a net/http Client, as a Go app would.
//
// It reports cmds/s, p50 and p99 latency (request written to last answer
// byte), 503s per command and cpu-µs/op, the CPU time of the whole process
// (hub and client) per command. The load comes from internal/hubload, as
// that of examples/hubload, which runs it from the command line with more
// choices (the hub in a process of its own, sealing in the timed loop, a
// hub elsewhere). BENCHMARKS.md at the repository root has the figures
// and the commands that reproduce them.
func BenchmarkLoad(b *testing.B) {
	for _, c := range []struct {
		apps int
		raw  bool
	}{{16, true}, {64, true}, {16, false}} {
		name := fmt.Sprintf("client=%s/apps=%d", map[bool]string{true: "raw", false: "nethttp"}[c.raw], c.apps)
		b.Run(name, func(b *testing.B) { benchLoad(b, c.apps, c.raw) })
	}
}

func benchLoad(b *testing.B, apps int, raw bool) {
	srv, err := hubload.NewServer(apps, hubload.ReplayCapacity)
	if err != nil {
		b.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Shutdown(context.Background())
	r, err := hubload.Run(context.Background(), hubload.Config{
		URL:         "http://" + l.Addr().String(),
		Device:      hubload.DeviceKey().PublicKey(),
		Owners:      hubload.OwnerKeys(apps),
		Raw:         raw,
		VerifyEvery: 64,
		Count:       b.N,
		Preseal:     true,
		Started: func() {
			b.ReportAllocs()
			b.ResetTimer()
		},
	})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if r.Done != b.N {
		b.Errorf("%d of %d commands done; failed: %v", r.Done, b.N, r.Errors)
	}
	b.ReportMetric(r.Rate(), "cmds/s")
	b.ReportMetric(float64(r.Latency(0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(r.Latency(0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(r.Errors[hubload.ErrBusy])/float64(b.N), "503/op")
	if r.CPUKnown {
		b.ReportMetric(float64(r.CPU.Microseconds())/float64(b.N), "cpu-µs/op")
	}
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
