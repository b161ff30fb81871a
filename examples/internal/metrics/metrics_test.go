package metrics

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/multisig"
	"github.com/nemiot/nemiot/nem"
)

func TestLabels(t *testing.T) {
	key, err := nem.GeneratePrivateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	o := &command.Opener{Device: key, Owners: command.StaticOwners()}
	_, openErr := o.Open(context.Background(), []byte{1, 2})
	for _, c := range []struct {
		err  error
		want string
	}{
		{openErr, "malformed"},
		{&command.RefusedError{Reason: command.ErrReplay, Err: command.ErrNotOwner}, "replay"}, // by Reason, not by what Err wraps
		{fmt.Errorf("wrapped: %w", &command.RefusedError{Reason: command.ErrStale}), "stale"},
		{errors.New("something else"), "other"},
	} {
		if got := RefusalReason(c.err); got != c.want {
			t.Errorf("RefusalReason(%v) = %q, want %q", c.err, got, c.want)
		}
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{nil, "quorum"},
		{fmt.Errorf("%w: T…", multisig.ErrNotMultisig), "not_multisig"},
		{&multisig.QuorumError{}, "no_quorum"},
		{multisig.ErrBadAnswer, "error"},
	} {
		if got := RefreshOutcome(c.err); got != c.want {
			t.Errorf("RefreshOutcome(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestHooksMoveCounters(t *testing.T) {
	m := New()
	m.OnOpen(nil, nil)
	m.OnOpen(nil, &command.RefusedError{Reason: command.ErrReplay})
	m.OnReply(true)
	m.OnBusy()
	m.OnRefresh(nil)
	m.OnNodeError("http://a:7890", errors.New("down"))
	m.OnNodeError("http://a:7890", errors.New("down"))
	m.InFlight(func() int { return 3 })
	m.ReplayLen(func() int { return 7 })
	want := `
# HELP nemiot_commands_accepted_total Command envelopes the device accepted (opened: from an owner, fresh, not replayed).
# TYPE nemiot_commands_accepted_total counter
nemiot_commands_accepted_total 1
# HELP nemiot_commands_refused_total Command envelopes the device refused, by reason.
# TYPE nemiot_commands_refused_total counter
nemiot_commands_refused_total{reason="replay"} 1
# HELP nemiot_hub_busy_total Commands the HTTP hub answered with 503, over its in-flight limit.
# TYPE nemiot_hub_busy_total counter
nemiot_hub_busy_total 1
# HELP nemiot_hub_in_flight Commands the HTTP hub is opening or handling now.
# TYPE nemiot_hub_in_flight gauge
nemiot_hub_in_flight 3
# HELP nemiot_node_errors_total Unusable answers from NIS nodes (owner and network-time quorums), by node.
# TYPE nemiot_node_errors_total counter
nemiot_node_errors_total{node="http://a:7890"} 2
# HELP nemiot_owner_refreshes_total Owner-cache refreshes, by outcome: quorum, not_multisig, no_quorum, error.
# TYPE nemiot_owner_refreshes_total counter
nemiot_owner_refreshes_total{outcome="error"} 0
nemiot_owner_refreshes_total{outcome="no_quorum"} 0
nemiot_owner_refreshes_total{outcome="not_multisig"} 0
nemiot_owner_refreshes_total{outcome="quorum"} 1
# HELP nemiot_replay_cache_entries Live entries in the device's replay cache.
# TYPE nemiot_replay_cache_entries gauge
nemiot_replay_cache_entries 7
# HELP nemiot_replies_total Reply envelopes the device made, by ok (false: the device refused to act on an accepted command).
# TYPE nemiot_replies_total counter
nemiot_replies_total{ok="false"} 0
nemiot_replies_total{ok="true"} 1
`
	names := []string{"nemiot_commands_accepted_total", "nemiot_commands_refused_total", "nemiot_hub_busy_total", "nemiot_hub_in_flight",
		"nemiot_node_errors_total", "nemiot_owner_refreshes_total", "nemiot_replay_cache_entries", "nemiot_replies_total"}
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
}
