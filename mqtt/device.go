package mqtt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/nem"
)

// Defaults for [DeviceOptions] and [FleetOptions].
const (
	// DefaultHandleTimeout bounds one Handler call.
	DefaultHandleTimeout = 15 * time.Second
	// DefaultMaxEnvelope is the largest message taken from a commands
	// topic; larger ones are dropped unread.
	DefaultMaxEnvelope = 64 << 10
	// DefaultMaxQueued bounds the envelopes waiting for a worker.
	DefaultMaxQueued = 4096
	// DefaultMaxPerSender bounds the envelopes waiting from one sender
	// key to one device.
	DefaultMaxPerSender = 32
)

// DeviceOptions configures one device identity; nil means all defaults.
type DeviceOptions struct {
	// Prefix is the first part of the topics; "" means DefaultPrefix.
	Prefix string
	// Network is the network of the address in the presence message; 0
	// means nem.Testnet.
	Network nem.Network
	// HandleTimeout bounds each Handler call; 0 means
	// DefaultHandleTimeout.
	HandleTimeout time.Duration
	// MaxEnvelope is the largest message taken; 0 means
	// DefaultMaxEnvelope.
	MaxEnvelope int
	// Rand is the randomness for replies; nil means crypto/rand. It must
	// be safe for concurrent use.
	Rand io.Reader
	// OnReply, if set, is called for every reply the device makes to an
	// accepted command, with its ok (false when the device refused to act),
	// before the reply is published. For metrics: it runs on a worker
	// goroutine, so it must be fast and safe for concurrent use. Refused
	// envelopes are seen by the Opener's OnOpen.
	OnReply func(ok bool)
}

// FleetOptions configures the work a [Fleet] shares among its devices (a
// lone [Device] has a fleet of its own); nil means all defaults.
type FleetOptions struct {
	// Workers is how many envelopes are opened and handled at once, for
	// all the fleet's devices together; 0 means 4 × GOMAXPROCS, at least
	// 16.
	Workers int
	// MaxQueued bounds the envelopes waiting for a worker; 0 means
	// DefaultMaxQueued. Beyond it, messages are dropped.
	MaxQueued int
	// MaxPerSender bounds the envelopes waiting from one sender key to one
	// device; 0 means DefaultMaxPerSender.
	MaxPerSender int
}

// Stats counts what a device did with the messages on its commands topic.
type Stats struct {
	// Received is every message taken from the commands topic.
	Received uint64
	// Dropped were not opened: not an envelope for this device (wrong
	// size, version, kind or recipient), or the queue was full.
	Dropped uint64
	// Refused were opened and refused by the Opener: no reply was sent.
	Refused uint64
	// Replied are commands run and answered (ok or not): counted when the
	// reply is sealed, before it is published.
	Replied uint64
	// Connects counts connections made (the first, then reconnections).
	Connects uint64
}

// Fleet hosts many device identities in one process, one key and one
// broker connection each, sharing one pool of workers and one fair queue.
// A gateway for a group of devices, or a simulator, is a Fleet; a single
// device can use [Start]. A Fleet is safe for concurrent use.
type Fleet struct {
	q       *fairQueue
	workers int
	start   sync.Once
	stop    chan struct{}
	wg      sync.WaitGroup

	mu      sync.Mutex
	devices map[*Device]struct{}
	closed  bool
}

// NewFleet returns an empty fleet; its workers start with its first
// device.
func NewFleet(opts *FleetOptions) *Fleet {
	var o FleetOptions
	if opts != nil {
		o = *opts
	}
	if o.Workers <= 0 {
		o.Workers = max(16, 4*runtime.GOMAXPROCS(0))
	}
	if o.MaxQueued <= 0 {
		o.MaxQueued = DefaultMaxQueued
	}
	if o.MaxPerSender <= 0 {
		o.MaxPerSender = DefaultMaxPerSender
	}
	return &Fleet{
		q:       newFairQueue(o.MaxQueued, o.MaxPerSender),
		workers: o.Workers,
		stop:    make(chan struct{}),
		devices: map[*Device]struct{}{},
	}
}

