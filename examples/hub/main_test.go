package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/device"
	"github.com/nemiot/nemiot/examples/internal/hubclient"
	"github.com/nemiot/nemiot/examples/internal/keyfile"
	"github.com/nemiot/nemiot/examples/internal/serve"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis/nistest"
)

// syncBuffer is a log sink the hub's goroutines write while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type running struct {
	url  string
	dev  *device.Device
	stop context.CancelFunc
	done chan int
	log  *syncBuffer
}

// start runs the hub program with args plus -key and -listen on a free
// loopback port, and waits until it serves.
func start(t *testing.T, deviceKey *nem.PrivateKey, args ...string) *running {
	t.Helper()
	path := filepath.Join(t.TempDir(), "device.key")
	if err := keyfile.Write(path, deviceKey, ""); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	r := &running{stop: stop, done: make(chan int, 1), log: &syncBuffer{}}
	ready := make(chan struct{})
	go func() {
		r.done <- run(ctx, append([]string{"-key", path, "-listen", "127.0.0.1:0"}, args...), r.log, func(a net.Addr, d *device.Device) {
			r.url, r.dev = "http://"+a.String(), d
			close(ready)
		})
	}()
	select {
	case <-ready:
	case code := <-r.done:
		t.Fatalf("hub exited %d before serving:\n%s", code, r.log)
	case <-time.After(30 * time.Second):
		t.Fatalf("hub did not start:\n%s", r.log)
	}
	t.Cleanup(func() { r.shutdown(t) })
	return r
}

func (r *running) shutdown(t *testing.T) int {
	t.Helper()
	r.stop()
	select {
	case code := <-r.done:
		r.done <- code // later calls see it too
		return code
	case <-time.After(20 * time.Second):
		t.Fatal("hub did not shut down")
		return -1
	}
}

