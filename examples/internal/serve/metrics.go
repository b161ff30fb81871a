package serve

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/nemiot/nemiot/examples/internal/metrics"
)

// MetricsPath is where -metrics serves the Prometheus text.
const MetricsPath = "/metrics"

// serveMetrics starts serving cfg.metrics, made now, on cfg.Metrics, and
// returns what stops it. A failure to listen is a configuration error.
func (cfg *Config) serveMetrics() (stop func(), err error) {
	log := logger(cfg)
	l, err := net.Listen("tcp", cfg.Metrics)
	if err != nil {
		return nil, configErr("-metrics: %w", err)
	}
	if ip, ok := l.Addr().(*net.TCPAddr); ok && !ip.IP.IsLoopback() {
		log.Warn("metrics served beyond this machine; they tell command counts, refusal reasons and node URLs to anyone who asks", "addr", l.Addr().String())
	}
	cfg.metrics = metrics.New()
	mux := http.NewServeMux()
	mux.Handle("GET "+MetricsPath, cfg.metrics.Handler())
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    8 << 10,
	}
	go func() {
		if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics: server stopped", "err", err)
		}
	}()
	log.Info("metrics listening", "addr", l.Addr().String(), "path", MetricsPath)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}
