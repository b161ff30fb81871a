// Package metrics exposes a hub's metrics in the Prometheus text format,
// with github.com/prometheus/client_golang. The library packages have no
// metrics dependency: they offer small hooks (command.Opener.OnOpen and
// ReplayLen, hub.Options.OnReply and OnBusy, hub.InFlight,
// mqtt.DeviceOptions.OnReply, multisig.OwnerCache.OnRefresh,
// multisig.Resolver.OnNodeError), and this package, used by the example
// programs only, turns them into collectors.
//
// The metrics (all prefixed nemiot_):
//
//	nemiot_commands_accepted_total             envelopes the Opener accepted
//	nemiot_commands_refused_total{reason}      envelopes it refused, by reason (replay, stale, future, clock, not_owner, bad_signature, …)
//	nemiot_replies_total{ok}                   reply envelopes made ("true", or "false" when the device refused to act), HTTP and MQTT
//	nemiot_hub_in_flight                       commands the HTTP hub is opening or handling now
//	nemiot_hub_busy_total                      commands the HTTP hub turned away with 503 (over the in-flight limit)
//	nemiot_owner_refreshes_total{outcome}      owner-cache refreshes: quorum, not_multisig, no_quorum, error
//	nemiot_node_errors_total{node}             NIS node answers that were unusable, by node URL
//	nemiot_replay_cache_entries                live entries in the Opener's replay cache
//
// plus the Go runtime's and the process's standard collectors (go_…,
// process_…).
package metrics

import (
	"errors"
	"net/http"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/multisig"
)

// Metrics holds one hub's collectors. Its methods are the library hooks;
// they are safe for concurrent use. Make it with [New].
type Metrics struct {
	reg        *prometheus.Registry
	accepted   prometheus.Counter
	refused    *prometheus.CounterVec
	replies    *prometheus.CounterVec
	busy       prometheus.Counter
	refreshes  *prometheus.CounterVec
	nodeErrors *prometheus.CounterVec

	mu       sync.Mutex
	inFlight func() int // nil: 0
	replay   func() int // nil: 0
}

// New returns Metrics registered on a registry of their own.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		accepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "nemiot_commands_accepted_total", Help: "Command envelopes the device accepted (opened: from an owner, fresh, not replayed).",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nemiot_commands_refused_total", Help: "Command envelopes the device refused, by reason.",
		}, []string{"reason"}),
		replies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nemiot_replies_total", Help: "Reply envelopes the device made, by ok (false: the device refused to act on an accepted command).",
		}, []string{"ok"}),
		busy: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "nemiot_hub_busy_total", Help: "Commands the HTTP hub answered with 503, over its in-flight limit.",
		}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nemiot_owner_refreshes_total", Help: "Owner-cache refreshes, by outcome: quorum, not_multisig, no_quorum, error.",
		}, []string{"outcome"}),
		nodeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nemiot_node_errors_total", Help: "Unusable answers from NIS nodes (owner and network-time quorums), by node.",
		}, []string{"node"}),
	}
	m.reg.MustRegister(m.accepted, m.refused, m.replies, m.busy, m.refreshes, m.nodeErrors,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "nemiot_hub_in_flight", Help: "Commands the HTTP hub is opening or handling now.",
		}, func() float64 { return m.read(&m.inFlight) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "nemiot_replay_cache_entries", Help: "Live entries in the device's replay cache.",
		}, func() float64 { return m.read(&m.replay) }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	// Series that exist before their first event, so that rates and
	// alerts see zeros rather than nothing.
	for _, ok := range []string{"true", "false"} {
		m.replies.WithLabelValues(ok)
	}
	for _, o := range []string{outcomeQuorum, outcomeNotMultisig, outcomeNoQuorum, outcomeError} {
		m.refreshes.WithLabelValues(o)
	}
	return m
}

func (m *Metrics) read(f *func() int) float64 {
	m.mu.Lock()
	g := *f
	m.mu.Unlock()
	if g == nil {
		return 0
	}
	return float64(g())
}

