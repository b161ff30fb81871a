package hubload_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/hub"
	"github.com/nemiot/nemiot/internal/hubload"
)

// serveHub serves NewServer(owners, 0) on loopback and returns its URL.
func serveHub(t *testing.T, owners int) string {
	t.Helper()
	srv, err := hubload.NewServer(owners, 0)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return "http://" + l.Addr().String()
}

func config(url string, owners int) hubload.Config {
	return hubload.Config{
		URL:         url,
		Device:      hubload.DeviceKey().PublicKey(),
		Owners:      hubload.OwnerKeys(owners),
		VerifyEvery: 1,
		Timeout:     10 * time.Second,
	}
}

func run(t *testing.T, c hubload.Config) *hubload.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := hubload.Run(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRunCount(t *testing.T) {
	url := serveHub(t, 3)
	for _, raw := range []bool{true, false} {
		for _, preseal := range []bool{true, false} {
			c := config(url, 3)
			c.Raw, c.Preseal, c.Count = raw, preseal, 31
			started := false
			c.Started = func() { started = true }
			r := run(t, c)
			if r.Sent != 31 || r.Done != 31 || r.Failed() != 0 || !started {
				t.Errorf("raw %v, preseal %v: sent %d, done %d, errors %v, started %v; want all 31 done",
					raw, preseal, r.Sent, r.Done, r.Errors, started)
			}
			if !(r.Rate() > 0) || !(r.Latency(0) > 0) || r.Latency(0.5) > r.Latency(0.99) || r.Latency(0.99) > r.Latency(1) {
				t.Errorf("rate %v, latencies %v %v %v %v: want positive, ordered",
					r.Rate(), r.Latency(0), r.Latency(0.5), r.Latency(0.99), r.Latency(1))
			}
			if runtime.GOOS == "linux" && (!r.CPUKnown || r.CPU <= 0) {
				t.Errorf("CPU %v (known %v), want measured", r.CPU, r.CPUKnown)
			}
		}
	}
}

func TestRunDuration(t *testing.T) {
	c := config(serveHub(t, 2), 2)
	c.Duration = 200 * time.Millisecond
	start := time.Now()
	r := run(t, c)
	if r.Done == 0 || r.Done != r.Sent {
		t.Errorf("done %d of %d, errors %v", r.Done, r.Sent, r.Errors)
	}
	if took := time.Since(start); took < c.Duration || took > c.Duration+c.Timeout {
		t.Errorf("a %v run took %v", c.Duration, took)
	}
}

// TestRunKinds counts each kind of failure from hubs that answer it.
func TestRunKinds(t *testing.T) {
	notOK := hub.New(&command.Opener{Device: hubload.DeviceKey(), Owners: command.StaticOwners(hubload.OwnerKey(0).PublicKey())},
		hub.HandlerFunc(func(context.Context, *command.Request) (any, error) { return nil, errors.New("no") }), nil)
	for _, tc := range []struct {
		name string
		h    http.Handler
		want string
	}{
		{"busy", status(http.StatusServiceUnavailable), hubload.ErrBusy},
		{"refused", status(http.StatusUnauthorized), hubload.ErrRefused},
		{"other", status(http.StatusTeapot), "status-418"},
		{"bad reply", status(http.StatusOK), hubload.ErrBadReply},
		{"not ok", notOK, hubload.ErrReplyNotOK},
		{"close without length", http.HandlerFunc(closeWithout), "status-400"},
		{"transport", http.HandlerFunc(hangUp), hubload.ErrTransport},
	} {
		srv := httptest.NewServer(tc.h)
		for _, raw := range []bool{true, false} {
			c := config(srv.URL, 1)
			c.Raw, c.Count = raw, 4
			r := run(t, c)
			if r.Sent != 4 || r.Done != 0 || r.Errors[tc.want] != 4 || len(r.Errors) != 1 {
				t.Errorf("%s, raw %v: sent %d, done %d, errors %v; want 4 %s", tc.name, raw, r.Sent, r.Done, r.Errors, tc.want)
			}
		}
		srv.Close()
	}
}

// status answers every request with code and a body that is no envelope.
func status(code int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(code)
		w.Write([]byte("not an envelope"))
	})
}

// closeWithout answers as net/http does a malformed request: no
// Content-Length, and the connection closed.
func closeWithout(w http.ResponseWriter, r *http.Request) {
	c, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	buf.WriteString("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n400 Bad Request")
	buf.Flush()
	c.Close()
}

// hangUp closes the connection without answering.
func hangUp(w http.ResponseWriter, r *http.Request) {
	if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
		c.Close()
	}
}

func TestRunConfig(t *testing.T) {
	good := config("http://127.0.0.1:1", 1)
	good.Count = 1
	for _, tc := range []struct {
		name string
		edit func(*hubload.Config)
	}{
		{"no owners", func(c *hubload.Config) { c.Owners = nil }},
		{"unbounded", func(c *hubload.Config) { c.Count = 0 }},
		{"preseal without count", func(c *hubload.Config) { c.Count, c.Duration, c.Preseal = 0, time.Second, true }},
		{"negative", func(c *hubload.Config) { c.VerifyEvery = -1 }},
		{"no scheme", func(c *hubload.Config) { c.URL = "127.0.0.1:1" }},
		{"raw https", func(c *hubload.Config) { c.URL, c.Raw = "https://127.0.0.1:1", true }},
		{"weak device", func(c *hubload.Config) { c.Device = [32]byte{} }},
	} {
		c := good
		tc.edit(&c)
		if _, err := hubload.Run(context.Background(), c); !errors.Is(err, hubload.ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", tc.name, err)
		}
	}
	if _, err := hubload.NewServer(0, 0); !errors.Is(err, hubload.ErrConfig) {
		t.Errorf("NewServer(0, 0): %v, want ErrConfig", err)
	}
}

func TestFetchDevice(t *testing.T) {
	url := serveHub(t, 1)
	got, err := hubload.FetchDevice(context.Background(), url)
	if err != nil || got != hubload.DeviceKey().PublicKey() {
		t.Errorf("FetchDevice = %v, %v; want %v", got, err, hubload.DeviceKey().PublicKey())
	}
	srv := httptest.NewServer(status(http.StatusNotFound))
	defer srv.Close()
	if _, err := hubload.FetchDevice(context.Background(), srv.URL); err == nil {
		t.Error("FetchDevice from a server without the device path: no error")
	}
}

func TestKeys(t *testing.T) {
	keys := hubload.OwnerKeys(4)
	seen := map[string]bool{hubload.DeviceKey().PublicKey().String(): true}
	for i, k := range keys {
		if !k.Equal(hubload.OwnerKey(i)) {
			t.Errorf("OwnerKeys(4)[%d] differs from OwnerKey(%d)", i, i)
		}
		seen[k.PublicKey().String()] = true
	}
	if len(seen) != 5 {
		t.Errorf("device and 4 owners have %d distinct keys", len(seen))
	}
}
