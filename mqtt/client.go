package mqtt

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/nem"
)

// DefaultTimeout is how long [Client.Send] waits for a reply.
const DefaultTimeout = 10 * time.Second

// ClientOptions configures an app's [Client]; nil means all defaults.
type ClientOptions struct {
	// Prefix is the first part of the topics; "" means DefaultPrefix.
	Prefix string
	// Timeout is how long Send waits for a verified reply; 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// Clock dates commands and checks replies' dates; nil means time.Now.
	Clock func() time.Time
	// Rand is the randomness for commands; nil means crypto/rand.
	Rand io.Reader
}

// Client is an owner's app on a broker: it sends sealed commands to
// devices and waits for their verified replies. It is safe for concurrent
// use; keep one per app key. Its session is clean (a random client id): a
// reply that comes while the app is not connected is lost, and Send times
// out.
type Client struct {
	app     *nem.PrivateKey
	pub     nem.PublicKey
	prefix  string
	timeout time.Duration
	clock   func() time.Time
	rand    io.Reader
	link    *link
	replies string // the replies subscription, PREFIX/+/replies/APP
	closed  chan struct{}
	once    sync.Once

	mu      sync.Mutex
	senders map[nem.PublicKey]*command.Sender
	pending map[nem.PublicKey][]*waiter
	pres    sync.Mutex // one presence lookup at a time
}

// waiter is one Send waiting for its reply.
type waiter struct {
	env   []byte
	s     *command.Sender
	reply chan *command.Reply
}

// Dial connects app's Client to the broker in cfg and subscribes to the
// replies for app. It returns once the subscription is in place, or with
// ctx's error (or the last connection error) if ctx ends first. The Client
// reconnects by itself as a device does.
func Dial(ctx context.Context, cfg Config, app *nem.PrivateKey, opts *ClientOptions) (*Client, error) {
	if app == nil {
		return nil, fmt.Errorf("%w: no app key", ErrConfig)
	}
	var o ClientOptions
	if opts != nil {
		o = *opts
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	c := &Client{
		app:     app,
		pub:     app.PublicKey(),
		prefix:  withPrefix(o.Prefix),
		timeout: o.Timeout,
		clock:   o.Clock,
		rand:    o.Rand,
		closed:  make(chan struct{}),
		senders: map[nem.PublicKey]*command.Sender{},
		pending: map[nem.PublicKey][]*waiter{},
	}
	c.replies = c.prefix + "/+/replies/" + c.pub.String()
	var id [8]byte
	rand.Read(id[:])
	l, err := newLink(&cfg, "nemiot-app-"+hex.EncodeToString(id[:6]), true, nil, c.receive, false)
	if err != nil {
		return nil, err
	}
	l.onUp = c.up
	c.link = l
	l.start()
	if err := l.waitUp(ctx, nil); err != nil {
		c.Close()
		return nil, fmt.Errorf("mqtt: connecting to %s: %w", l.ep.addr, err)
	}
	return c, nil
}

// up subscribes to the app's replies on each new connection.
func (c *Client) up(ctx context.Context) error {
	return c.link.subscribe(ctx, c.replies, nil)
}

// sender returns the cached command.Sender for dev.
func (c *Client) sender(dev nem.PublicKey) (*command.Sender, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.senders[dev]; s != nil {
		return s, nil
	}
	s, err := command.NewSender(c.app, dev)
	if err != nil {
		return nil, err
	}
	c.senders[dev] = s
	return s, nil
}

// Send seals cmd for device, publishes it to the device's commands topic
// at QoS 1, and waits for the device's reply, which it verifies (signed by
// the device, for this app, answering this command, fresh) before it
// returns it. A reply with OK false is the device refusing to act (unknown
// command, bad args, a hardware error): its Error says why.
//
// If no verified reply comes within the Client's timeout, Send returns a
// [*NoReplyError]: over MQTT a refused envelope gets no answer at all, so
// the device refused it or is offline; the error carries the device's
// presence, which tells which. ctx bounds the whole call.
func (c *Client) Send(ctx context.Context, device nem.PublicKey, cmd command.Command) (*command.Reply, error) {
	select {
	case <-c.closed:
		return nil, ErrClosed
	default:
	}
	s, err := c.sender(device)
	if err != nil {
		return nil, err
	}
	env, err := s.Seal(c.rand, cmd, c.clock())
	if err != nil {
		return nil, err
	}
	w := &waiter{env: env, s: s, reply: make(chan *command.Reply, 1)}
	c.mu.Lock()
	c.pending[device] = append(c.pending[device], w)
	c.mu.Unlock()
	defer c.forget(device, w)

	timer := time.NewTimer(c.timeout)
	defer timer.Stop()
	tctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if err := c.link.waitUp(tctx, c.closed); err != nil {
		return nil, c.noReply(ctx, device, err)
	}
	tok := c.link.c.Publish(CommandsTopic(c.prefix, device), 1, false, env)
	if err := wait(tctx, tok, c.timeout); err != nil {
		if tctx.Err() != nil {
			return nil, c.noReply(ctx, device, err)
		}
		return nil, fmt.Errorf("mqtt: publishing the command: %w", err)
	}
	select {
	case r := <-w.reply:
		return r, nil
	case <-timer.C:
		return nil, c.noReply(ctx, device, nil)
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.closed:
		return nil, ErrClosed
	}
}

// noReply makes the NoReplyError for device, with its presence; it
// returns ctx's error instead if ctx, not the Client's timeout, ended the
// wait.
func (c *Client) noReply(ctx context.Context, device nem.PublicKey, cause error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	select {
	case <-c.closed:
		return ErrClosed
	default:
	}
	e := &NoReplyError{Device: device, After: c.timeout}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if p, err := c.Presence(pctx, device); err == nil {
		e.Presence = p
	}
	return e
}

func (c *Client) forget(device nem.PublicKey, w *waiter) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ws := c.pending[device]
	for i, x := range ws {
		if x == w {
			ws = append(ws[:i], ws[i+1:]...)
			break
		}
	}
	if len(ws) == 0 {
		delete(c.pending, device)
	} else {
		c.pending[device] = ws
	}
}

