// Command demo runs the whole nemiot round trip on one machine, in a few
// seconds, with no flags, no hardware and no internet:
//
//	go run ./examples/demo
//
// It plays every part:
//
//  1. The chain: a local NEM testnet of 7 NIS nodes (package nistest), 2 of
//     which lie, claiming that an attacker owns every account.
//  2. The setup: a device account is converted to a 1-of-1 multisig account
//     with the owner as cosignatory, as NanoWallet does it.
//  3. The device: it learns its owners from a quorum of randomly chosen
//     nodes (multisig.OwnerCache), and serves a hub (package hub) on
//     127.0.0.1 in front of a light and a fan on simulated GPIO pins
//     (periph's gpiotest).
//  4. The owner's app: it sends "light" {"on":true}, "fan" {"speed":3} and
//     "status", each sealed with command.Seal, and checks each signed reply
//     with command.OpenReply; the pins change as commanded.
//  5. The attacks: the same envelope sent again (a replay), an envelope
//     with one byte changed (a forgery), and a command signed by the key
//     the lying nodes name as owner. The hub answers each with 401, the
//     device's log says why, and the pins do not move.
//  6. The shutdown: the hub stops gracefully and halts the device (all pins
//     Low).
//
// It exits 0 when everything happened as described and 1 on any other
// outcome. Everything it does is library code a real device and app use; only
// the chain and the pins are simulated.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/device"
	"github.com/nemiot/nemiot/examples/internal/lightfan"
	"github.com/nemiot/nemiot/hub"
	"github.com/nemiot/nemiot/hub/hubclient"
	"github.com/nemiot/nemiot/multisig"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis/nistest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Stdout, defaultConfig))
}

// config is the demo's scenario.
type config struct {
	Nodes int // NIS nodes
	Liars int // of which this many (the last ones) claim the attacker owns the device
}

var defaultConfig = config{Nodes: 7, Liars: 2}

// run plays the demo and returns the exit status: 0 when every step had the
// expected outcome, 1 otherwise.
func run(ctx context.Context, w io.Writer, cfg config) int {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if _, err := play(ctx, w, cfg); err != nil {
		fmt.Fprintf(w, "\nFAILED: %v\n", err)
		return 1
	}
	fmt.Fprintln(w, "\nAll as expected: owners obeyed, attacks refused, device halted.")
	return 0
}

// pinState is what a simulated pin is doing.
type pinState struct {
	Level gpio.Level
	Duty  gpio.Duty // the last PWM duty, meaningful while a level between off and full is set
}

// outcome is what happened, for the test to check.
type outcome struct {
	Owners  *multisig.Owners          // what the quorum agreed
	Replies map[string]*command.Reply // the owner's commands, by name
	Light   []pinState                // after light, fan, status, the attacks, and the halt
	Fan     []pinState
	Refused map[string]error // the attacks, by name: each must be hubclient.ErrRefused
}