func newKey(t *testing.T) *nem.PrivateKey {
	t.Helper()
	k, err := nem.GeneratePrivateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

type status struct {
	Light struct {
		On  bool   `json:"on"`
		Pin string `json:"pin"`
	} `json:"light"`
	Fan struct {
		Speed int    `json:"speed"`
		Duty  string `json:"duty"`
		Pin   string `json:"pin"`
	} `json:"fan"`
}

func send(t *testing.T, c *hubclient.Client, dev nem.PublicKey, name, args string) *command.Reply {
	t.Helper()
	cmd := command.Command{Name: name}
	if args != "" {
		cmd.Args = json.RawMessage(args)
	}
	r, _, err := c.Send(context.Background(), dev, cmd)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

func TestSimWithFixedOwners(t *testing.T) {
	devKey, owner, stranger := newKey(t), newKey(t), newKey(t)
	h := start(t, devKey, "-sim", "-owners", owner.PublicKey().String(), "-pins", "light=GPIO5,fan=GPIO6", "-network", "mainnet")
	c := &hubclient.Client{Hub: h.url, Key: owner}

	info, err := c.Device(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.PublicKey != devKey.PublicKey() || info.Network != nem.Mainnet {
		t.Errorf("GET /v1/device: %+v", info)
	}
	if r := send(t, c, info.PublicKey, "light", `{"on":true}`); !r.OK {
		t.Errorf("light: %s", r.Error)
	}
	if r := send(t, c, info.PublicKey, "fan", `{"speed":3}`); !r.OK {
		t.Errorf("fan: %s", r.Error)
	}
	r := send(t, c, info.PublicKey, "status", "")
	var st status
	if err := json.Unmarshal(r.Result, &st); err != nil {
		t.Fatal(err)
	}
	if !st.Light.On || st.Light.Pin != "GPIO5" || st.Fan.Speed != 3 || st.Fan.Duty != "100%" || st.Fan.Pin != "GPIO6" {
		t.Errorf("status %s", r.Result)
	}
	if r := send(t, c, info.PublicKey, "fan", `{"speed":4}`); r.OK {
		t.Error("fan speed 4 accepted")
	}

	sc := &hubclient.Client{Hub: h.url, Key: stranger}
	if _, _, err := sc.Send(context.Background(), info.PublicKey, command.Command{Name: "light", Args: json.RawMessage(`{"on":false}`)}); !errors.Is(err, hubclient.ErrRefused) {
		t.Errorf("stranger: %v, want refused", err)
	}

	// Shutdown halts the device: everything off.
	if code := h.shutdown(t); code != 0 {
		t.Fatalf("exit %d\n%s", code, h.log)
	}
	state, err := h.dev.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(state)
	if err := json.Unmarshal(b, &st); err != nil || st.Light.On || st.Fan.Speed != 0 {
		t.Errorf("after shutdown: %s", b)
	}
	logs := h.log.String()
	if strings.Contains(logs, devKey.Hex()) || strings.Contains(logs, owner.Hex()) {
		t.Error("a private key is in the log")
	}
	for _, want := range []string{"device halted", "signer is not an owner", "cmd=fan"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

func TestQuorumOwners(t *testing.T) {
	net := nistest.NewNetwork(t, 5, nil)
	devKey, owner, attacker := net.NewAccount(), newKey(t), newKey(t)
	if _, err := net.ConvertToMultisig(devKey, 1, owner.PublicKey()); err != nil {
		t.Fatal(err)
	}
	// One lying node cannot hand the device to an attacker.
	if err := net.Node(0).SetBehavior(nistest.Lying([]nem.PublicKey{attacker.PublicKey()}, 1)); err != nil {
		t.Fatal(err)
	}
	h := start(t, devKey, "-sim", "-nodes", strings.Join(net.URLs(), ","))
	dev := devKey.PublicKey()
	if r := send(t, &hubclient.Client{Hub: h.url, Key: owner}, dev, "light", `{"on":true}`); !r.OK {
		t.Errorf("owner: %s", r.Error)
	}
	ac := &hubclient.Client{Hub: h.url, Key: attacker}
	if _, _, err := ac.Send(context.Background(), dev, command.Command{Name: "light", Args: json.RawMessage(`{"on":false}`)}); !errors.Is(err, hubclient.ErrRefused) {
		t.Errorf("attacker: %v, want refused", err)
	}
	if !strings.Contains(h.log.String(), "owners (quorum)") {
		t.Errorf("log lacks the quorum owners:\n%s", h.log)
	}
}

func TestUsage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "device.key")
	if err := keyfile.Write(path, newKey(t), ""); err != nil {
		t.Fatal(err)
	}
	t.Setenv(serve.KeyEnv, "")
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"-sim"}, 2, serve.KeyEnv},
		{[]string{"-key", path, "-network", "moon", "-sim"}, 2, "-network"},
		{[]string{"-key", path, "-owners", "abc", "-sim"}, 2, "-owners"},
		{[]string{"-key", path, "-owners", newKey(t).PublicKey().String(), "-nodes", "http://127.0.0.1:1", "-sim"}, 2, "exclude"},
		{[]string{"-key", path, "-sim", "-pins", "light=GPIO1"}, 1, "-pins"},
		{[]string{"-key", path, "-sim", "-network", "mijin", "-listen", "127.0.0.1:0"}, 1, "mijin has no embedded node list"},
		{[]string{"-key", path, "-sim", "-owners", newKey(t).PublicKey().String(), "-listen", "256.0.0.1:0"}, 1, "hub: "},
		{[]string{"-key", path, "extra"}, 2, "unexpected"},
	} {
		var stderr bytes.Buffer
		code := run(context.Background(), tc.args, &stderr, nil)
		if code != tc.code || !strings.Contains(stderr.String(), tc.msg) {
			t.Errorf("%v: exit %d (want %d)\n%s", tc.args, code, tc.code, stderr.String())
		}
	}
}

// TestWeakOwnerRefused: -owners refuses a small-order key (the all-zero key
// among them) with a usage error, alone or in a list with a good key: under
// such a key anyone could forge commands. Were it taken, the hub would
// serve, and the ready callback ends the run with exit 0.
func TestWeakOwnerRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "device.key")
	if err := keyfile.Write(path, newKey(t), ""); err != nil {
		t.Fatal(err)
	}
	good := newKey(t).PublicKey().String()
	for _, weak := range []string{
		"0000000000000000000000000000000000000000000000000000000000000000", // all zero (order 4)
		"0100000000000000000000000000000000000000000000000000000000000000", // the identity
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
	} {
		for _, owners := range []string{weak, good + "," + weak} {
			ctx, cancel := context.WithCancel(context.Background())
			var stderr bytes.Buffer
			code := run(ctx, []string{"-key", path, "-sim", "-listen", "127.0.0.1:0", "-owners", owners}, &stderr,
				func(net.Addr, *device.Device) { cancel() })
			cancel()
			out := stderr.String()
			if code != 2 || !strings.Contains(out, "-owners") || !strings.Contains(out, weak) || !strings.Contains(out, "weak") {
				t.Errorf("-owners %s: exit %d (want 2 and a usage error naming the weak key)\n%s", owners, code, out)
			}
		}
	}
}
