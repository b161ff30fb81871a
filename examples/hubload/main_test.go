package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nemiot/nemiot/internal/hubload"
)

// asMainEnv makes the test binary run as hubload itself: the -child test
// starts it so, as hubload starts itself.
const asMainEnv = "HUBLOAD_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		main()
	}
	os.Exit(m.Run())
}

// runWant runs hubload with args and returns its standard output; the exit
// status must be want.
func runWant(t *testing.T, want int, args ...string) (stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if code := run(ctx, args, strings.NewReader(""), &out, &errb); code != want {
		t.Fatalf("hubload %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, &out, &errb)
	}
	return out.String(), errb.String()
}

// decode reads a -json report.
func decode(t *testing.T, out string) *report {
	t.Helper()
	var r report
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out)
	}
	return &r
}

// checkDone checks that every command of a report was done, at a rate and
// latency that are numbers above 0.
func checkDone(t *testing.T, r *report) {
	t.Helper()
	if r.Done == 0 || r.Done != r.Sent || len(r.Errors) != 0 {
		t.Errorf("done %d of %d sent, errors %v; want all done", r.Done, r.Sent, r.Errors)
	}
	if !(r.Rate > 0) || !(r.Seconds > 0) || !(r.LatencyMs.P50 > 0) || r.LatencyMs.P50 > r.LatencyMs.P99 || r.LatencyMs.P99 > r.LatencyMs.Max {
		t.Errorf("rate %v/s in %vs, latency %+v: want positive, ordered", r.Rate, r.Seconds, r.LatencyMs)
	}
	if runtime.GOOS == "linux" && (r.CPUMicros == nil || !(*r.CPUMicros > 0) || r.PeakRSSMiB == nil || !(*r.PeakRSSMiB > 0)) {
		t.Errorf("cpu %v µs/command, peak %v MiB: want both measured", r.CPUMicros, r.PeakRSSMiB)
	}
}

func TestInProcessDuration(t *testing.T) {
	out, _ := runWant(t, 0, "-apps", "4", "-duration", "300ms", "-json")
	r := decode(t, out)
	checkDone(t, r)
	if r.Owners != 4 || r.Client != "raw" || r.Seal != "inline" || r.VerifyEvery != 64 || r.CPUOf != "hub and clients" {
		t.Errorf("report %+v: want the defaults and 4 owners", r)
	}
	if r.Seconds > 30 {
		t.Errorf("a 300ms run took %vs", r.Seconds)
	}
}

// TestTextReport reads the report a person sees: each line's numbers parse.
func TestTextReport(t *testing.T) {
	out, _ := runWant(t, 0, "-apps", "3", "-n", "30", "-seal", "ahead", "-verify", "1", "-client", "nethttp")
	lines := map[string]string{}
	for l := range strings.Lines(out) {
		k, v, _ := strings.Cut(strings.TrimSpace(l), " ")
		lines[k] = strings.TrimSpace(v)
	}
	if got := lines["commands"]; !strings.HasPrefix(got, "30 done of 30 sent in ") {
		t.Errorf("commands line %q, want 30 done of 30 sent", got)
	}
	rate, err := strconv.ParseFloat(strings.TrimSuffix(lines["rate"], " commands/s"), 64)
	if err != nil || !(rate > 0) {
		t.Errorf("rate line %q: %v", lines["rate"], err)
	}
	f := strings.Fields(lines["latency"]) // p50 Xms p90 Xms p99 Xms max Xms
	if len(f) != 8 {
		t.Fatalf("latency line %q", lines["latency"])
	}
	for i := 1; i < 8; i += 2 {
		if v, err := strconv.ParseFloat(strings.TrimSuffix(f[i], "ms"), 64); err != nil || !(v > 0) {
			t.Errorf("latency %s %q: %v", f[i-1], f[i], err)
		}
	}
	if runtime.GOOS == "linux" {
		cpu, err := strconv.ParseFloat(strings.Fields(lines["cpu"] + " x")[0], 64)
		if err != nil || !(cpu > 0) {
			t.Errorf("cpu line %q: %v", lines["cpu"], err)
		}
	}
	if lines["errors"] != "none" {
		t.Errorf("errors line %q, want none", lines["errors"])
	}
	if !strings.Contains(lines["load"], "3 owners, client nethttp, sealing ahead, every reply verified") {
		t.Errorf("load line %q", lines["load"])
	}
}

