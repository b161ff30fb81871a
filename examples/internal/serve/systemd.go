package serve

import (
	"context"
	"net"

	"github.com/nemiot/nemiot/examples/internal/sdnotify"
)

// serving tells systemd (Type=notify) that the hub serves, starts the
// watchdog pings if the unit asked for them (WatchdogSec=), until ctx
// ends, and calls cfg.Ready with addr. Outside systemd only cfg.Ready
// runs.
func (cfg *Config) serving(ctx context.Context, addr net.Addr) {
	log := logger(cfg)
	if err := sdnotify.Ready(); err != nil {
		log.Warn("systemd: READY notification failed", "err", err)
	}
	go func() {
		if err := sdnotify.Watchdog(ctx, nil); err != nil {
			log.Warn("systemd: watchdog pings stopped", "err", err)
		}
	}()
	if cfg.Ready != nil {
		cfg.Ready(addr)
	}
}

// stopping tells systemd the hub is shutting down.
func (cfg *Config) stopping() {
	if err := sdnotify.Stopping(); err != nil {
		logger(cfg).Warn("systemd: STOPPING notification failed", "err", err)
	}
}
