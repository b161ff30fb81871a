package mqtt

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nemiot/nemiot/nem"
)

// TestBackoff: attempt n waits a uniformly random time in [0, min(max,
// min·2ⁿ)] (full jitter): never more than the ceiling, and spread over it.
func TestBackoff(t *testing.T) {
	minB, maxB := 100*time.Millisecond, 2*time.Minute
	for attempt, ceil := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond} {
		var lo, hi bool
		for range 2000 {
			d := backoff(minB, maxB, attempt)
			if d < 0 || d > ceil {
				t.Fatalf("attempt %d: %v outside [0, %v]", attempt, d, ceil)
			}
			lo = lo || d < ceil/4
			hi = hi || d > ceil*3/4
		}
		if !lo || !hi {
			t.Errorf("attempt %d: delays not spread over [0, %v]", attempt, ceil)
		}
	}
	for _, attempt := range []int{11, 12, 40, 100} {
		if d := backoff(minB, maxB, attempt); d > maxB {
			t.Errorf("attempt %d: %v over the cap", attempt, d)
		}
	}
}

func TestParseBroker(t *testing.T) {
	for _, c := range []struct {
		url, addr string
		tls       bool
	}{
		{"tcp://127.0.0.1:1883", "127.0.0.1:1883", false},
		{"mqtt://broker.example", "broker.example:1883", false},
		{"ssl://broker.example", "broker.example:8883", true},
		{"mqtts://[::1]:9000", "[::1]:9000", true},
		{"TLS://h:1", "h:1", true},
	} {
		e, err := parseBroker(c.url)
		if err != nil || e.addr != c.addr || e.tls != c.tls {
			t.Errorf("%s: %+v %v", c.url, e, err)
		}
	}
	for _, bad := range []string{"", "127.0.0.1:1883", "http://h:1", "ws://h:1", "tcp://user:secret@h:1", "tcp://:secret@h:1"} {
		_, err := parseBroker(bad)
		if !errors.Is(err, ErrConfig) {
			t.Errorf("%q: %v, want ErrConfig", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%q: the error shows the password: %v", bad, err)
		}
	}
}

func TestDeviceOfTopic(t *testing.T) {
	var dev nem.PublicKey
	dev[0], dev[31] = 0xab, 0xcd
	for _, c := range []struct {
		prefix, topic string
		ok            bool
	}{
		{"", RepliesTopic("", dev, dev), true},
		{"a/b", RepliesTopic("a/b/", dev, dev), true},
		{"", StatusTopic("", dev), true},
		{"", "nemiot/v1/" + dev.String(), true},
		{"", "nemiot/v1/" + dev.String() + "x", false},
		{"", "nemiot/v1/zz" + dev.String()[2:] + "/status", false},
		{"", "other/v1/" + dev.String() + "/status", false},
		{"", "nemiot/v1/ab", false},
	} {
		got, ok := deviceOfTopic(c.prefix, c.topic)
		if ok != c.ok || ok && got != dev {
			t.Errorf("%q: %v %v", c.topic, got, ok)
		}
	}
}

// TestFairQueue: flows are served in turn, one envelope each; a flow is
// capped, and so is the whole queue.
func TestFairQueue(t *testing.T) {
	q := newFairQueue(6, 3)
	flood, owner := flowKey{sender: nem.PublicKey{1}}, flowKey{sender: nem.PublicKey{2}}
	for i := range 5 {
		ok := q.push(flood, []byte{byte(i)})
		if ok != (i < 3) {
			t.Fatalf("flood %d: push %v", i, ok)
		}
	}
	if !q.push(owner, []byte{'o'}) || !q.push(owner, []byte{'p'}) || !q.push(owner, []byte{'q'}) {
		t.Fatal("the owner's envelopes were refused")
	}
	if q.push(flowKey{sender: nem.PublicKey{3}}, []byte{'x'}) {
		t.Fatal("pushed past the total bound")
	}
	var order []byte
	for range 6 {
		<-q.tokens
		_, env := q.pop()
		order = append(order, env[0])
	}
	if string(order) != "\x00o\x01p\x02q" {
		t.Errorf("served %q, want the flows in turn", order)
	}
	if len(q.flows) != 0 || len(q.ring) != 0 || q.total != 0 {
		t.Errorf("queue not empty: %d flows, %d in ring, total %d", len(q.flows), len(q.ring), q.total)
	}
}
