package hub_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/device"
	"github.com/nemiot/nemiot/device/devicetest"
	"github.com/nemiot/nemiot/hub"
	"github.com/nemiot/nemiot/nem"
)

// testKey derives a private key from a label, so that tests are repeatable.
func testKey(t testing.TB, label string) *nem.PrivateKey {
	t.Helper()
	k, err := labelKey(label)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func labelKey(label string) (*nem.PrivateKey, error) {
	sum := sha256.Sum256([]byte("nemiot hub test key: " + label))
	return nem.NewPrivateKey(sum[:])
}

// detRand is a deterministic byte stream (SHA-256 in counter mode), for
// sealing repeatable envelopes.
type detRand struct {
	seed []byte
	ctr  uint64
	buf  []byte
}

func newDetRand(seed string) *detRand { return &detRand{seed: []byte(seed)} }

func (r *detRand) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(r.buf) == 0 {
			var c [8]byte
			binary.BigEndian.PutUint64(c[:], r.ctr)
			r.ctr++
			s := sha256.Sum256(append(append([]byte{}, r.seed...), c[:]...))
			r.buf = s[:]
		}
		m := copy(p[n:], r.buf)
		r.buf = r.buf[m:]
		n += m
	}
	return n, nil
}

// logBuffer is an io.Writer safe for concurrent use, for capturing logs.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// records returns the JSON log records.
func (l *logBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	dec := json.NewDecoder(bytes.NewReader([]byte(l.String())))
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("log is not JSON lines: %v", err)
		}
		out = append(out, m)
	}
	return out
}

// lightFan is the light and fan of the examples: a switch "light" and a
// level "fan" (arg "speed", 3 steps, full on where the pin has no PWM).
func lightFan(light, fan gpio.PinOut) (*device.Device, error) {
	l, err := device.NewSwitch(light, nil)
	if err != nil {
		return nil, err
	}
	f, err := device.NewLevel(fan, &device.LevelOpts{Arg: "speed", Steps: 3, Fallback: true})
	if err != nil {
		return nil, err
	}
	return device.New(map[string]device.Action{"light": l, "fan": f}, &device.Opts{Name: "sim"})
}

// simDevice is lightFan on simulated pins named GPIO17 and GPIO18.
func simDevice() *device.Device {
	pins := devicetest.NewPins("GPIO17", "GPIO18")
	d, err := lightFan(pins.ByName("GPIO17"), pins.ByName("GPIO18"))
	if err != nil {
		panic(err) // unreachable: simulated pins do not fail
	}
	return d
}

// rig is a hub in front of a light-and-fan device on gpiotest pins, with an
// owner and a stranger who may send it commands.
type rig struct {
	devKey, owner, stranger *nem.PrivateKey
	light, fan              *gpiotest.Pin
	dev                     *device.Device
	rec                     *devicetest.Recorder // what reached the device
	opener                  *command.Opener
	handler                 http.Handler
	logs                    *logBuffer
	url                     string // the server's URL, once serving
}

func newRig(t testing.TB, opts *hub.Options) *rig {
	t.Helper()
	r := &rig{
		devKey:   testKey(t, "device"),
		owner:    testKey(t, "owner"),
		stranger: testKey(t, "stranger"),
		light:    &gpiotest.Pin{N: "GPIO17", Num: 17},
		fan:      &gpiotest.Pin{N: "GPIO18", Num: 18},
		logs:     &logBuffer{},
	}
	dev, err := lightFan(r.light, r.fan)
	if err != nil {
		t.Fatal(err)
	}
	r.dev = dev
	r.rec = &devicetest.Recorder{Device: dev}
	r.opener = &command.Opener{Device: r.devKey, Owners: command.StaticOwners(r.owner.PublicKey())}
	var o hub.Options
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewJSONHandler(r.logs, nil))
	}
	r.handler = hub.New(r.opener, r.rec, &o) // a Recorder is a hub.Handler
	return r
}

// serve starts an httptest server for the rig's handler.
func (r *rig) serve(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(r.handler)
	t.Cleanup(srv.Close)
	r.url = srv.URL
	return r.url
}

// seal makes a command envelope from sender to the device, dated now.
func (r *rig) seal(t testing.TB, sender *nem.PrivateKey, name, args string) []byte {
	t.Helper()
	cmd := command.Command{Name: name}
	if args != "" {
		cmd.Args = json.RawMessage(args)
	}
	env, err := command.Seal(nil, sender, r.devKey.PublicKey(), cmd, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// response is what a POST got back.
type response struct {
	status int
	header http.Header
	body   []byte
}

func post(t testing.TB, c *http.Client, url, ctype string, body []byte) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+hub.CommandsPath, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	return do(t, c, req)
}

func do(t testing.TB, c *http.Client, req *http.Request) response {
	t.Helper()
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

// command sends a command from the owner and opens the reply.
func (r *rig) command(t testing.TB, name, args string) *command.Reply {
	t.Helper()
	env := r.seal(t, r.owner, name, args)
	resp := post(t, nil, r.url, "application/octet-stream", env)
	if resp.status != http.StatusOK {
		t.Fatalf("%s %s: status %d, body %q", name, args, resp.status, resp.body)
	}
	if ct := resp.header.Get("Content-Type"); ct != "application/octet-stream" {
		t.Fatalf("reply Content-Type %q", ct)
	}
	rep, err := command.OpenReply(r.owner, r.devKey.PublicKey(), env, resp.body, time.Now())
	if err != nil {
		t.Fatalf("%s: OpenReply: %v", name, err)
	}
	return rep
}

// pins returns the light's level and the fan's level and duty.
func (r *rig) pins() (light, fan gpio.Level, duty gpio.Duty) {
	r.light.Lock()
	light = r.light.L
	r.light.Unlock()
	r.fan.Lock()
	fan, duty = r.fan.L, r.fan.D
	r.fan.Unlock()
	return
}

// checkRefused asserts the uniform 401.
func checkRefused(t testing.TB, what string, resp response) {
	t.Helper()
	if resp.status != http.StatusUnauthorized || string(resp.body) != `{"error":"refused"}` {
		t.Errorf("%s: got %d %q, want 401 {\"error\":\"refused\"}", what, resp.status, resp.body)
	}
	if ct := resp.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q", what, ct)
	}
}

// sendCommand seals a command from owner to the device devKey, posts it to
// url, and opens the reply, which must come with 200. It returns the reply
// and what it says: the result's JSON if ok, else the error text.
func sendCommand(t testing.TB, url string, owner, devKey *nem.PrivateKey, name string) (*command.Reply, string) {
	t.Helper()
	env, err := command.Seal(nil, owner, devKey.PublicKey(), command.Command{Name: name}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp := post(t, nil, url, "", env)
	if resp.status != http.StatusOK {
		t.Fatalf("%s: status %d %q", name, resp.status, resp.body)
	}
	rep, err := command.OpenReply(owner, devKey.PublicKey(), env, resp.body, time.Now())
	if err != nil {
		t.Fatalf("%s: OpenReply: %v", name, err)
	}
	if rep.OK {
		return rep, string(rep.Result)
	}
	return rep, rep.Error
}
