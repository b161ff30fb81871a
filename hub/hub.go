package hub

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/nem"
)

// The paths of the wire API.
const (
	CommandsPath = "/v1/commands"
	DevicePath   = "/v1/device"
	HealthPath   = "/healthz"
)

// Defaults for [Options].
const (
	// DefaultMaxBody is the largest command envelope accepted, 64 KiB.
	DefaultMaxBody = 64 << 10
	// DefaultMaxInFlight is how many commands are opened and run at once.
	DefaultMaxInFlight = 64
	// DefaultMaxWait is how long a command over the in-flight limit waits
	// for a slot before it gets 503.
	DefaultMaxWait = 500 * time.Millisecond
	// DefaultRetryAfter is the Retry-After of a 503.
	DefaultRetryAfter = time.Second
	// DefaultHandleTimeout bounds one Handler call.
	DefaultHandleTimeout = 15 * time.Second
)

// Handler is what [New] passes each verified request to: a device. It is
// [command.Handler], the one handler interface every transport takes, so
// a Handler written for the hub serves any other transport too; a
// *device.Device is one as it stands (pass it to New directly), and so
// is a devicetest.Recorder in tests. See [command.Handler] for its
// contract: the error text goes to the command's sender, Handle may be
// called concurrently and must return soon after ctx is done.
type Handler = command.Handler

// HandlerFunc adapts a function to a [Handler], as [net/http.HandlerFunc]
// does for HTTP: a command front that is not a device at all, or a
// device.Commander of your own:
//
//	hub.HandlerFunc(func(ctx context.Context, req *command.Request) (any, error) {
//		return c.Do(ctx, req.Command.Name, req.Command.Args)
//	})
type HandlerFunc func(ctx context.Context, req *command.Request) (any, error)

// Handle calls f(ctx, req).
func (f HandlerFunc) Handle(ctx context.Context, req *command.Request) (any, error) {
	return f(ctx, req)
}

// Halter is what [Server.Shutdown] halts: a device, whose Halt drives every
// output to its safe level. It is [command.Halter]; a *device.Device is
// one.
type Halter = command.Halter

// Options configures the handler [New] returns. Zero fields take their
// defaults; nil Options means all defaults. New copies the Options.
type Options struct {
	// MaxBody is the largest envelope accepted, in bytes; larger bodies
	// get 413. 0 means DefaultMaxBody (64 KiB).
	MaxBody int64
	// MaxInFlight is how many commands may be opened and handled at once.
	// 0 means DefaultMaxInFlight (64).
	MaxInFlight int
	// MaxWait is how long a command over MaxInFlight waits for a slot
	// before it gets 503 with Retry-After. 0 means DefaultMaxWait; a
	// negative value means no waiting.
	MaxWait time.Duration
	// MaxQueued bounds the commands waiting for a slot; more get 503 at
	// once. 0 means 16 × MaxInFlight.
	MaxQueued int
	// RetryAfter is sent, in whole seconds (at least 1), with every 503.
	// 0 means DefaultRetryAfter.
	RetryAfter time.Duration
	// HandleTimeout bounds each Handler call; 0 means
	// DefaultHandleTimeout.
	HandleTimeout time.Duration
	// Logger receives one access record per request (method, path,
	// status, sizes, duration, remote address; for commands the sender's
	// public key, the command name, and a refusal's reason). It never
	// receives key material. nil discards.
	Logger *slog.Logger
	// Network is the network of the address GET /v1/device shows; 0 means
	// nem.Testnet.
	Network nem.Network
	// Rand is the randomness for replies (nonces, pads, IVs); nil means
	// crypto/rand. It is read from concurrently, so it must be safe for
	// concurrent use.
	Rand io.Reader

	// OnReply, if set, is called for every command answered with a
	// reply envelope (200), with the reply's ok: false when the device
	// refused to act on an accepted command. OnBusy, if set, is called for
	// every command turned away with 503 over the in-flight limit. Both are
	// for metrics: they run on the request's goroutine, so they must be
	// fast and safe for concurrent use. Refused envelopes (401) are seen
	// by the Opener's OnOpen; [InFlight] reads the commands in progress.
	OnReply func(ok bool)
	OnBusy  func()
}

