package serve

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/multisig"
)

// The values of -clock.
const (
	// ClockSystem dates commands by this machine's clock (set it with
	// NTP; a device without a real-time clock boots with a wrong one).
	ClockSystem = "system"
	// ClockNetwork dates commands by the network time a quorum of NIS
	// nodes agrees on (multisig.NetworkClock): nothing is accepted until a
	// quorum has told the time, and later syncs move the clock at most
	// MaxClockStep each.
	ClockNetwork = "network"
)

// MaxClockStep bounds how far one sync of the network clock may move it
// once set.
const MaxClockStep = 5 * time.Second

// setClock gives opener the clock of cfg.Clock and returns what keeps it
// right (the network clock's sync loop; nothing for the system clock).
//
// With the system clock, the first command refused for its date logs a
// warning that the clock may be wrong. With the network clock, every
// command is refused (command.ErrClock) until the first quorum; the log
// says so once at boot, and again when the clock is set.
func (cfg *Config) setClock(opener *command.Opener) (run func(context.Context), err error) {
	log := logger(cfg)
	if cfg.Clock != ClockNetwork {
		opener.Clock = cfg.SystemClock
		var warned atomic.Bool
		prev := opener.OnOpen
		opener.OnOpen = func(req *command.Request, err error) {
			if prev != nil {
				prev(req, err)
			}
			if (errors.Is(err, command.ErrFuture) || errors.Is(err, command.ErrStale)) && !warned.Swap(true) {
				log.Warn("clock: an owner's command was dated outside the window of this machine's clock; if every command is refused so, the clock is wrong (no real-time clock?): set it (NTP) or run with -clock network",
					"reason", err.Error())
			}
		}
		return func(context.Context) {}, nil
	}
	nodes := cfg.Nodes
	if len(nodes) == 0 {
		nodes = multisig.DefaultNodes(cfg.Network)
	}
	if len(nodes) == 0 {
		return nil, configErr("-clock network: %s has no embedded node list; give -nodes", cfg.Network)
	}
	var synced atomic.Bool
	nc := &multisig.NetworkClock{
		Resolver: &multisig.Resolver{Nodes: nodes, HTTP: cfg.HTTP},
		Network:  cfg.Network,
		MaxStep:  MaxClockStep,
		OnSync: func(s multisig.ClockSync) {
			switch {
			case s.Err != nil && !synced.Load():
				log.Warn("clock: no quorum network time yet; every command is refused until a quorum of NIS nodes tells the time (this machine's clock is not trusted)",
					"nodes", quorumSummary(s.Err))
			case s.Err != nil:
				log.Warn("clock: network time sync failed; the clock runs on from the last quorum", "nodes", quorumSummary(s.Err))
			case s.First:
				synced.Store(true)
				log.Info("clock: set from the quorum network time; commands are now judged by it",
					"networkMinusSystem", s.Offset.Round(time.Millisecond).String())
			case s.Clamped:
				log.Warn("clock: the quorum's time is far from the clock; moved it only by the bound",
					"offset", s.Offset.Round(time.Millisecond).String(), "moved", s.Applied.String())
			}
		},
	}
	if m := cfg.metrics; m != nil {
		nc.Resolver.OnNodeError = m.OnNodeError
	}
	opener.Clock, opener.ClockReady = nc.Now, nc.Ready
	return nc.Run, nil
}
