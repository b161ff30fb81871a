// Command claim plays the ioNEM ownership story on one machine, with no
// flags, no hardware, no NanoWallet and no internet:
//
//	go run ./examples/claim
//
// It plays every part:
//
//  1. The chain: a local NEM testnet of 5 NIS nodes (package nistest), 2 of
//     which lie that an attacker owns every account, serving a history with
//     a forged modification to back the lie.
//  2. The device makes its own key and a temporary owner key, and waits
//     until its account is funded (the user pays the fees it needs).
//  3. The device converts its account to a 1-of-1 multisig account owned by
//     the temporary key (multisig.Client.Convert) and shows the temporary
//     key locally only (a screen, a terminal QR code: never printed here).
//  4. The user takes ownership with one transaction, signed with the
//     temporary key, that adds the user's own key and removes the temporary
//     one (multisig.Client.TransferOwnership), followed until confirmed.
//  5. The device verifies its custody chain (its own conversion, then the
//     hand-over signed by the owner of that moment) through a quorum of
//     nodes; the liars' forged history does not count.
//  6. Commands: the new owner is obeyed; the temporary key and the
//     attacker's key are refused (401).
//
// It exits 0 only if every step happened as described, 1 otherwise.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"slices"
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
	"github.com/nemiot/nemiot/nem/tx"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Stdout))
}

// run plays the claim and returns the exit status.
func run(ctx context.Context, w io.Writer) int {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if _, err := play(ctx, w); err != nil {
		fmt.Fprintf(w, "\nFAILED: %v\n", err)
		return 1
	}
	fmt.Fprintln(w, "\nAll as expected: the device claimed itself, the user owns it, the temporary key is refused.")
	return 0
}

// outcome is what happened, for the test to check.
type outcome struct {
	Device, Temp, User nem.PublicKey
	AfterConvert       *multisig.Owners // the device's view after its conversion
	AfterHandOver      *multisig.Owners // … after the hand-over
	Obeyed             *command.Reply   // the user's command
	Refused            map[string]error // the temporary key's and the attacker's commands
	Light              gpio.Level       // after everything
}

const fee = 5_000_000 // 5 XEM: the conversion and a few owner changes