// InFlight returns how many commands the handler h, as returned by [New],
// is opening or handling now (at most Options.MaxInFlight), for a metrics
// gauge; ok is false if h is not such a handler.
func InFlight(h http.Handler) (n int, ok bool) {
	switch h := h.(type) {
	case *hub:
		return len(h.slots), true
	case halting:
		return len(h.slots), true
	}
	return 0, false
}

// refusedBody is the whole body of every 401.
const refusedBody = `{"error":"refused"}`

type hub struct {
	opener  *command.Opener
	d       Handler
	log     *slog.Logger
	rand    io.Reader
	maxBody int64
	slots   chan struct{}
	queued  atomic.Int64
	maxQ    int64
	wait    time.Duration
	retry   string
	timeout time.Duration
	info    []byte // the GET /v1/device body
	onReply func(ok bool)
	onBusy  func()
}

// New returns the HTTP handler of a device: it opens each command envelope
// POSTed to /v1/commands with opener, passes the request to d, and answers
// with the reply envelope d's result makes; it also serves GET /v1/device
// and GET /healthz. See the package documentation for the wire API.
//
// New panics if opener, its Device key, its Owners or d is nil, or if
// opts.Network is not a known network: those are programming errors. If d
// implements [Halter], so does the returned handler (and [Server] uses it).
func New(opener *command.Opener, d Handler, opts *Options) http.Handler {
	if opener == nil || opener.Device == nil || opener.Owners == nil {
		panic("hub: New needs an Opener with a Device key and Owners")
	}
	if d == nil {
		panic("hub: New of a nil Handler")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	switch {
	case o.MaxWait == 0:
		o.MaxWait = DefaultMaxWait
	case o.MaxWait < 0:
		o.MaxWait = 0
	}
	if o.MaxQueued <= 0 {
		o.MaxQueued = 16 * o.MaxInFlight
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = DefaultRetryAfter
	}
	if o.HandleTimeout <= 0 {
		o.HandleTimeout = DefaultHandleTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Network == 0 {
		o.Network = nem.Testnet
	}
	if !o.Network.Valid() {
		panic("hub: unknown network " + o.Network.String())
	}
	pub := opener.Device.PublicKey()
	info, err := json.Marshal(struct {
		PublicKey string `json:"publicKey"`
		Address   string `json:"address"`
		Network   string `json:"network"`
	}{pub.String(), pub.Address(o.Network).String(), o.Network.String()})
	if err != nil {
		panic("hub: " + err.Error()) // unreachable: strings marshal
	}
	h := &hub{
		opener:  opener,
		d:       d,
		log:     o.Logger,
		rand:    o.Rand,
		maxBody: o.MaxBody,
		slots:   make(chan struct{}, o.MaxInFlight),
		maxQ:    int64(o.MaxQueued),
		wait:    o.MaxWait,
		retry:   strconv.FormatInt(int64(max(time.Second, o.RetryAfter)+time.Second-1)/int64(time.Second), 10),
		timeout: o.HandleTimeout,
		info:    append(info, '\n'),
		onReply: o.OnReply,
		onBusy:  o.OnBusy,
	}
	if _, ok := d.(Halter); ok {
		return halting{h}
	}
	return h
}

// halting is a hub whose Handler is a Halter.
type halting struct{ *hub }

// Halt halts the device behind the handler.
func (h halting) Halt() error { return h.d.(Halter).Halt() }

// record collects what the access log says about one request. Its
// strings are built only when the log is on.
type record struct {
	status int
	size   int
	sender nem.PublicKey // valid if cmd is set
	cmd    string
	reason string
	cause  error // the refusal or device error, when reason is empty
	ok     int8  // 0: no reply, okYes or okNo
	log    bool  // the access log is on
}

const (
	okYes int8 = 1 + iota
	okNo
)

func (h *hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := record{log: h.log.Enabled(r.Context(), slog.LevelInfo)}
	var start time.Time
	if rec.log {
		start = time.Now()
	}
	switch r.URL.Path {
	case CommandsPath:
		if r.Method != http.MethodPost {
			rec.status = methodNotAllowed(w, "POST")
			break
		}
		h.command(w, r, &rec)
	case DevicePath:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			rec.status = methodNotAllowed(w, "GET, HEAD")
			break
		}
		rec.status, rec.size = write(w, http.StatusOK, "application/json", h.info)
	case HealthPath:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			rec.status = methodNotAllowed(w, "GET, HEAD")
			break
		}
		rec.status, rec.size = write(w, http.StatusOK, "text/plain; charset=utf-8", []byte("ok"))
	default:
		rec.status, rec.size = write(w, http.StatusNotFound, "text/plain; charset=utf-8", []byte("not found\n"))
	}
	if rec.log {
		h.access(r, &rec, time.Since(start))
	}
}

