package hub

import (
	"context"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// ServerOptions configures a [Server]. Zero fields take their value from
// [DefaultServerOptions]; nil means all defaults.
type ServerOptions struct {
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included: a client
	// that trickles its envelope slower than this is cut off.
	ReadTimeout time.Duration
	// WriteTimeout bounds a request from the end of its headers to the
	// end of the response; keep it above Options.HandleTimeout.
	WriteTimeout time.Duration
	// IdleTimeout is how long a keep-alive connection may wait for its
	// next request (at most: see MaxConns).
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's headers.
	MaxHeaderBytes int
	// MaxConns bounds the connections served at once. At the bound, a new
	// connection gets in by closing an idle one (waiting between
	// keep-alive requests; see MaxIdlePerPeer for which), or else the
	// oldest connection that has not sent its request headers within a
	// second. While every connection is busy, the new one waits, and
	// further clients wait in the kernel's accept queue. With the hub's
	// MaxBody it bounds the memory that clients can make the server hold:
	// about MaxConns × (MaxBody + 16 KiB), 20 MiB with the defaults, if
	// every client sends a maximal body slowly.
	MaxConns int
	// MaxIdlePerPeer is how many idle connections one peer (an IPv4
	// address, or an IPv6 /64) keeps when the server is at MaxConns: the
	// connection closed to let a new one in is the one idle the longest
	// of a peer with more idle connections than this, if there is one,
	// else the one idle the longest of all. Below MaxConns no connection
	// is closed before its IdleTimeout, so a client busy on many
	// connections from one address is not disturbed.
	MaxIdlePerPeer int
	// Halter is halted by Shutdown and Close. nil means the handler given
	// to NewServer, if it is a Halter (the handler from [New] is one when
	// its Handler is).
	Halter Halter
	// Logger receives the HTTP server's own errors (such as failed
	// accepts) at level Warn. nil discards them.
	Logger *slog.Logger
}

// DefaultServerOptions are the options of a [Server] made with nil.
var DefaultServerOptions = ServerOptions{
	ReadHeaderTimeout: 5 * time.Second,
	ReadTimeout:       10 * time.Second,
	WriteTimeout:      DefaultHandleTimeout + 5*time.Second,
	IdleTimeout:       10 * time.Second,
	MaxHeaderBytes:    8 << 10,
	MaxConns:          256,
	MaxIdlePerPeer:    8,
}

// Server is an HTTP server for a hub handler with timeouts set, a bound on
// connections that idle ones cannot hold, and a graceful Shutdown that
// halts the device.
type Server struct {
	srv                  *http.Server
	halter               Halter
	maxConns, maxIdlePer int
}

// NewServer returns a server that will serve h on addr (host:port, as for
// net.Listen; only [Server.ListenAndServe] uses it). opts may be nil.
func NewServer(h http.Handler, addr string, opts *ServerOptions) *Server {
	if h == nil {
		panic("hub: NewServer of a nil handler")
	}
	o := DefaultServerOptions
	if opts != nil {
		set(&o.ReadHeaderTimeout, opts.ReadHeaderTimeout)
		set(&o.ReadTimeout, opts.ReadTimeout)
		set(&o.WriteTimeout, opts.WriteTimeout)
		set(&o.IdleTimeout, opts.IdleTimeout)
		set(&o.MaxHeaderBytes, opts.MaxHeaderBytes)
		set(&o.MaxConns, opts.MaxConns)
		set(&o.MaxIdlePerPeer, opts.MaxIdlePerPeer)
		o.Halter, o.Logger = opts.Halter, opts.Logger
	}
	if o.Halter == nil {
		o.Halter, _ = h.(Halter)
	}
	errLog := log.New(io.Discard, "", 0)
	if o.Logger != nil {
		errLog = slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn)
	}
	return &Server{
		srv: &http.Server{
			Addr:              addr,
			Handler:           h,
			ReadHeaderTimeout: o.ReadHeaderTimeout,
			ReadTimeout:       o.ReadTimeout,
			WriteTimeout:      o.WriteTimeout,
			IdleTimeout:       o.IdleTimeout,
			MaxHeaderBytes:    o.MaxHeaderBytes,
			ErrorLog:          errLog,
			ConnState:         connState,
		},
		halter:     o.Halter,
		maxConns:   o.MaxConns,
		maxIdlePer: o.MaxIdlePerPeer,
	}
}

func set[T int | time.Duration](dst *T, v T) {
	if v > 0 {
		*dst = v
	}
}

// ListenAndServe listens on the server's address and serves until
// Shutdown or Close, when it returns [http.ErrServerClosed].
func (s *Server) ListenAndServe() error {
	addr := s.srv.Addr
	if addr == "" {
		addr = "127.0.0.1:http"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Serve serves connections accepted from l until Shutdown or Close, when it
// returns [http.ErrServerClosed]. It closes l. It returns as soon as
// Shutdown begins, so a program must wait for Shutdown itself to return
// (that is when the device is halted) before it exits.
func (s *Server) Serve(l net.Listener) error {
	return s.srv.Serve(newConnLimiter(l, s.maxConns, s.maxIdlePer))
}

// Shutdown stops accepting connections, waits for the requests in progress
// to finish (or ctx to be done, when it closes the remaining connections),
// then halts the device. It returns the errors of both steps, joined.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, s.srv.Close())
	}
	return errors.Join(err, s.halt())
}

// Close closes every connection at once, then halts the device.
func (s *Server) Close() error {
	return errors.Join(s.srv.Close(), s.halt())
}

func (s *Server) halt() error {
	if s.halter == nil {
		return nil
	}
	return s.halter.Halt()
}