func play(ctx context.Context, w io.Writer, cfg config) (*outcome, error) {
	out := &outcome{Replies: map[string]*command.Reply{}, Refused: map[string]error{}}
	step := func(format string, a ...any) { fmt.Fprintf(w, "\n== "+format+"\n", a...) }
	say := func(format string, a ...any) { fmt.Fprintf(w, "   "+format+"\n", a...) }

	// 1. The chain.
	step("A local NEM testnet: %d NIS nodes on 127.0.0.1, %d of them lying", cfg.Nodes, cfg.Liars)
	chain, err := nistest.Start(cfg.Nodes, nil)
	if err != nil {
		return nil, err
	}
	defer chain.Close()
	owner, err := nem.GeneratePrivateKey(nil)
	if err != nil {
		return nil, err
	}
	attacker, err := nem.GeneratePrivateKey(nil)
	if err != nil {
		return nil, err
	}
	devKey := chain.NewAccount() // the device's own key (examples/keygen makes one on a real device)
	account := devKey.Address(chain.NetworkID())

	// 2. The setup.
	if _, err := chain.ConvertToMultisig(devKey, 1, owner.PublicKey()); err != nil {
		return nil, fmt.Errorf("multisig conversion: %w", err)
	}
	say("device account %s converted to multisig; cosignatory (owner) %s", account.Pretty(), short(owner.PublicKey()))
	for i := cfg.Nodes - cfg.Liars; i < cfg.Nodes; i++ {
		if err := chain.Node(i).SetBehavior(nistest.Lying([]nem.PublicKey{attacker.PublicKey()}, 1)); err != nil {
			return nil, err
		}
	}
	for _, nd := range chain.Nodes() {
		acct, err := nd.Client().Account(ctx, account)
		if err != nil {
			return nil, fmt.Errorf("node %d: %w", nd.Index(), err)
		}
		say("node %d (%s) says the owners are %s", nd.Index(), nd.URL(), names(acct.CosignatoryKeys(), owner, attacker))
	}

	// 3. The device.
	step("The device asks a quorum of random nodes who owns it")
	owners := &multisig.OwnerCache{
		Resolver: &multisig.Resolver{Nodes: chain.URLs()},
		Account:  account,
	}
	out.Owners, err = owners.Owners(ctx)
	if err != nil {
		return out, fmt.Errorf("owner quorum: %w", err)
	}
	say("%d of %d nodes asked agree: owners %s, %d signature(s) needed",
		out.Owners.Agreed, out.Owners.Asked, names(out.Owners.Cosignatories, owner, attacker), out.Owners.Required())
	if !out.Owners.Has(owner.PublicKey()) || out.Owners.Has(attacker.PublicKey()) {
		return out, errors.New("the quorum did not name the real owner alone")
	}

	lightPin, fanPin := &gpiotest.Pin{N: "GPIO17", Num: 17}, &gpiotest.Pin{N: "GPIO18", Num: 18}
	dev, err := lightfan.LightFan(lightPin, fanPin, &device.Opts{Name: "demo"})
	if err != nil {
		return out, err
	}
	logs := &records{}
	opener := &command.Opener{Device: devKey, Owners: owners}
	h := hub.New(opener, dev, &hub.Options{Logger: slog.New(logs), Network: chain.NetworkID()})
	srv := hub.NewServer(h, "", nil)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return out, err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	defer srv.Close()
	hubURL := "http://" + l.Addr().String()
	say("hub listening on %s, device public key %s", hubURL, short(devKey.PublicKey()))

	pins := func() {
		l, f := read(lightPin), read(fanPin)
		out.Light, out.Fan = append(out.Light, l), append(out.Fan, f)
		say("pins: light GPIO17 %s, fan GPIO18 %s", l.Level, fanText(f))
	}

	// 4. The owner's app.
	step("The owner's app sends commands")
	app := &hubclient.Client{Hub: hubURL, Key: owner}
	info, err := app.Device(ctx)
	if err != nil {
		return out, err
	}
	if info.PublicKey != devKey.PublicKey() {
		return out, errors.New("GET /v1/device names another key")
	}
	var lightEnvelope []byte
	for _, c := range []struct{ name, args string }{
		{"light", `{"on":true}`},
		{"fan", `{"speed":3}`},
		{"status", ""},
	} {
		cmd := command.Command{Name: c.name}
		if c.args != "" {
			cmd.Args = json.RawMessage(c.args)
		}
		reply, sent, err := app.Send(ctx, info.PublicKey, cmd)
		if err != nil {
			return out, fmt.Errorf("%s: %w", c.name, err)
		}
		if c.name == "light" {
			lightEnvelope = sent
		}
		out.Replies[c.name] = reply
		say("%s %s → verified reply, ok=%v, signed at %s: %s", c.name, c.args, reply.OK,
			reply.Time.Format("15:04:05.000"), compact(reply.Result))
		if !reply.OK {
			return out, fmt.Errorf("%s: the device said no: %s", c.name, reply.Error)
		}
		pins()
	}

	// 5. The attacks.
	step("Attacks: each gets 401 {\"error\":\"refused\"}; only the device's log says why")
	forged := bytes.Clone(lightEnvelope)
	forged[len(forged)-100] ^= 0x01 // one bit of the ciphertext
	evil, err := (&hubclient.Client{Hub: hubURL, Key: attacker}).Seal(info.PublicKey,
		command.Command{Name: "light", Args: json.RawMessage(`{"on":false}`)})
	if err != nil {
		return out, err
	}
	for _, a := range []struct {
		name, what string
		env        []byte
	}{
		{"replay", "the light command again, byte for byte", lightEnvelope},
		{"forgery", "the light command with one bit changed", forged},
		{"attacker", "light off, signed by the key the lying nodes name", evil},
	} {
		_, err := app.Post(ctx, a.env)
		out.Refused[a.name] = err
		if !errors.Is(err, hubclient.ErrRefused) {
			return out, fmt.Errorf("%s: got %v, want a refusal", a.name, err)
		}
		say("%-8s (%s): %v; device log: %s", a.name, a.what, err, logs.lastReason())
	}
	pins()
	if !out.Light[len(out.Light)-1].Level || out.Fan[len(out.Fan)-1].Level != gpio.High {
		return out, errors.New("an attack changed the pins")
	}

	// 6. The shutdown.
	step("Graceful shutdown halts the device")
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return out, fmt.Errorf("shutdown: %w", err)
	}
	<-served
	pins()
	if out.Light[len(out.Light)-1].Level || out.Fan[len(out.Fan)-1].Level {
		return out, errors.New("the halted device left a pin High")
	}
	return out, nil
}

func read(p *gpiotest.Pin) pinState {
	p.Lock()
	defer p.Unlock()
	return pinState{Level: p.L, Duty: p.D}
}

func fanText(s pinState) string {
	if s.Level == gpio.High {
		return "High (full speed)"
	}
	if s.Duty > 0 {
		return "PWM " + s.Duty.String()
	}
	return "Low"
}

// short abbreviates a public key for display.
func short(p nem.PublicKey) string { return p.String()[:12] + "…" }

// names shows a key list, naming the owner and the attacker.
func names(keys []nem.PublicKey, owner, attacker *nem.PrivateKey) string {
	if len(keys) == 0 {
		return "none (not multisig)"
	}
	var s []string
	for _, k := range keys {
		switch k {
		case owner.PublicKey():
			s = append(s, "[owner "+short(k)+"]")
		case attacker.PublicKey():
			s = append(s, "[ATTACKER "+short(k)+"]")
		default:
			s = append(s, short(k))
		}
	}
	return strings.Join(s, " ")
}

func compact(b json.RawMessage) string {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return string(b)
	}
	return buf.String()
}

// records is a slog handler that keeps the hub's access records, so the
// demo can show the refusal reasons the device logs locally.
type records struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *records) WithGroup(string) slog.Handler            { return r }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec.Clone())
	return nil
}

// lastReason returns the "reason" of the latest record that has one.
func (r *records) lastReason() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.recs) - 1; i >= 0; i-- {
		reason := ""
		r.recs[i].Attrs(func(a slog.Attr) bool {
			if a.Key == "reason" {
				reason = a.Value.String()
				return false
			}
			return true
		})
		if reason != "" {
			return reason
		}
	}
	return "(none)"
}