// Device is one device identity on a broker: it takes command envelopes
// from its commands topic, runs them through the same [command.Serve]
// path as the HTTP hub, and publishes each reply to the sender's replies
// topic. Start it with [Start] or [Fleet.Start]; stop it with
// [Device.Shutdown].
type Device struct {
	fleet   *Fleet
	own     bool // the fleet is this device's alone
	opener  *command.Opener
	h       command.Handler
	pub     nem.PublicKey
	prefix  string
	network nem.Network
	timeout time.Duration
	maxEnv  int
	rand    io.Reader
	onReply func(ok bool)
	log     *slog.Logger
	link    *link
	topic   string // the commands topic
	status  string // the status topic

	mu       sync.Mutex
	closing  bool
	inflight sync.WaitGroup
	done     chan struct{} // closed when Shutdown starts

	received, dropped, refused, replied atomic.Uint64
}

// Start connects a device to the broker in cfg and serves it: each command
// envelope on its commands topic is opened with opener and run on h. It
// returns at once; the device connects (and reconnects) in the background
// — see [Device.Ready]. The device has a worker pool of its own; to host
// many identities in one process, use a [Fleet].
//
// The device's MQTT session is persistent (clean session off, client id
// from its public key), so the broker keeps its subscription and queues
// QoS 1 commands while it is offline; each is still judged by the
// Opener's time window when it arrives.
func Start(cfg Config, opener *command.Opener, h command.Handler, opts *DeviceOptions) (*Device, error) {
	f := NewFleet(nil)
	d, err := f.Start(cfg, opener, h, opts)
	if err != nil {
		return nil, err
	}
	d.own = true
	return d, nil
}

// ClientID returns the MQTT client id of the device with key dev:
// "nemiot-" and the first 16 hex digits of the key (23 characters, the
// most MQTT 3.1.1 promises every broker takes).
func ClientID(dev nem.PublicKey) string { return "nemiot-" + dev.String()[:16] }

// Start adds a device to the fleet, as the package's [Start] does.
func (f *Fleet) Start(cfg Config, opener *command.Opener, h command.Handler, opts *DeviceOptions) (*Device, error) {
	if opener == nil || opener.Device == nil || opener.Owners == nil {
		return nil, fmt.Errorf("%w: an Opener with a Device key and Owners is required", ErrConfig)
	}
	if h == nil {
		return nil, fmt.Errorf("%w: no Handler", ErrConfig)
	}
	var o DeviceOptions
	if opts != nil {
		o = *opts
	}
	if o.Network == 0 {
		o.Network = nem.Testnet
	}
	if !o.Network.Valid() {
		return nil, fmt.Errorf("%w: unknown network %v", ErrConfig, o.Network)
	}
	if o.HandleTimeout <= 0 {
		o.HandleTimeout = DefaultHandleTimeout
	}
	if o.MaxEnvelope <= 0 {
		o.MaxEnvelope = DefaultMaxEnvelope
	}
	pub := opener.Device.PublicKey()
	d := &Device{
		fleet:   f,
		opener:  opener,
		h:       h,
		pub:     pub,
		prefix:  withPrefix(o.Prefix),
		network: o.Network,
		timeout: o.HandleTimeout,
		maxEnv:  o.MaxEnvelope,
		rand:    o.Rand,
		onReply: o.OnReply,
		log:     cfg.Logger,
		topic:   CommandsTopic(o.Prefix, pub),
		status:  StatusTopic(o.Prefix, pub),
		done:    make(chan struct{}),
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	will := &message{topic: d.status, payload: presenceJSON(false, pub, o.Network), qos: 1, retained: true}
	l, err := newLink(&cfg, ClientID(pub), false, will, d.receive, true)
	if err != nil {
		return nil, err
	}
	l.onUp = d.up
	d.link = l

	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil, ErrClosed
	}
	f.devices[d] = struct{}{}
	f.mu.Unlock()
	f.start.Do(f.run)
	l.start()
	return d, nil
}

// PublicKey returns the device's public key.
func (d *Device) PublicKey() nem.PublicKey { return d.pub }

