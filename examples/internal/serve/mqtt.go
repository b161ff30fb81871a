package serve

import (
	"context"
	"errors"
	"net"
	"net/http"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/hub"
	"github.com/nemiot/nemiot/mqtt"
)

// runMQTT serves d through the broker of cfg.MQTT and, unless cfg.Listen
// is "", over HTTP too, with one Opener (one replay cache: an envelope
// taken over one is a replay on the other). On shutdown both stop taking
// commands and finish those in progress; then the device halts, once.
func runMQTT(ctx context.Context, cfg *Config, opener *command.Opener, d hub.Handler) error {
	log := logger(cfg)
	h := noHalt{d} // halted once, below, after both transports stopped
	pub := cfg.Key.PublicKey()
	o := &mqtt.DeviceOptions{Network: cfg.Network}
	if m := cfg.metrics; m != nil {
		o.OnReply = m.OnReply
	}
	dev, err := mqtt.Start(*cfg.MQTT, opener, h, o)
	if err != nil {
		return configErr("-mqtt: %w", err)
	}
	log.Info("mqtt: connecting", "broker", cfg.MQTT.Broker, "device", pub.String(), "commands", mqtt.CommandsTopic("", pub))

	var srv *hub.Server
	served := make(chan error, 1)
	if cfg.Listen != "" {
		srv = hub.NewServer(cfg.handler(opener, h), cfg.Listen, &hub.ServerOptions{Logger: log})
		l, err := net.Listen("tcp", cfg.Listen)
		if err != nil {
			dev.Shutdown(context.Background())
			return errors.Join(err, halt(d))
		}
		log.Info("hub listening", "addr", l.Addr().String(), "device", pub.String(), "address", pub.Address(cfg.Network).String(), "network", cfg.Network.String())
		cfg.serving(ctx, l.Addr())
		go func() { served <- srv.Serve(l) }()
	} else {
		// No listener: ready means online on the broker.
		go func() {
			if dev.Ready(ctx) == nil {
				cfg.serving(ctx, nil)
			}
		}()
	}

	select {
	case err := <-served: // the listener failed
		dev.Shutdown(context.Background())
		return errors.Join(err, halt(d))
	case <-ctx.Done():
	}
	log.Info("shutting down: waiting for commands in progress, then halting the device")
	cfg.stopping()
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	err = dev.Shutdown(sctx)
	if srv != nil {
		err = errors.Join(err, srv.Shutdown(sctx))
		if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
	}
	err = errors.Join(err, halt(d))
	if err == nil {
		log.Info("device halted")
	}
	return err
}

// noHalt hides a Handler's Halt from a transport, so that the program
// halts the device once, after every transport has stopped.
type noHalt struct{ h hub.Handler }

func (n noHalt) Handle(ctx context.Context, req *command.Request) (any, error) {
	return n.h.Handle(ctx, req)
}
