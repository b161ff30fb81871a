package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/nemiot/nemiot/multisig"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/keyfile"
)

// claimUsage documents "keygen claim".
const claimUsage = `usage: keygen claim -nodes URL,URL,... -out device.key [-network NAME] [-fund XEM] [-show] [-invert]

On the device: the ioNEM claim, without NanoWallet. keygen makes the
device's key (saved in -out) and a temporary owner key, waits until the
device account holds -fund XEM (default 1, for the fees), converts the
account to a 1-of-1 multisig account owned by the temporary key, and shows
the temporary key here only, as text and QR code. Take ownership with it
from your computer, in one transaction that adds your key and removes the
temporary one:

  go run ./examples/app owners transfer -key temp.key -to YOUR_PUBLIC_KEY -nodes … -device DEVICE_PUBLIC_KEY

(temp.key holds the temporary key as shown). Until then whoever sees the
temporary key owns the device.`

// runClaim is "keygen claim": exit 0 when the device converted itself and
// showed the temporary key, 1 on failure, 2 on bad usage.
func runClaim(args []string, stdout, stderr io.Writer, random io.Reader) int {
	fs := flag.NewFlagSet("keygen claim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, claimUsage); fs.PrintDefaults() }
	network := fs.String("network", "testnet", "network: mainnet, testnet or mijin")
	nodesFlag := fs.String("nodes", "", "NIS node `URLs`, comma-separated")
	out := fs.String("out", "", "save the device key to this new `FILE` (mode 0600)")
	fund := fs.Float64("fund", 1, "XEM to wait for before converting (fees: 0.5 to convert, more for later changes)")
	show := fs.Bool("show", false, "display the temporary key even when standard output is not a terminal")
	invert := fs.Bool("invert", false, "draw the QR code for a light terminal background")
	poll := fs.Duration("poll", 5*time.Second, "how often to ask the nodes")
	timeout := fs.Duration("timeout", 24*time.Hour, "how long to wait for funding and the conversion")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "keygen claim: "+format+"\n", a...)
		return 2
	}
	if fs.NArg() > 0 {
		return usage("unexpected argument %q", fs.Arg(0))
	}
	n, err := nem.ParseNetwork(*network)
	if err != nil {
		return usage("-network: %v", err)
	}
	var nodes []string
	for _, u := range strings.Split(*nodesFlag, ",") {
		if u = strings.TrimSpace(u); u != "" {
			nodes = append(nodes, u)
		}
	}
	switch {
	case len(nodes) == 0:
		return usage("-nodes: give the NIS nodes to announce to")
	case *out == "":
		return usage("-out: the device key must be saved, or the device would lose its account")
	case *fund < 0.5:
		return usage("-fund: at least 0.5 XEM, the conversion's fee")
	case !*show && !isTerminal(stdout):
		return usage("standard output is not a terminal; refusing to show the temporary key there (pass -show to do it anyway)")
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "keygen claim: %v\n", err)
		return 1
	}
	device, err := nem.GeneratePrivateKey(random)
	if err != nil {
		return fail(err)
	}
	temp, err := nem.GeneratePrivateKey(random)
	if err != nil {
		return fail(err)
	}
	account := device.Address(n)
	if err := keyfile.Create(*out, &keyfile.File{Key: device, Network: n}, fmt.Sprintf("nemiot device key, %s account %s", n, account)); err != nil {
		if errors.Is(err, os.ErrExist) {
			err = fmt.Errorf("%s exists; refusing to overwrite a key", *out)
		}
		return fail(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	ops := &multisig.Client{Nodes: nodes, Network: n, PollEvery: *poll}
	fmt.Fprintf(stdout, "New device account on %s, key saved in %s\n\n", n, *out)
	fmt.Fprintf(stdout, "  address     %s\n", account.Pretty())
	fmt.Fprintf(stdout, "  public key  %s\n\n", device.PublicKey())
	amount := uint64(*fund * 1_000_000)
	fmt.Fprintf(stdout, "Send %s XEM to %s for the fees; waiting…\n", xem(amount), account)
	if err := ops.WaitFunded(ctx, account, amount, func(b uint64) {
		fmt.Fprintf(stdout, "  balance %s XEM\n", xem(b))
	}); err != nil {
		return fail(err)
	}
	fmt.Fprintln(stdout, "Converting the account to multisig, owned by a temporary key…")
	a, err := ops.Convert(ctx, device, 1, temp.PublicKey())
	if err != nil {
		return fail(err)
	}
	ct, err := ops.Wait(ctx, a)
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "  conversion %s confirmed in block %d\n\n", a.Hash, ct.Height)
	fmt.Fprintf(stdout, "The TEMPORARY OWNER key follows. Use it once, to hand the device to your own key:\n\n")
	if err := showKey(stdout, temp, *invert); err != nil {
		return fail(err)
	}
	printNumbered(stdout, "Next", []string{
		"On your computer, save the temporary key above in temp.key (one line of hex).",
		fmt.Sprintf("go run ./examples/app owners transfer -key temp.key -to YOUR_PUBLIC_KEY -nodes %s -device %s",
			strings.Join(nodes, ","), device.PublicKey()),
		"Delete temp.key: after the transfer the temporary key owns nothing.",
		fmt.Sprintf("Run the hub: go run ./examples/hub -key %s -network %s -nodes %s", *out, n, strings.Join(nodes, ",")),
	})
	return 0
}

func xem(micro uint64) string { return fmt.Sprintf("%d.%06d", micro/1_000_000, micro%1_000_000) }