func (h *hub) access(r *http.Request, rec *record, d time.Duration) {
	var buf [11]slog.Attr
	attrs := append(buf[:0],
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", rec.status),
		slog.Int64("in", r.ContentLength),
		slog.Int("out", rec.size),
		slog.Duration("duration", d),
		slog.String("remote", r.RemoteAddr),
	)
	if rec.cmd != "" {
		attrs = append(attrs, slog.String("sender", rec.sender.String()), slog.String("cmd", rec.cmd))
	}
	if rec.ok != 0 {
		attrs = append(attrs, slog.Bool("ok", rec.ok == okYes))
	}
	reason := rec.reason
	if reason == "" && rec.cause != nil {
		reason = rec.cause.Error()
	}
	if reason != "" {
		attrs = append(attrs, slog.String("reason", reason))
	}
	h.log.LogAttrs(r.Context(), slog.LevelInfo, "hub request", attrs...)
}

func methodNotAllowed(w http.ResponseWriter, allow string) int {
	w.Header().Set("Allow", allow)
	s, _ := write(w, http.StatusMethodNotAllowed, "text/plain; charset=utf-8", []byte("method not allowed\n"))
	return s
}

func write(w http.ResponseWriter, status int, ctype string, body []byte) (int, int) {
	// One allocation for the four values instead of one per Header.Set;
	// the keys are already canonical.
	v := make([]string, 4)
	v[0], v[1], v[2], v[3] = ctype, strconv.Itoa(len(body)), "no-store", "nosniff"
	hd := w.Header()
	hd["Content-Type"] = v[0:1:1]
	hd["Content-Length"] = v[1:2:2]
	hd["Cache-Control"] = v[2:3:3]
	hd["X-Content-Type-Options"] = v[3:4:4]
	w.WriteHeader(status)
	n, _ := w.Write(body)
	return status, n
}