// serving starts hubload -serve with args and returns the URL it prints;
// the server stops at the end of the test.
func serving(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var errb bytes.Buffer
	go func() {
		done <- run(ctx, append([]string{"-serve"}, args...), strings.NewReader(""), pw, &errb)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("hubload -serve printed no URL (%v); exit %d\n%s", err, <-done, &errb)
	}
	go io.Copy(io.Discard, pr)
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("hubload -serve: exit %d\n%s", code, &errb)
		}
	})
	return strings.TrimSpace(line)
}

func TestServeAndHub(t *testing.T) {
	url := serving(t, "-apps", "2")
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("-serve printed %q, want a loopback URL", url)
	}
	out, _ := runWant(t, 0, "-hub", url, "-apps", "2", "-n", "20", "-verify", "1", "-json")
	r := decode(t, out)
	checkDone(t, r)
	if r.Done != 20 || r.CPUOf != "clients" {
		t.Errorf("done %d, cpu of %q: want 20, clients", r.Done, r.CPUOf)
	}
}

// TestFailuresByKind sends from more owners than the hub knows: the
// strangers' commands are refused, counted by kind, and the exit status
// says so.
func TestFailuresByKind(t *testing.T) {
	url := serving(t, "-apps", "1")
	out, _ := runWant(t, 1, "-hub", url, "-apps", "2", "-n", "10", "-json")
	r := decode(t, out)
	if r.Sent != 10 || r.Done != 5 || r.Errors[hubload.ErrRefused] != 5 || len(r.Errors) != 1 {
		t.Errorf("sent %d, done %d, errors %v; want 10, 5 and 5 %s", r.Sent, r.Done, r.Errors, hubload.ErrRefused)
	}
	out, _ = runWant(t, 1, "-hub", url, "-apps", "2", "-n", "10")
	if !strings.Contains(out, "errors      "+hubload.ErrRefused+"=5\n") {
		t.Errorf("text report without the refusals:\n%s", out)
	}
}

// TestChild runs the hub in a child process (this test binary, as
// hubload): the report has the hub's own CPU time and peak memory.
func TestChild(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	childEnv = []string{asMainEnv + "=1"}
	t.Cleanup(func() { childEnv = nil })
	out, _ := runWant(t, 0, "-child", "-apps", "2", "-n", "40", "-json")
	r := decode(t, out)
	checkDone(t, r)
	if !strings.HasPrefix(r.Hub, "child process, http://127.0.0.1:") || r.CPUOf != "clients" {
		t.Errorf("hub %q, cpu of %q", r.Hub, r.CPUOf)
	}
	if r.HubCPUMicros == nil || !(*r.HubCPUMicros > 0) {
		t.Errorf("hub cpu %v µs/command, want measured", r.HubCPUMicros)
	}
	if runtime.GOOS == "linux" && (r.HubPeakRSSMiB == nil || !(*r.HubPeakRSSMiB > 1)) {
		t.Errorf("hub peak %v MiB, want measured", r.HubPeakRSSMiB)
	}
}

func TestPrintOwners(t *testing.T) {
	out, _ := runWant(t, 0, "-print-owners", "-apps", "3")
	keys := strings.Split(strings.TrimSpace(out), ",")
	if len(keys) != 3 {
		t.Fatalf("printed %q, want 3 keys", out)
	}
	for i, k := range keys {
		if want := hubload.OwnerKey(i).PublicKey().String(); k != want {
			t.Errorf("key %d = %s, want %s", i, k, want)
		}
	}
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-apps", "0"}, "-apps 0"},
		{[]string{"-duration", "0"}, "-duration 0s"},
		{[]string{"-duration", "2h"}, "at most 1h"},
		{[]string{"-client", "curl"}, "want raw or nethttp"},
		{[]string{"-seal", "ahead"}, "-seal ahead needs -n"},
		{[]string{"-seal", "later"}, "want inline or ahead"},
		{[]string{"-hub", "example.org:8080"}, "want http://HOST:PORT"},
		{[]string{"-hub", "http://192.0.2.1:8080"}, "give -remote"},
		{[]string{"-hub", "https://127.0.0.1:8443"}, "-client raw speaks http only"},
		{[]string{"-hub", "http://127.0.0.1:1", "-child"}, "-child, -replay and -serve are for the hub this program starts"},
		{[]string{"-serve", "-listen", "0.0.0.0:8080"}, "is not loopback"},
		{[]string{"-listen", "127.0.0.1:0"}, "go with -serve"},
		{[]string{"-serve", "-child"}, "do not go together"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		_, stderr := runWant(t, 2, tc.args...)
		if !strings.Contains(stderr, tc.want) {
			t.Errorf("hubload %s: stderr %q, want %q", strings.Join(tc.args, " "), stderr, tc.want)
		}
	}
}
