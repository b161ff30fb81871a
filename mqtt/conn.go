package mqtt

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// Environment variables that hold the broker credentials; flags and URLs
// never do.
const (
	EnvUsername = "NEMIOT_MQTT_USERNAME"
	EnvPassword = "NEMIOT_MQTT_PASSWORD"
)

// Defaults for the connection.
const (
	// DefaultMinBackoff and DefaultMaxBackoff bound the reconnect delay:
	// attempt n waits a uniformly random time in [0, min(Max, Min·2ⁿ)]
	// (exponential backoff with full jitter), so a fleet that lost its
	// broker does not come back all at once.
	DefaultMinBackoff = time.Second
	DefaultMaxBackoff = 2 * time.Minute
	// DefaultKeepAlive is the MQTT keep-alive: the broker declares a
	// silent client gone (and publishes its last will) after 1.5 times it.
	DefaultKeepAlive = 30 * time.Second
	// DefaultConnectTimeout bounds one connection attempt (dial, TLS,
	// CONNECT) and each step that makes a connection ready.
	DefaultConnectTimeout = 10 * time.Second
)

// Config says how to reach the broker. The zero value of every field but
// Broker is a working default.
type Config struct {
	// Broker is the broker's URL: tcp:// or mqtt:// (plain, default port
	// 1883), ssl://, tls:// or mqtts:// (TLS, default port 8883). It must
	// not hold credentials.
	Broker string
	// TLS configures TLS for ssl://, tls:// and mqtts://; nil means the
	// system's roots. [LoadTLS] makes one from a CA file and an optional
	// client certificate.
	TLS *tls.Config
	// Credentials, if set, are sent in CONNECT; take them from the
	// environment with [CredentialsFromEnv].
	Credentials *Credentials

	// KeepAlive is the MQTT keep-alive; 0 means DefaultKeepAlive.
	KeepAlive time.Duration
	// ConnectTimeout bounds each connection attempt; 0 means
	// DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// MinBackoff and MaxBackoff bound the reconnect delay (see
	// DefaultMinBackoff); 0 means the defaults.
	MinBackoff, MaxBackoff time.Duration
	// Logger receives connection events (connected, lost, retrying) and,
	// on a device, refusals with their reasons. It never receives key
	// material or credentials. nil discards.
	Logger *slog.Logger
}

// Credentials are an MQTT username and password. The password never
// prints: String, GoString and every fmt verb show it redacted, and
// LogValue keeps it out of logs.
type Credentials struct {
	Username string
	password string
}

// NewCredentials returns the credentials username and password.
func NewCredentials(username, password string) *Credentials {
	return &Credentials{Username: username, password: password}
}

// CredentialsFromEnv returns the credentials in NEMIOT_MQTT_USERNAME and
// NEMIOT_MQTT_PASSWORD, or nil if both are unset or empty.
func CredentialsFromEnv() *Credentials {
	u, p := os.Getenv(EnvUsername), os.Getenv(EnvPassword)
	if u == "" && p == "" {
		return nil
	}
	return NewCredentials(u, p)
}

// String shows the username and a redacted password.
func (c *Credentials) String() string {
	if c == nil {
		return "<nil>"
	}
	return fmt.Sprintf("mqtt.Credentials{Username: %q, password: redacted}", c.Username)
}

// GoString is String.
func (c *Credentials) GoString() string { return c.String() }

// Format prints String for every verb.
func (c *Credentials) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) }

// LogValue logs the username only.
func (c *Credentials) LogValue() slog.Value {
	if c == nil {
		return slog.StringValue("<nil>")
	}
	return slog.GroupValue(slog.String("username", c.Username))
}

// LoadTLS returns a TLS configuration that trusts the CA certificates in
// caFile (PEM) instead of the system's, and, if certFile is set, presents
// the client certificate in certFile with the key in keyFile.
func LoadTLS(caFile, certFile, keyFile string) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt: CA file: %w", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: no PEM certificate in CA file %s", ErrConfig, caFile)
		}
	}
	if certFile != "" || keyFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			// The error names files, never key bytes.
			return nil, fmt.Errorf("mqtt: client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// endpoint is a checked broker URL.
type endpoint struct {
	addr   string // host:port
	tls    bool
	server string // for TLS: the host name to verify
}

func parseBroker(raw string) (endpoint, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return endpoint{}, fmt.Errorf("%w: broker URL %q: want tcp://HOST:PORT or ssl://HOST:PORT", ErrConfig, redactURL(raw))
	}
	if u.User != nil {
		return endpoint{}, fmt.Errorf("%w: credentials in the broker URL; set %s and %s instead", ErrConfig, EnvUsername, EnvPassword)
	}
	var e endpoint
	port := "1883"
	switch strings.ToLower(u.Scheme) {
	case "tcp", "mqtt":
	case "ssl", "tls", "mqtts":
		e.tls, port = true, "8883"
	default:
		return endpoint{}, fmt.Errorf("%w: broker URL scheme %q: want tcp, mqtt, ssl, tls or mqtts", ErrConfig, u.Scheme)
	}
	if u.Port() != "" {
		port = u.Port()
	}
	e.addr = net.JoinHostPort(u.Hostname(), port)
	e.server = u.Hostname()
	return e, nil
}

