package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/hub/hubclient"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis/nistest"
)

// clockOffNetwork is a NEM network whose time is an hour ahead of this
// machine's clock, with a device account owned 1-of-1 by owner: this
// machine plays a device whose clock is an hour off, and the owner's app,
// whose clock is right, dates commands by the network's time.
func clockOffNetwork(t *testing.T) (net *nistest.Network, h func(args ...string) *running, owner *hubclient.Client, dev nem.PublicKey) {
	t.Helper()
	net = nistest.NewNetwork(t, 5, &nistest.Options{Time: time.Now().Add(time.Hour)})
	devKey, ownerKey := net.NewAccount(), newKey(t)
	if _, err := net.ConvertToMultisig(devKey, 1, ownerKey.PublicKey()); err != nil {
		t.Fatal(err)
	}
	h = func(args ...string) *running {
		return start(t, devKey, append([]string{"-sim", "-nodes", strings.Join(net.URLs(), ",")}, args...)...)
	}
	return net, h, &hubclient.Client{Key: ownerKey, Clock: net.Time}, devKey.PublicKey()
}

// TestClockHourOffRefuses: a device whose clock is an hour off refuses its
// owner's commands, and its log says why in one line (the date) and what
// to do (set the clock or -clock network).
func TestClockHourOffRefuses(t *testing.T) {
	_, start, owner, pub := clockOffNetwork(t)
	h := start()
	owner.Hub = h.url
	_, _, err := owner.Send(context.Background(), pub, command.Command{Name: "status"})
	if !errors.Is(err, hubclient.ErrRefused) {
		t.Fatalf("owner's command to a device an hour off: %v, want refused", err)
	}
	logs := h.log.String()
	for _, want := range []string{"dated in the future", "clock: an owner's command was dated outside the window", "-clock network"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

// TestClockNetworkAccepts: the same device with -clock network dates
// commands by the quorum's time and obeys its owner; its replies are dated
// so that the owner's app takes them.
func TestClockNetworkAccepts(t *testing.T) {
	_, start, owner, pub := clockOffNetwork(t)
	h := start("-clock", "network")
	owner.Hub = h.url
	// The first sync runs beside serving: wait for it, as an owner would
	// retry.
	var err error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var r *command.Reply
		if r, _, err = owner.Send(context.Background(), pub, command.Command{Name: "status"}); err == nil {
			if !r.OK {
				t.Fatalf("status: %s", r.Error)
			}
			break
		}
	}
	if err != nil {
		t.Fatalf("owner's command with -clock network: %v\n%s", err, h.log)
	}
	// The line is logged just after the clock is set, with how far this
	// machine's clock is off: an hour, give or take the round trip.
	waitLog(t, h, "clock: set from the quorum network time; commands are now judged by it\" networkMinusSystem=")
	if logs := h.log.String(); !strings.Contains(logs, "networkMinusSystem=1h0m") && !strings.Contains(logs, "networkMinusSystem=59m59.") {
		t.Errorf("log does not say the system clock is an hour off:\n%s", logs)
	}
}

// TestClockNetworkBeforeQuorum: with -clock network and no node reachable,
// the device refuses even its fixed owner's command: it never judges a
// date by a guessed clock, and the log says so.
func TestClockNetworkBeforeQuorum(t *testing.T) {
	net, _, owner, _ := clockOffNetwork(t)
	for _, n := range net.Nodes() {
		if err := n.SetBehavior(nistest.Down()); err != nil {
			t.Fatal(err)
		}
	}
	devKey := newKey(t)
	h := start(t, devKey, "-sim", "-clock", "network", "-nodes", strings.Join(net.URLs(), ","), "-owners", owner.Key.PublicKey().String())
	owner.Hub = h.url
	if _, _, err := owner.Send(context.Background(), devKey.PublicKey(), command.Command{Name: "status"}); !errors.Is(err, hubclient.ErrRefused) {
		t.Fatalf("before any quorum: %v, want refused", err)
	}
	waitLog(t, h, "clock: no quorum network time yet; every command is refused")
	waitLog(t, h, "device clock is not set")
}

// waitLog waits until the hub's log holds want.
func waitLog(t *testing.T, h *running, want string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(h.log.String(), want); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("log lacks %q:\n%s", want, h.log)
		}
	}
}
