package mqtt_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/mqtt"
	"github.com/nemiot/nemiot/nem"
)

// testKey returns a private key derived from label (test keys only).
func testKey(t testing.TB, label string) *nem.PrivateKey {
	t.Helper()
	d := sha256.Sum256([]byte("nemiot/mqtt/test/" + label))
	k, err := nem.NewPrivateKey(d[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// counter is a Handler that counts the runs of each command (by nonce) and
// answers {"echo": name}; "fail" answers with an error.
type counter struct {
	mu    sync.Mutex
	runs  map[[16]byte]int
	total int
	halts int
	ran   chan string // if set, gets each command's name
}

func newCounter() *counter { return &counter{runs: map[[16]byte]int{}} }

func (c *counter) Handle(ctx context.Context, req *command.Request) (any, error) {
	c.mu.Lock()
	c.runs[req.Nonce]++
	c.total++
	c.mu.Unlock()
	if c.ran != nil {
		c.ran <- req.Command.Name
	}
	if req.Command.Name == "fail" {
		return nil, errors.New("the fan is jammed")
	}
	return map[string]string{"echo": req.Command.Name}, nil
}

func (c *counter) Halt() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.halts++
	return nil
}

// twice reports the commands that ran more than once.
func (c *counter) twice() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, r := range c.runs {
		if r > 1 {
			n++
		}
	}
	return n
}

func (c *counter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// rig is a device key, an owner key, and the device's Opener and Handler.
type rig struct {
	dev, owner *nem.PrivateKey
	opener     *command.Opener
	h          *counter
}

func newRig(t testing.TB, label string) *rig {
	r := &rig{dev: testKey(t, label+"/device"), owner: testKey(t, label+"/owner"), h: newCounter()}
	r.opener = &command.Opener{Device: r.dev, Owners: command.StaticOwners(r.owner.PublicKey())}
	return r
}

// fast is a Config for tests: quick reconnection.
func fast(url string) mqtt.Config {
	return mqtt.Config{Broker: url, MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, ConnectTimeout: 5 * time.Second}
}

// startDevice starts r's device on url and waits until it is online.
func (r *rig) startDevice(t testing.TB, cfg mqtt.Config, opts *mqtt.DeviceOptions) *mqtt.Device {
	t.Helper()
	d, err := mqtt.Start(cfg, r.opener, r.h, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Shutdown(context.Background()) })
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := d.Ready(ctx); err != nil {
		t.Fatalf("device not ready: %v", err)
	}
	return d
}

// dial connects an app with key k.
func dial(t testing.TB, cfg mqtt.Config, k *nem.PrivateKey, opts *mqtt.ClientOptions) *mqtt.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := mqtt.Dial(ctx, cfg, k, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// send sends cmd and fails the test unless a verified ok reply echoes it.
func send(t testing.TB, c *mqtt.Client, dev nem.PublicKey, name string) {
	t.Helper()
	rep, err := c.Send(context.Background(), dev, command.Command{Name: name})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var got map[string]string
	if !rep.OK || json.Unmarshal(rep.Result, &got) != nil || got["echo"] != name {
		t.Fatalf("%s: reply ok=%v result=%s error=%q", name, rep.OK, rep.Result, rep.Error)
	}
}

// watcher is a plain MQTT client that records what arrives on a topic
// filter, and publishes raw payloads.
type watcher struct {
	c    paho.Client
	mu   sync.Mutex
	msgs [][]byte
	note chan struct{}
}

func newWatcher(t testing.TB, url, filter string) *watcher {
	t.Helper()
	w := &watcher{note: make(chan struct{}, 1)}
	o := paho.NewClientOptions().AddBroker(url).SetClientID("watcher-" + t.Name()[:min(len(t.Name()), 10)] + randID()).SetCleanSession(true)
	w.c = paho.NewClient(o)
	if tok := w.c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("watcher: %v", tok.Error())
	}
	t.Cleanup(func() { w.c.Disconnect(0) })
	if tok := w.c.Subscribe(filter, 1, func(_ paho.Client, m paho.Message) {
		w.mu.Lock()
		w.msgs = append(w.msgs, m.Payload())
		w.mu.Unlock()
		select {
		case w.note <- struct{}{}:
		default:
		}
	}); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("watcher: %v", tok.Error())
	}
	return w
}

func randID() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// count returns how many messages arrived.
func (w *watcher) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.msgs)
}

// wait waits until at least n messages arrived (or 10 s passed) and
// returns how many did.
func (w *watcher) wait(t testing.TB, n int) int {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for w.count() < n {
		select {
		case <-w.note:
		case <-deadline:
			return w.count()
		}
	}
	return w.count()
}

// until waits (10 s at most) for a message that ok accepts.
func (w *watcher) until(t testing.TB, ok func([]byte) bool) bool {
	t.Helper()
	deadline := time.After(10 * time.Second)
	seen := 0
	for {
		w.mu.Lock()
		msgs := w.msgs[seen:]
		seen = len(w.msgs)
		w.mu.Unlock()
		for _, m := range msgs {
			if ok(m) {
				return true
			}
		}
		select {
		case <-w.note:
		case <-deadline:
			return false
		}
	}
}

// publish publishes payload to topic at QoS 1 and waits for the broker.
func (w *watcher) publish(t testing.TB, topic string, payload []byte) {
	t.Helper()
	if tok := w.c.Publish(topic, 1, false, payload); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
}