// command serves POST /v1/commands.
func (h *hub) command(w http.ResponseWriter, r *http.Request, rec *record) {
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != "application/octet-stream" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/octet-stream" {
			rec.reason = "content type " + strconv.Quote(truncate(ct, 64))
			rec.status, rec.size = write(w, http.StatusUnsupportedMediaType, "text/plain; charset=utf-8", []byte("want application/octet-stream\n"))
			return
		}
	}
	buf, err := h.readBody(w, r)
	if buf != nil {
		// Open keeps nothing of the envelope (the Request holds copies
		// and the decrypted body), so the buffer is free once the reply
		// is written.
		defer putBody(buf)
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			rec.reason = "body over " + strconv.FormatInt(h.maxBody, 10) + " bytes"
			rec.status, rec.size = write(w, http.StatusRequestEntityTooLarge, "text/plain; charset=utf-8", []byte("envelope too large\n"))
			return
		}
		// The client went away or was too slow (the server's read
		// timeout); nothing useful can be sent, but try.
		rec.reason = "reading body: " + err.Error()
		rec.status, rec.size = write(w, http.StatusBadRequest, "text/plain; charset=utf-8", []byte("bad request\n"))
		return
	}
	if !h.acquire(r.Context()) {
		rec.reason = "over the in-flight limit"
		if h.onBusy != nil {
			h.onBusy()
		}
		w.Header().Set("Retry-After", h.retry)
		rec.status, rec.size = write(w, http.StatusServiceUnavailable, "text/plain; charset=utf-8", []byte("busy\n"))
		return
	}
	defer func() { <-h.slots }()

	// Opening, the Handler (bounded, a panic contained) and the reply are
	// command.Serve's, the same code path as every other transport's.
	out, err := command.Serve(r.Context(), h.opener, h.d, *buf, &command.ServeOptions{Rand: h.rand, Timeout: h.timeout})
	if out == nil {
		rec.cause = err
		rec.status, rec.size = write(w, http.StatusUnauthorized, "application/json", []byte(refusedBody))
		return
	}
	rec.sender = out.Request.Sender
	rec.cmd = truncate(out.Request.Command.Name, 64)
	if out.Fault != "" {
		rec.reason = out.Fault
		h.log.LogAttrs(r.Context(), slog.LevelError, "hub: "+out.Fault, slog.String("cmd", rec.cmd))
	}
	if err != nil {
		rec.reason = "reply: " + err.Error()
		rec.status, rec.size = write(w, http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("internal error\n"))
		return
	}
	rec.ok = okYes
	if out.Err != nil {
		rec.ok = okNo
		rec.cause = out.Err
	}
	if h.onReply != nil {
		h.onReply(out.Err == nil)
	}
	reply := out.Reply
	rec.status, rec.size = write(w, http.StatusOK, "application/octet-stream", reply)
}

// readBody reads the envelope, at most maxBody bytes, into a buffer to
// return with putBody. It returns a nil buffer only with an error.
func (h *hub) readBody(w http.ResponseWriter, r *http.Request) (*[]byte, error) {
	if r.ContentLength > h.maxBody {
		return nil, &http.MaxBytesError{Limit: h.maxBody}
	}
	buf := bodies.Get().(*[]byte)
	if r.ContentLength >= 0 && r.ContentLength <= poolBody {
		// The server's body reader stops at the announced length, so
		// this reads exactly the envelope; a short body is an error.
		b := (*buf)[:r.ContentLength]
		*buf = b
		_, err := io.ReadFull(r.Body, b)
		return buf, err
	}
	// Larger or of unknown length (chunked): memory grows as bytes
	// arrive, not as the client announces them, and never past the cap
	// (+1, to see a body over it).
	body := http.MaxBytesReader(w, r.Body, h.maxBody)
	b := (*buf)[:0]
	for {
		if len(b) == cap(b) {
			b = slices.Grow(b, min(cap(b), int(h.maxBody)+1-len(b)))
		}
		n, err := body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			*buf = b
			if err == io.EOF {
				err = nil
			}
			return buf, err
		}
	}
}

// poolBody is the capacity of the pooled envelope buffers, and the largest
// announced body read at once; a command envelope is a few hundred bytes.
// A larger body grows its own buffer as it arrives, up to the MaxBody cap,
// for the one request that needs it.
const poolBody = 4 << 10

var bodies = sync.Pool{New: func() any { b := make([]byte, 0, poolBody); return &b }}

// putBody returns an envelope buffer to the pool, unless it outgrew it.
func putBody(b *[]byte) {
	if cap(*b) != poolBody {
		return
	}
	*b = (*b)[:0]
	bodies.Put(b)
}

// acquire takes an in-flight slot, waiting at most h.wait.
func (h *hub) acquire(ctx context.Context) bool {
	select {
	case h.slots <- struct{}{}:
		return true
	default:
	}
	if h.wait <= 0 {
		return false
	}
	if h.queued.Add(1) > h.maxQ {
		h.queued.Add(-1)
		return false
	}
	defer h.queued.Add(-1)
	t := time.NewTimer(h.wait)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