// Ready waits until the device is online: connected, subscribed to its
// commands topic, and its presence published as online. It returns
// ErrClosed once Shutdown has started, or ctx's error.
func (d *Device) Ready(ctx context.Context) error { return d.link.waitUp(ctx, d.done) }

// Stats returns the device's counters.
func (d *Device) Stats() Stats {
	return Stats{
		Received: d.received.Load(),
		Dropped:  d.dropped.Load(),
		Refused:  d.refused.Load(),
		Replied:  d.replied.Load(),
		Connects: d.link.connects.Load(),
	}
}

// up makes a new connection ready: subscribe to the commands topic, then
// (online means ready) publish the presence.
func (d *Device) up(ctx context.Context) error {
	if err := d.link.subscribe(ctx, d.topic, nil); err != nil {
		return err
	}
	tok := d.link.c.Publish(d.status, 1, true, presenceJSON(true, d.pub, d.network))
	if err := wait(ctx, tok, d.link.timeout); err != nil {
		return fmt.Errorf("publishing presence: %w", err)
	}
	return nil
}

// receive is paho's handler for every message to the device (in order,
// on paho's goroutine: it must not block). It acknowledges the message
// and queues the envelope, unless the device is shutting down: then the
// message is left unacknowledged, and the broker delivers it again to the
// device's next session.
func (d *Device) receive(_ paho.Client, m paho.Message) {
	d.mu.Lock()
	if d.closing {
		d.mu.Unlock()
		return
	}
	d.inflight.Add(1)
	d.mu.Unlock()
	m.Ack()
	d.received.Add(1)
	env := m.Payload()
	if m.Topic() != d.topic || !d.mayBeForMe(env) || !d.fleet.q.push(flowKey{dev: d, sender: senderOf(env)}, env) {
		d.dropped.Add(1)
		d.inflight.Done()
	}
}

// Envelope header offsets (the wire format in DESIGN §5, package command):
// version 0, kind 1, sender 3-34, recipient 35-66.
const (
	offKind      = 1
	offSender    = 3
	offRecipient = 35
)

// mayBeForMe is a look at the clear header that costs nothing, so that
// junk does not take a place in the queue: the Opener checks all of it
// again, and much more.
func (d *Device) mayBeForMe(env []byte) bool {
	return len(env) >= command.HeaderSize+nem.SignatureSize && len(env) <= d.maxEnv &&
		env[0] == command.Version && (env[offKind] == command.KindCommand || env[offKind] == command.KindCosigned) &&
		bytes.Equal(env[offRecipient:offRecipient+nem.PublicKeySize], d.pub[:])
}

func senderOf(env []byte) nem.PublicKey {
	var k nem.PublicKey
	copy(k[:], env[offSender:offSender+nem.PublicKeySize])
	return k
}

// run starts the fleet's workers.
func (f *Fleet) run() {
	for range f.workers {
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			for {
				select {
				case <-f.stop:
					return
				case <-f.q.tokens:
				}
				k, env := f.q.pop()
				k.dev.serve(env)
			}
		}()
	}
}

// serve runs one envelope through command.Serve and publishes the reply.
func (d *Device) serve(env []byte) {
	defer d.inflight.Done()
	ctx := context.Background()
	out, err := command.Serve(ctx, d.opener, d.h, env, &command.ServeOptions{Rand: d.rand, Timeout: d.timeout})
	if out == nil {
		// Silence: subscribers learn nothing; the reason is for the log.
		d.refused.Add(1)
		d.log.LogAttrs(ctx, slog.LevelInfo, "mqtt: refused", slog.String("device", d.pub.String()), slog.String("reason", err.Error()))
		return
	}
	cmd := truncate(out.Request.Command.Name, 64)
	if out.Fault != "" {
		d.log.LogAttrs(ctx, slog.LevelError, "mqtt: "+out.Fault, slog.String("device", d.pub.String()), slog.String("cmd", cmd))
	}
	if err != nil {
		d.log.LogAttrs(ctx, slog.LevelError, "mqtt: no reply", slog.String("device", d.pub.String()), slog.String("cmd", cmd), slog.String("error", err.Error()))
		return
	}
	d.replied.Add(1)
	if d.onReply != nil {
		d.onReply(out.Err == nil)
	}
	// A reply is worth sending while the sender may still accept its date.
	ctx, cancel := context.WithTimeout(ctx, command.DefaultWindow)
	defer cancel()
	if err := d.publishReply(ctx, out.Request.Sender, out.Reply); err != nil {
		d.log.LogAttrs(ctx, slog.LevelWarn, "mqtt: reply not published", slog.String("device", d.pub.String()), slog.String("cmd", cmd), slog.String("error", err.Error()))
		return
	}
	attrs := []slog.Attr{slog.String("device", d.pub.String()), slog.String("sender", out.Request.Sender.String()), slog.String("cmd", cmd), slog.Bool("ok", out.Err == nil)}
	if out.Err != nil {
		attrs = append(attrs, slog.String("reason", out.Err.Error()))
	}
	d.log.LogAttrs(ctx, slog.LevelInfo, "mqtt: command", attrs...)
}