// redactURL drops anything after the host from a URL for an error message
// (a malformed URL may still hold a password).
func redactURL(raw string) string {
	if i := strings.Index(raw, "@"); i >= 0 {
		return "…@" + raw[i+1:]
	}
	return raw
}

// link is one MQTT session: a paho client, connected and reconnected by
// us (paho's own reconnection is off), with exponential backoff and full
// jitter. It keeps no goroutine of its own between attempts.
type link struct {
	c       paho.Client
	ep      endpoint
	tls     *tls.Config
	timeout time.Duration
	minB    time.Duration
	maxB    time.Duration
	log     *slog.Logger
	name    string // for logs: the client id

	// onUp runs on each new connection, before the link counts as up
	// (subscribe, publish presence); an error drops the connection.
	onUp func(ctx context.Context) error
	// onDown runs when an up connection is lost.
	onDown func()

	mu       sync.Mutex
	conn     net.Conn // the current connection, to cut it
	up       chan struct{}
	upSince  time.Time
	attempt  int
	timer    *time.Timer
	stopped  bool
	connects atomic.Uint64
}

// newLink makes a link for clientID whose messages all go to handler (in
// order, on paho's goroutine); with manualAck, handler acknowledges them
// itself. Set onUp, then call start to connect.
func newLink(cfg *Config, clientID string, clean bool, will *message, handler paho.MessageHandler, manualAck bool) (*link, error) {
	ep, err := parseBroker(cfg.Broker)
	if err != nil {
		return nil, err
	}
	l := &link{
		ep:      ep,
		tls:     cfg.TLS,
		timeout: cfg.ConnectTimeout,
		minB:    cfg.MinBackoff,
		maxB:    cfg.MaxBackoff,
		log:     cfg.Logger,
		name:    clientID,
		up:      make(chan struct{}),
	}
	if l.timeout <= 0 {
		l.timeout = DefaultConnectTimeout
	}
	if l.minB <= 0 {
		l.minB = DefaultMinBackoff
	}
	if l.maxB <= 0 {
		l.maxB = DefaultMaxBackoff
	}
	if l.maxB < l.minB {
		l.maxB = l.minB
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	if ep.tls {
		if l.tls == nil {
			l.tls = &tls.Config{MinVersion: tls.VersionTLS12}
		} else {
			l.tls = l.tls.Clone()
		}
		if l.tls.ServerName == "" {
			l.tls.ServerName = ep.server
		}
	}
	keep := cfg.KeepAlive
	if keep <= 0 {
		keep = DefaultKeepAlive
	}
	o := paho.NewClientOptions()
	// The URL only names the broker for paho; the connection is ours.
	o.AddBroker("tcp://" + ep.addr)
	o.SetClientID(clientID)
	o.SetProtocolVersion(4) // MQTT 3.1.1: every broker speaks it
	o.SetCleanSession(clean)
	o.SetAutoReconnect(false)
	o.SetConnectRetry(false)
	o.SetResumeSubs(false) // we subscribe again on every connection
	o.SetKeepAlive(keep)
	o.SetPingTimeout(min(keep, 10*time.Second))
	o.SetConnectTimeout(l.timeout)
	o.SetWriteTimeout(l.timeout)
	o.SetOrderMatters(true)
	if cr := cfg.Credentials; cr != nil {
		o.SetUsername(cr.Username)
		o.SetPassword(cr.password)
	}
	if will != nil {
		o.SetBinaryWill(will.topic, will.payload, will.qos, will.retained)
	}
	o.SetDefaultPublishHandler(handler)
	o.SetAutoAckDisabled(manualAck)
	o.SetCustomOpenConnectionFn(func(*url.URL, paho.ClientOptions) (net.Conn, error) { return l.dial() })
	o.SetConnectionLostHandler(func(_ paho.Client, err error) { l.lost(err) })
	l.c = paho.NewClient(o)
	return l, nil
}

// dial opens the network connection (and TLS) for paho.
func (l *link) dial() (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), l.timeout)
	defer cancel()
	d := net.Dialer{KeepAlive: 15 * time.Second}
	var c net.Conn
	var err error
	if l.ep.tls {
		c, err = (&tls.Dialer{NetDialer: &d, Config: l.tls}).DialContext(ctx, "tcp", l.ep.addr)
	} else {
		c, err = d.DialContext(ctx, "tcp", l.ep.addr)
	}
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.conn = c
	l.mu.Unlock()
	return c, nil
}

// start makes the first attempt now.
func (l *link) start() { go l.connect() }

