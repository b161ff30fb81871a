package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/hub/hubclient"
)

// scrape GETs url and parses the body as the Prometheus text format.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET %s: %s, Content-Type %q", url, resp.Status, resp.Header.Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: not Prometheus text: %v", url, err)
	}
	return fams
}

// value returns the value of the sample of family name whose labels are
// labels (name, value pairs), and whether there is one.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		if len(m.GetLabel())*2 != len(labels) {
			continue
		}
		for i, l := range m.GetLabel() {
			if l.GetName() != labels[2*i] || l.GetValue() != labels[2*i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		}
	}
	return 0, false
}

// TestMetrics runs the hub with -metrics on a free loopback port, sends
// owner commands (one the device refuses to act on), a stranger's and a
// malformed envelope, and checks that /metrics parses as Prometheus text
// and that the counters and gauges moved by exactly that.
func TestMetrics(t *testing.T) {
	devKey, owner, stranger := newKey(t), newKey(t), newKey(t)
	h := start(t, devKey, "-sim", "-owners", owner.PublicKey().String(), "-metrics", "127.0.0.1:0")
	m := regexp.MustCompile(`msg="metrics listening" addr=(127\.0\.0\.1:\d+)`).FindStringSubmatch(h.log.String())
	if m == nil {
		t.Fatalf("no metrics address in the log:\n%s", h.log)
	}
	url := "http://" + m[1] + "/metrics"

	before := scrape(t, url)
	for _, c := range []struct {
		name   string
		labels []string
	}{
		{"nemiot_commands_accepted_total", nil},
		{"nemiot_replies_total", []string{"ok", "true"}},
		{"nemiot_hub_busy_total", nil},
		{"nemiot_hub_in_flight", nil},
		{"nemiot_replay_cache_entries", nil},
	} {
		if v, ok := value(before, c.name, c.labels...); !ok || v != 0 {
			t.Errorf("before any command: %s%v = %v (present %v), want 0", c.name, c.labels, v, ok)
		}
	}

	dev := devKey.PublicKey()
	c := &hubclient.Client{Hub: h.url, Key: owner}
	if r := send(t, c, dev, "light", `{"on":true}`); !r.OK {
		t.Errorf("light: %s", r.Error)
	}
	if r := send(t, c, dev, "fan", `{"speed":4}`); r.OK {
		t.Error("fan speed 4 accepted")
	}
	sc := &hubclient.Client{Hub: h.url, Key: stranger}
	if _, _, err := sc.Send(context.Background(), dev, command.Command{Name: "light", Args: json.RawMessage(`{"on":false}`)}); !errors.Is(err, hubclient.ErrRefused) {
		t.Errorf("stranger: %v, want refused", err)
	}
	resp, err := http.Post(h.url+"/v1/commands", "application/octet-stream", strings.NewReader("not an envelope"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("garbage envelope: %s, want 401", resp.Status)
	}

	after := scrape(t, url)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"nemiot_commands_accepted_total", nil, 2},
		{"nemiot_commands_refused_total", []string{"reason", "not_owner"}, 1},
		{"nemiot_commands_refused_total", []string{"reason", "unsupported"}, 1}, // its first byte is no envelope version
		{"nemiot_replies_total", []string{"ok", "true"}, 1},
		{"nemiot_replies_total", []string{"ok", "false"}, 1},
		{"nemiot_hub_busy_total", nil, 0},
		{"nemiot_hub_in_flight", nil, 0},
		{"nemiot_replay_cache_entries", nil, 2},
	} {
		if v, ok := value(after, c.name, c.labels...); !ok || v != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, v, ok, c.want)
		}
	}
	if n := len(after["nemiot_commands_refused_total"].GetMetric()); n != 2 {
		t.Errorf("%d refusal reasons, want 2:\n%v", n, after["nemiot_commands_refused_total"])
	}
	if after["go_goroutines"] == nil {
		t.Error("no Go runtime metrics")
	}

	// The metrics server stops with the hub.
	if code := h.shutdown(t); code != 0 {
		t.Fatalf("exit %d\n%s", code, h.log)
	}
	cl := &http.Client{Timeout: 2 * time.Second}
	if resp, err := cl.Get(url); err == nil {
		resp.Body.Close()
		t.Errorf("GET %s after shutdown: %s", url, resp.Status)
	}
}