// publishReply publishes reply at QoS 1 and waits for the broker to take
// it. If the connection is down, it waits for the next one: once paho has
// stored a QoS 1 message it sends it again on the next connection by
// itself, so only a message paho never took is published again.
func (d *Device) publishReply(ctx context.Context, sender nem.PublicKey, reply []byte) error {
	topic := RepliesTopic(d.prefix, d.pub, sender)
	for {
		if err := d.link.waitUp(ctx, nil); err != nil {
			return err
		}
		tok := d.link.c.Publish(topic, 1, false, reply)
		err := wait(ctx, tok, command.DefaultWindow)
		if !errors.Is(err, paho.ErrNotConnected) {
			return err
		}
	}
}

// Shutdown stops the device cleanly: new messages are left to the broker
// (for the device's next session), its presence becomes offline, the
// commands already taken are run and answered, the Handler is halted if it
// is a [command.Halter], and the connection is closed. If ctx ends first,
// Shutdown halts and disconnects at once and returns ctx's error. The
// device's own fleet (from [Start]) stops with it.
func (d *Device) Shutdown(ctx context.Context) error {
	d.mu.Lock()
	if d.closing {
		d.mu.Unlock()
		return ErrClosed
	}
	d.closing = true
	close(d.done)
	d.mu.Unlock()

	var errs []error
	if isClosed(d.link.ready()) {
		tok := d.link.c.Publish(d.status, 1, true, presenceJSON(false, d.pub, d.network))
		if err := wait(ctx, tok, d.link.timeout); err != nil {
			errs = append(errs, fmt.Errorf("mqtt: publishing offline presence: %w", err))
		}
	}
	drained := make(chan struct{})
	go func() { d.inflight.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-ctx.Done():
		errs = append(errs, ctx.Err())
	}
	if hl, ok := d.h.(command.Halter); ok {
		if err := hl.Halt(); err != nil {
			errs = append(errs, fmt.Errorf("mqtt: halting the device: %w", err))
		}
	}
	d.link.stop(250 * time.Millisecond)
	d.fleet.mu.Lock()
	delete(d.fleet.devices, d)
	d.fleet.mu.Unlock()
	if d.own {
		d.fleet.close()
	}
	return errors.Join(errs...)
}

// Shutdown shuts every device of the fleet down (see [Device.Shutdown]),
// together, and then stops the workers.
func (f *Fleet) Shutdown(ctx context.Context) error {
	f.mu.Lock()
	f.closed = true
	devs := make([]*Device, 0, len(f.devices))
	for d := range f.devices {
		devs = append(devs, d)
	}
	f.mu.Unlock()
	errs := make([]error, len(devs))
	var wg sync.WaitGroup
	for i, d := range devs {
		wg.Go(func() {
			if err := d.Shutdown(ctx); err != nil && !errors.Is(err, ErrClosed) {
				errs[i] = err
			}
		})
	}
	wg.Wait()
	f.close()
	return errors.Join(errs...)
}

// close stops the workers (once) and waits for them.
func (f *Fleet) close() {
	f.mu.Lock()
	f.closed = true
	select {
	case <-f.stop:
	default:
		close(f.stop)
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// message is a last will.
type message struct {
	topic    string
	payload  []byte
	qos      byte
	retained bool
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