func play(ctx context.Context, w io.Writer) (*outcome, error) {
	out := &outcome{Refused: map[string]error{}}
	step := func(format string, a ...any) { fmt.Fprintf(w, "\n== "+format+"\n", a...) }
	say := func(format string, a ...any) { fmt.Fprintf(w, "   "+format+"\n", a...) }

	// 1. The chain.
	step("A local NEM testnet: 5 NIS nodes on 127.0.0.1, 2 of them lying with a forged history")
	chain, err := nistest.Start(5, nil)
	if err != nil {
		return nil, err
	}
	defer chain.Close()
	network := chain.NetworkID()
	ops := &multisig.Client{Nodes: chain.URLs(), Network: network, PollEvery: 50 * time.Millisecond}

	// 2. The device makes its keys and waits for funding.
	step("The device makes its own key and a temporary owner key, and waits for funding")
	devKey, err := nem.GeneratePrivateKey(nil)
	if err != nil {
		return nil, err
	}
	temp, err := nem.GeneratePrivateKey(nil)
	if err != nil {
		return nil, err
	}
	out.Device, out.Temp = devKey.PublicKey(), temp.PublicKey()
	account := devKey.Address(network)
	say("device account %s (public key %s)", account.Pretty(), short(out.Device))
	user := chain.NewAccount() // the user's own key, in their wallet
	out.User = user.PublicKey()
	go func() {
		time.Sleep(200 * time.Millisecond) // the user pays, a little later
		chain.Fund(account, fee)
	}()
	err = ops.WaitFunded(ctx, account, fee, func(b uint64) { say("balance %s XEM", xem(b)) })
	if err != nil {
		return out, err
	}

	// 3. The device converts itself.
	step("The device converts itself to a 1-of-1 multisig account owned by the temporary key")
	a, err := ops.Convert(ctx, devKey, 1, temp.PublicKey())
	if err != nil {
		return out, fmt.Errorf("conversion: %w", err)
	}
	ct, err := ops.Wait(ctx, a)
	if err != nil {
		return out, fmt.Errorf("conversion: %w", err)
	}
	say("conversion %s… accepted by %d nodes, in block %d", a.Hash.String()[:12], len(a.Accepted), ct.Height)
	say("temporary owner (public key %s): its private key is shown on the device's screen or as a terminal QR code only, never sent or logged", short(out.Temp))

	// The lying nodes back their lie with a forged modification, signed by
	// the attacker.
	attacker, err := nem.GeneratePrivateKey(nil)
	if err != nil {
		return out, err
	}
	forged, err := forgeAddition(chain, out.Device, attacker)
	if err != nil {
		return out, err
	}
	for _, i := range []int{3, 4} {
		b := nistest.Lying([]nem.PublicKey{out.Temp, attacker.PublicKey()}, 1)
		b.History = &nistest.History{Forged: []*tx.Transaction{forged}}
		if err := chain.Node(i).SetBehavior(b); err != nil {
			return out, err
		}
	}
	owners := &multisig.OwnerCache{
		Resolver:     &multisig.Resolver{Nodes: chain.URLs()},
		Account:      account,
		RecheckEvery: 100 * time.Millisecond,
	}
	defer owners.Close()
	if out.AfterConvert, err = owners.Owners(ctx); err != nil {
		return out, fmt.Errorf("owners after conversion: %w", err)
	}
	say("the device's verified owners: %s (%d of %d nodes agree; history of %d modification)",
		names(out.AfterConvert.Cosignatories, out), out.AfterConvert.Agreed, out.AfterConvert.Asked, out.AfterConvert.Custody.Len())
	if !slices.Equal(out.AfterConvert.Cosignatories, []nem.PublicKey{out.Temp}) {
		return out, errors.New("after the conversion, the temporary key is not the only owner")
	}

	// 4. The user takes ownership.
	step("The user takes ownership: one modification adds the user's key and removes the temporary one")
	a, err = ops.TransferOwnership(ctx, temp, out.Device, out.Temp, out.User)
	if err != nil {
		return out, fmt.Errorf("hand-over: %w", err)
	}
	if ct, err = ops.Wait(ctx, a); err != nil {
		return out, fmt.Errorf("hand-over: %w", err)
	}
	say("hand-over %s… signed with the temporary key, in block %d", a.Hash.String()[:12], ct.Height)

	// 5 and 6. The device serves commands; the user's first one makes it
	// refresh its owners (a key it does not know yet is refused at once).
	step("The device obeys its new owner only")
	lightPin, fanPin := &gpiotest.Pin{N: "GPIO17", Num: 17}, &gpiotest.Pin{N: "GPIO18", Num: 18}
	dev, err := lightfan.LightFan(lightPin, fanPin, &device.Opts{Name: "claim"})
	if err != nil {
		return out, err
	}
	h := hub.New(&command.Opener{Device: devKey, Owners: owners}, dev, &hub.Options{Network: network})
	srv := hub.NewServer(h, "", nil)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return out, err
	}
	go srv.Serve(l)
	defer srv.Close()
	hubURL := "http://" + l.Addr().String()
	light := command.Command{Name: "light", Args: json.RawMessage(`{"on":true}`)}
	app := &hubclient.Client{Hub: hubURL, Key: user}
	for try := 0; ; try++ {
		out.Obeyed, _, err = app.Send(ctx, out.Device, light)
		if err == nil || !errors.Is(err, hubclient.ErrRefused) || try == 50 {
			break
		}
		time.Sleep(100 * time.Millisecond) // the refresh the first knock started
	}
	if err != nil {
		return out, fmt.Errorf("the new owner's command: %w", err)
	}
	if !out.Obeyed.OK {
		return out, fmt.Errorf("the new owner's command: the device said no: %s", out.Obeyed.Error)
	}
	say("user: light on → verified reply ok=%v", out.Obeyed.OK)
	if out.AfterHandOver, err = owners.Owners(ctx); err != nil {
		return out, err
	}
	say("the device's verified owners: %s (history of %d modifications)", names(out.AfterHandOver.Cosignatories, out), out.AfterHandOver.Custody.Len())
	if !slices.Equal(out.AfterHandOver.Cosignatories, []nem.PublicKey{out.User}) {
		return out, errors.New("after the hand-over, the user is not the only owner")
	}
	off := command.Command{Name: "light", Args: json.RawMessage(`{"on":false}`)}
	for name, k := range map[string]*nem.PrivateKey{"temporary key": temp, "attacker": attacker} {
		_, _, err := (&hubclient.Client{Hub: hubURL, Key: k}).Send(ctx, out.Device, off)
		out.Refused[name] = err
		if !errors.Is(err, hubclient.ErrRefused) {
			return out, fmt.Errorf("%s: got %v, want a refusal", name, err)
		}
		say("%s: light off → %v", name, err)
	}
	lightPin.Lock()
	out.Light = lightPin.L
	lightPin.Unlock()
	if out.Light != gpio.High {
		return out, errors.New("the light is not on: a refused command moved it, or the user's did not")
	}
	return out, nil
}

// forgeAddition returns a multisig modification of the device's account
// adding the attacker, signed by the attacker alone: what a lying node
// can make, which the device's custody check refuses.
func forgeAddition(chain *nistest.Network, account nem.PublicKey, attacker *nem.PrivateKey) (*tx.Transaction, error) {
	now := nem.TimestampOf(chain.Time())
	inner := &tx.Transaction{Type: tx.TypeMultisigModification, Network: chain.NetworkID(), TimeStamp: now, Deadline: now + 3600,
		Signer: account, Modifications: []tx.Modification{{Type: tx.AddCosignatory, Cosignatory: attacker.PublicKey()}}}
	inner.Fee = tx.MinimumFee(inner)
	w := &tx.Transaction{Type: tx.TypeMultisig, Network: chain.NetworkID(), TimeStamp: now, Deadline: now + 3600, Inner: inner}
	w.Fee = tx.MinimumFee(w)
	if _, err := w.Sign(attacker); err != nil {
		return nil, err
	}
	return w, nil
}

func xem(micro uint64) string { return fmt.Sprintf("%d.%06d", micro/1_000_000, micro%1_000_000) }

// short abbreviates a public key for display.
func short(p nem.PublicKey) string { return p.String()[:12] + "…" }

func names(keys []nem.PublicKey, o *outcome) string {
	s := ""
	for i, k := range keys {
		if i > 0 {
			s += " "
		}
		switch k {
		case o.Temp:
			s += "[temporary " + short(k) + "]"
		case o.User:
			s += "[user " + short(k) + "]"
		default:
			s += short(k)
		}
	}
	return s
}