// Handler serves the metrics in the Prometheus text format (GET /metrics).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Registry returns the registry the metrics are on.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// OnOpen is a command.Opener's OnOpen: it counts the accepted and the
// refused envelopes, the latter by reason.
func (m *Metrics) OnOpen(_ *command.Request, err error) {
	if err == nil {
		m.accepted.Inc()
		return
	}
	m.refused.WithLabelValues(RefusalReason(err)).Inc()
}

// OnReply is hub.Options.OnReply and mqtt.DeviceOptions.OnReply.
func (m *Metrics) OnReply(ok bool) { m.replies.WithLabelValues(strconv.FormatBool(ok)).Inc() }

// OnBusy is hub.Options.OnBusy.
func (m *Metrics) OnBusy() { m.busy.Inc() }

// OnRefresh is multisig.OwnerCache.OnRefresh.
func (m *Metrics) OnRefresh(err error) { m.refreshes.WithLabelValues(RefreshOutcome(err)).Inc() }

// OnNodeError is multisig.Resolver.OnNodeError.
func (m *Metrics) OnNodeError(node string, _ error) { m.nodeErrors.WithLabelValues(node).Inc() }

// InFlight makes n the reader of nemiot_hub_in_flight (hub.InFlight of
// the hub's handler).
func (m *Metrics) InFlight(n func() int) {
	m.mu.Lock()
	m.inFlight = n
	m.mu.Unlock()
}

// ReplayLen makes n the reader of nemiot_replay_cache_entries (the
// Opener's ReplayLen).
func (m *Metrics) ReplayLen(n func() int) {
	m.mu.Lock()
	m.replay = n
	m.mu.Unlock()
}

// The outcomes of nemiot_owner_refreshes_total.
const (
	outcomeQuorum      = "quorum"
	outcomeNotMultisig = "not_multisig"
	outcomeNoQuorum    = "no_quorum"
	outcomeError       = "error"
)

// RefreshOutcome names the outcome of an owner-cache refresh: "quorum" (a
// quorum agreed on the owners), "not_multisig" (a quorum said the account
// is not multisig), "no_quorum", or "error" (anything else, such as an
// answer refused as a rollback).
func RefreshOutcome(err error) string {
	switch {
	case err == nil:
		return outcomeQuorum
	case errors.Is(err, multisig.ErrNotMultisig):
		return outcomeNotMultisig
	case errors.Is(err, multisig.ErrNoQuorum):
		return outcomeNoQuorum
	}
	return outcomeError
}

// reasons are the refusal reasons, by label; the set is closed so that
// the metric's series stay few.
var reasons = []struct {
	err   error
	label string
}{
	{command.ErrReplay, "replay"},
	{command.ErrReplayFull, "replay_full"},
	{command.ErrReplayStore, "replay_store"},
	{command.ErrStale, "stale"},
	{command.ErrFuture, "future"},
	{command.ErrClock, "clock"},
	{command.ErrNotOwner, "not_owner"},
	{command.ErrOwnerLookup, "owner_lookup"},
	{command.ErrTooFewSignatures, "too_few_signatures"},
	{command.ErrBadSignature, "bad_signature"},
	{command.ErrWeakKey, "weak_key"},
	{command.ErrWrongRecipient, "wrong_recipient"},
	{command.ErrWrongSender, "wrong_sender"},
	{command.ErrDecrypt, "decrypt"},
	{command.ErrUnsupported, "unsupported"},
	{command.ErrMalformed, "malformed"},
	{command.ErrConfig, "config"},
}

// RefusalReason names the reason of an Opener's refusal, a
// *command.RefusedError: "replay", "stale", "not_owner", … ("other" for
// a reason this package does not know).
func RefusalReason(err error) string {
	var re *command.RefusedError
	if errors.As(err, &re) && re.Reason != nil {
		err = re.Reason
	}
	for _, r := range reasons {
		if errors.Is(err, r.err) {
			return r.label
		}
	}
	return "other"
}