// connect makes one attempt; on failure it schedules the next.
func (l *link) connect() {
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		return
	}
	l.timer = nil
	l.mu.Unlock()
	tok := l.c.Connect()
	var err error
	if !tok.WaitTimeout(2 * l.timeout) {
		err = errors.New("connection attempt timed out")
	} else {
		err = tok.Error()
	}
	if err == nil {
		if l.isStopped() {
			l.cut()
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), l.timeout)
		err = l.onUp(ctx)
		cancel()
		if err != nil {
			// Cut the connection: paho reports it lost, and lost
			// schedules the next attempt.
			l.log.LogAttrs(context.Background(), slog.LevelWarn, "mqtt: connection not ready", slog.String("client", l.name), slog.String("error", err.Error()))
			l.cut()
			return
		}
		l.mu.Lock()
		if l.stopped {
			// Stopped while the connection was being made ready: cut it,
			// so that the broker publishes the last will (offline).
			l.mu.Unlock()
			l.cut()
			return
		}
		l.upSince = time.Now()
		close(l.up)
		l.mu.Unlock()
		l.connects.Add(1)
		l.log.LogAttrs(context.Background(), slog.LevelInfo, "mqtt: connected", slog.String("client", l.name), slog.String("broker", l.ep.addr))
		return
	}
	l.log.LogAttrs(context.Background(), slog.LevelWarn, "mqtt: connecting failed", slog.String("client", l.name), slog.String("broker", l.ep.addr), slog.String("error", err.Error()))
	l.retry()
}

// lost is paho's report that the connection went down.
func (l *link) lost(err error) {
	l.mu.Lock()
	wasUp := isClosed(l.up)
	if wasUp {
		l.up = make(chan struct{})
		// A connection that held for a while starts the backoff over.
		if time.Since(l.upSince) >= l.maxB || time.Since(l.upSince) >= time.Minute {
			l.attempt = 0
		}
	}
	stopped := l.stopped
	l.mu.Unlock()
	if stopped {
		return
	}
	l.log.LogAttrs(context.Background(), slog.LevelWarn, "mqtt: connection lost", slog.String("client", l.name), slog.String("error", err.Error()))
	if wasUp && l.onDown != nil {
		l.onDown()
	}
	l.retry()
}

// retry schedules the next attempt after a jittered, growing delay.
func (l *link) retry() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped || l.timer != nil {
		return
	}
	d := backoff(l.minB, l.maxB, l.attempt)
	l.attempt++
	l.timer = time.AfterFunc(d, l.connect)
}

// backoff is attempt's delay: uniform in [0, min(maxB, minB·2^attempt)].
func backoff(minB, maxB time.Duration, attempt int) time.Duration {
	ceil := maxB
	if attempt < 32 {
		if c := minB << attempt; c > 0 && c < maxB {
			ceil = c
		}
	}
	return rand.N(ceil + 1)
}

// cut closes the current network connection (paho then reports it lost).
func (l *link) cut() {
	l.mu.Lock()
	c := l.conn
	l.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// ready returns a channel closed while the link is up.
func (l *link) ready() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.up
}

// waitUp waits until the link is up, ctx is done, or stop is closed.
func (l *link) waitUp(ctx context.Context, stop <-chan struct{}) error {
	select {
	case <-l.ready():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-stop:
		return ErrClosed
	}
}

// stop ends reconnecting. An up link disconnects cleanly, waiting up to
// quiesce for work in progress (the broker then drops the last will: the
// caller has said goodbye); a connection still being made ready is cut,
// so that the broker publishes the will.
func (l *link) stop(quiesce time.Duration) {
	l.mu.Lock()
	l.stopped = true
	if l.timer != nil {
		l.timer.Stop()
	}
	up := isClosed(l.up)
	l.mu.Unlock()
	if up && l.c.IsConnected() {
		l.c.Disconnect(uint(quiesce / time.Millisecond))
	}
	l.cut()
}

func (l *link) isStopped() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stopped
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// subscribe subscribes to filter at QoS 1 (messages to handler, or to the
// link's handler if nil) and checks that the broker granted it.
func (l *link) subscribe(ctx context.Context, filter string, handler paho.MessageHandler) error {
	tok := l.c.Subscribe(filter, 1, handler)
	if err := wait(ctx, tok, l.timeout); err != nil {
		return fmt.Errorf("subscribing to %s: %w", filter, err)
	}
	if st, ok := tok.(*paho.SubscribeToken); ok {
		if q, ok := st.Result()[filter]; ok && q == 0x80 {
			return fmt.Errorf("the broker refused the subscription to %s", filter)
		}
	}
	return nil
}

// wait waits for tok, at most d, and returns its error.
func wait(ctx context.Context, tok paho.Token, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-tok.Done():
		return tok.Error()
	case <-t.C:
		return errors.New("timed out waiting for the broker")
	case <-ctx.Done():
		return ctx.Err()
	}
}