// receive takes a reply envelope (paho's goroutine, in order) and hands
// it to the Send it answers, if it verifies against one of them.
func (c *Client) receive(_ paho.Client, m paho.Message) {
	dev, ok := deviceOfTopic(c.prefix, m.Topic())
	if !ok {
		return
	}
	c.mu.Lock()
	ws := append([]*waiter(nil), c.pending[dev]...)
	c.mu.Unlock()
	now := c.clock()
	for _, w := range ws {
		r, err := w.s.OpenReply(w.env, m.Payload(), now)
		if err == nil {
			select {
			case w.reply <- r:
			default: // a copy of a reply already taken
			}
			return
		}
		if !errors.Is(err, command.ErrWrongCommand) {
			// Not a reply from this device to this app (forged,
			// stale, malformed): no other command would take it.
			return
		}
	}
}

// Presence returns the device's retained presence, as the broker holds it.
// It returns [ErrNoPresence] if the broker has none (the device was never
// online there), or ctx's error. The presence is unsigned: a hint only.
func (c *Client) Presence(ctx context.Context, device nem.PublicKey) (*Presence, error) {
	c.pres.Lock()
	defer c.pres.Unlock()
	if err := c.link.waitUp(ctx, c.closed); err != nil {
		return nil, err
	}
	topic := StatusTopic(c.prefix, device)
	got := make(chan []byte, 1)
	err := c.link.subscribe(ctx, topic, func(_ paho.Client, m paho.Message) {
		select {
		case got <- m.Payload():
		default:
		}
	})
	if err != nil {
		return nil, fmt.Errorf("mqtt: presence: %w", err)
	}
	defer c.link.c.Unsubscribe(topic)
	// A broker sends the retained message right after it grants the
	// subscription; one that has sent none within a second holds none.
	t := time.NewTimer(min(c.link.timeout, time.Second))
	defer t.Stop()
	select {
	case b := <-got:
		var p Presence
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, fmt.Errorf("mqtt: presence of %s is not JSON: %w", device, err)
		}
		return &p, nil
	case <-t.C:
		return nil, ErrNoPresence
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close disconnects the Client; Sends in progress return ErrClosed.
func (c *Client) Close() error {
	c.once.Do(func() {
		close(c.closed)
		c.link.stop(100 * time.Millisecond)
	})
	return nil
}
