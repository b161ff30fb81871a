package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/device"
	"github.com/nemiot/nemiot/examples/internal/extest"
	"github.com/nemiot/nemiot/examples/internal/serve"
	"github.com/nemiot/nemiot/hub/hubclient"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/keyfile"
	"github.com/nemiot/nemiot/nem/nis/nistest"
)

// syncBuffer is a buffer safe to write and read at once.
type syncBuffer = extest.SyncBuffer

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
	return startFile(t, writeKey(t, &keyfile.File{Key: deviceKey}), args...)
}

// writeKey writes f to a new key file (mode 0600) and returns its path.
func writeKey(t *testing.T, f *keyfile.File) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "device.key")
	if err := keyfile.Create(path, f, ""); err != nil {
		t.Fatal(err)
	}
	return path
}

// startFile is start with the key file at path.
func startFile(t *testing.T, path string, args ...string) *running {
	t.Helper()
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
		{[]string{"-key", path, "-sim", "-network", "mijin", "-listen", "127.0.0.1:0"}, 2, "mijin has no embedded node list"},
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

// runOnce runs the hub program with args and stops it as soon as it
// serves; it returns the exit status and what the program wrote.
func runOnce(args ...string) (int, string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	code := run(ctx, append([]string{"-listen", "127.0.0.1:0"}, args...), &stderr, func(net.Addr, *device.Device) { cancel() })
	return code, stderr.String()
}

// hubLines returns the lines of out that the program wrote itself (not
// the log).
func hubLines(out string) []string {
	var lines []string
	for l := range strings.Lines(out) {
		if strings.HasPrefix(l, "hub: ") {
			lines = append(lines, strings.TrimSuffix(l, "\n"))
		}
	}
	return lines
}

// TestKeyFileNetwork: the hub runs on the network its key file records
// (keygen -network mainnet writes "# network: mainnet"); a -network that
// differs is refused naming both; a file without the line takes -network,
// by default testnet. The log says which network and why.
func TestKeyFileNetwork(t *testing.T) {
	owner := newKey(t).PublicKey().String()
	devKey := newKey(t)
	mainnetFile := writeKey(t, &keyfile.File{Key: devKey, Network: nem.Mainnet})
	testnetFile := writeKey(t, &keyfile.File{Key: devKey, Network: nem.Testnet})
	plainFile := writeKey(t, &keyfile.File{Key: devKey})

	for _, tc := range []struct {
		name, path string
		args       []string
		want       nem.Network
		from       string
	}{
		{"file mainnet", mainnetFile, nil, nem.Mainnet, `from="the key file ` + mainnetFile + `"`},
		{"file and flag mainnet", mainnetFile, []string{"-network", "mainnet"}, nem.Mainnet, `from="-network, as the key file says"`},
		{"file testnet", testnetFile, nil, nem.Testnet, `from="the key file ` + testnetFile + `"`},
		{"no network line", plainFile, nil, nem.Testnet, `from="default (neither the key file nor -network names one)"`},
		{"no network line, flag", plainFile, []string{"-network", "mainnet"}, nem.Mainnet, `from="-network (the key file names no network)"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startFile(t, tc.path, append([]string{"-sim", "-owners", owner}, tc.args...)...)
			info, err := (&hubclient.Client{Hub: h.url, Key: devKey}).Device(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if info.Network != tc.want || info.Address != devKey.PublicKey().Address(tc.want) {
				t.Errorf("GET /v1/device: network %v, address %v; want %v", info.Network, info.Address, tc.want)
			}
			if want := "msg=network network=" + tc.want.String() + " " + tc.from; !strings.Contains(h.log.String(), want) {
				t.Errorf("log lacks %q:\n%s", want, h.log)
			}
		})
	}

	for _, tc := range []struct {
		path, flag, file string
	}{
		{mainnetFile, "testnet", "mainnet"},
		{mainnetFile, "mijin", "mainnet"},
		{testnetFile, "mainnet", "testnet"},
	} {
		code, out := runOnce("-key", tc.path, "-sim", "-owners", owner, "-network", tc.flag)
		want := fmt.Sprintf(`hub: -network %s conflicts with %s's network %s ("# network: %s"); drop -network or use that network's key`, tc.flag, tc.path, tc.file, tc.file)
		if code != 2 || !slices.Equal(hubLines(out), []string{want}) {
			t.Errorf("%s with -network %s: exit %d, want 2 and\n%s\ngot:\n%s", tc.file, tc.flag, code, want, out)
		}
	}

	// The key in the environment records its network the same way.
	b, err := os.ReadFile(mainnetFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(serve.KeyEnv, string(b))
	code, out := runOnce("-sim", "-owners", owner, "-network", "testnet")
	if want := "hub: -network testnet conflicts with $" + serve.KeyEnv + "'s network mainnet"; code != 2 || !strings.Contains(out, want) {
		t.Errorf("$%s mainnet with -network testnet: exit %d, want 2 and %q\n%s", serve.KeyEnv, code, want, out)
	}
}

// TestKeyFileExposedWarns: a key file that others can read is refused
// with a usage error saying how to fix it; with -insecure-key-perms it is
// logged as a warning, and the hub starts.
func TestKeyFileExposedWarns(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no mode bits on Windows")
	}
	devKey := newKey(t)
	path := writeKey(t, &keyfile.File{Key: devKey, Network: nem.Testnet})
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	owner := newKey(t).PublicKey().String()
	code, out := runOnce("-key", path, "-sim", "-owners", owner)
	if want := "run chmod 600 " + path + " (or -insecure-key-perms to run anyway)"; code != 2 || !strings.Contains(out, want) || strings.Contains(out, devKey.Hex()) {
		t.Errorf("exposed key file: exit %d, want 2 and %q\n%s", code, want, out)
	}
	h := startFile(t, path, "-sim", "-owners", owner, "-insecure-key-perms")
	logs := h.log.String()
	want := "level=WARN msg=\"" + keyfile.ErrExposed.Error() + ": " + path + " has mode 0644; run chmod 600 " + path + "\""
	if !strings.Contains(logs, want) {
		t.Errorf("log lacks\n%s\n%s", want, logs)
	}
	if strings.Contains(logs, devKey.Hex()) {
		t.Error("the private key is in the log")
	}
}

// TestSimPins: -sim knows the pin names a Raspberry Pi knows for the GPIOs
// of its 40-pin header (chip name, number, header position) and refuses
// others, as the Pi's gpioreg would; the status shows the names given.
func TestSimPins(t *testing.T) {
	path := writeKey(t, &keyfile.File{Key: newKey(t)})
	owners := []string{"-key", path, "-sim", "-owners", newKey(t).PublicKey().String()}
	for _, name := range []string{"NOPE", "gpio17", "GPIO28", "P1_1", "P1_6", "P1_41", "28", "-1"} {
		code, out := runOnce(append(owners, "-pins", "light="+name+",fan=GPIO18")...)
		if code != 1 || !strings.Contains(out, fmt.Sprintf(`hub: -pins: unknown pin: %q (for "light")`, name)) || !strings.Contains(out, "hub: -sim simulates a Raspberry Pi's 40-pin header") {
			t.Errorf("-sim -pins light=%s: exit %d, want 1 and a refusal naming it\n%s", name, code, out)
		}
	}

	for _, tc := range []struct{ light, fan string }{
		{"GPIO17", "GPIO18"}, {"P1_11", "P1_12"}, {"17", "18"}, {"GPIO0", "GPIO27"}, {"P1_3", "P1_40"},
	} {
		h := startFile(t, path, append(owners, "-pins", "light="+tc.light+",fan="+tc.fan)...)
		state, err := h.dev.State(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(state)
		var st status
		if err := json.Unmarshal(b, &st); err != nil || st.Light.Pin != tc.light || st.Fan.Pin != tc.fan {
			t.Errorf("-pins light=%s,fan=%s: status %s", tc.light, tc.fan, b)
		}
		if code := h.shutdown(t); code != 0 {
			t.Errorf("exit %d\n%s", code, h.log)
		}
	}
}

// TestOwnersRefused: -owners refuses a key listed twice (in any letter
// case) and the device's own key, naming the key, with a usage error.
func TestOwnersRefused(t *testing.T) {
	devKey, owner := newKey(t), newKey(t)
	path := writeKey(t, &keyfile.File{Key: devKey})
	o, d := owner.PublicKey().String(), devKey.PublicKey().String()
	for _, tc := range []struct{ owners, want string }{
		{o + "," + o, "hub: -owners: public key " + o + " is listed twice"},
		{o + "," + strings.ToUpper(o), "hub: -owners: public key " + o + " is listed twice"},
		{d, "hub: -owners: public key " + d + " is the device's own key (-key); an owner is the key of whoever commands the device (examples/keygen -owner makes one)"},
		{o + "," + d, "hub: -owners: public key " + d + " is the device's own key"},
	} {
		code, out := runOnce("-key", path, "-sim", "-owners", tc.owners)
		if l := hubLines(out); code != 2 || len(l) != 1 || !strings.HasPrefix(l[0], tc.want) {
			t.Errorf("-owners %s: exit %d, want 2 and %q\n%s", tc.owners, code, tc.want, out)
		}
	}
}

// TestNodesRefused: a -nodes entry that is not an http or https URL with
// a host (which the quorum could never ask) is a usage error at start,
// naming the entry and how to write it.
func TestNodesRefused(t *testing.T) {
	path := writeKey(t, &keyfile.File{Key: newKey(t)})
	good := "http://127.0.0.1:1,http://127.0.0.2:1,http://127.0.0.3:1"
	for _, tc := range []struct{ node, want string }{
		{"127.0.0.1:7890", `hub: -nodes: node "127.0.0.1:7890" is not an http or https URL with a host; write http://127.0.0.1:7890 (NIS serves http on 7890, https on 7891)`},
		{"localhost:7890", `hub: -nodes: node "localhost:7890" is not an http or https URL with a host; write http://localhost:7890 (NIS serves http on 7890, https on 7891)`},
		{"hugealice.nem.ninja", `hub: -nodes: node "hugealice.nem.ninja" is not an http or https URL with a host; write http://hugealice.nem.ninja:7890 (NIS serves http on 7890, https on 7891)`},
		{"ftp://127.0.0.1:7890", `hub: -nodes: node "ftp://127.0.0.1:7890" is not an http or https URL with a host`},
		{"http://", `hub: -nodes: node "http://" is not an http or https URL with a host`},
	} {
		code, out := runOnce("-key", path, "-sim", "-nodes", good+","+tc.node)
		if !slices.Equal(hubLines(out), []string{tc.want}) || code != 2 {
			t.Errorf("-nodes …,%s: exit %d, want 2 and\n%s\ngot:\n%s", tc.node, code, tc.want, out)
		}
	}
}

// TestConfigErrorOnce: a configuration the owner quorum refuses is a
// usage error whose message says "invalid configuration" once.
func TestConfigErrorOnce(t *testing.T) {
	path := writeKey(t, &keyfile.File{Key: newKey(t)})
	code, out := runOnce("-key", path, "-sim", "-nodes", "http://127.0.0.1:1,http://127.0.0.1:2")
	want := "hub: owner quorum: multisig: invalid configuration: 2 nodes cannot give a quorum of 3"
	if code != 2 || !slices.Equal(hubLines(out), []string{want}) || strings.Count(out, "invalid configuration") != 1 {
		t.Errorf("exit %d, want 2 and\n%s\ngot:\n%s", code, want, out)
	}
}

// TestFixedOwnersChecked: OwnerSource takes fixed owners through
// command.NewStaticOwners, so a key that cannot be an owner is an error,
// not silently dropped (leaving a device that obeys no one).
func TestFixedOwnersChecked(t *testing.T) {
	good := newKey(t).PublicKey()
	for _, tc := range []struct {
		bad  nem.PublicKey
		want error
	}{
		{nem.PublicKey{}, nem.ErrWeakKey},        // all zero: small order
		{nem.PublicKey{0: 2}, nem.ErrInvalidKey}, // not a curve point
		{nem.PublicKey{0: 1}, nem.ErrWeakKey},    // the identity
	} {
		cfg := &serve.Config{Key: newKey(t), Network: nem.Testnet, Owners: []nem.PublicKey{good, tc.bad}}
		src, _, err := serve.OwnerSource(context.Background(), cfg)
		if !errors.Is(err, tc.want) || !errors.Is(err, serve.ErrConfig) || src != nil {
			t.Errorf("owner %s: %v, want an error wrapping %v and serve.ErrConfig", tc.bad, err, tc.want)
		}
	}
}

// TestNoQuorumWarningShort: with no node answering, the hub logs one short
// warning line naming the failed nodes and what to do (-owners offline,
// or reachable -nodes), not every node's full error (3 KB before); the
// details are at debug level. The hub still serves and refuses commands.
func TestNoQuorumWarningShort(t *testing.T) {
	var nodes []string
	for range 3 { // nodes that fail every request
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, strings.Repeat("upstream failure ", 40), http.StatusBadGateway)
		}))
		t.Cleanup(srv.Close)
		nodes = append(nodes, srv.URL)
	}
	// Closed ports (connection refused), closed only once all are taken so
	// that none is handed out twice.
	var closed []net.Listener
	for range 5 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		closed = append(closed, l)
		nodes = append(nodes, "http://"+l.Addr().String()+"/a/long/path/that/the/summary/leaves/out")
	}
	for _, l := range closed {
		l.Close()
	}
	devKey, owner := newKey(t), newKey(t)
	h := start(t, devKey, "-sim", "-nodes", strings.Join(nodes, ","))

	var warn []string
	for l := range strings.Lines(h.log.String()) {
		if strings.Contains(l, "level=WARN") {
			warn = append(warn, l)
		}
	}
	if len(warn) != 1 {
		t.Fatalf("%d warnings, want 1:\n%s", len(warn), h.log)
	}
	line := warn[0]
	// 240 bytes of node summary and the rest of the line (time, message,
	// account, hint) stay within 560 bytes whatever the nodes said.
	if len(line) > 560 {
		t.Errorf("warning is %d bytes, want at most 560:\n%s", len(line), line)
	}
	for _, want := range []string{
		`msg="owners unknown: no quorum of NIS nodes answered; commands are refused until one does"`,
		"account=" + devKey.PublicKey().Address(nem.Testnet).String(),
		`nodes="8 of 8 asked failed (127.0.0.1:`, " and 5 more): connection refused ×5, nis: /account/get: 502 Bad Gateway ×3;",
		"; 3 agreeing answers needed\"",
		`hint="offline lab: -owners OWNER_KEY; else -nodes with 3+ reachable operators"`,
	} {
		if !strings.Contains(line, want) {
			t.Errorf("warning lacks %q:\n%s", want, line)
		}
	}
	for _, detail := range []string{"account/get?address=", "upstream failure", "long/path", "dial tcp"} {
		if strings.Contains(line, detail) {
			t.Errorf("warning holds details (%q):\n%s", detail, line)
		}
	}
	c := &hubclient.Client{Hub: h.url, Key: owner}
	if _, _, err := c.Send(context.Background(), devKey.PublicKey(), command.Command{Name: "status"}); !errors.Is(err, hubclient.ErrRefused) {
		t.Errorf("command without known owners: %v, want refused", err)
	}
}
