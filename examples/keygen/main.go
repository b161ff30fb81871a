// Command keygen is run on a new device: the device makes its own NEM
// account and shows its private key once, on its own screen, as text and as
// a QR code, with the steps that hand the account to its owner.
//
// Usage:
//
//	go run ./examples/keygen [-network testnet] [-out FILE] [-quiet] [-invert]
//
// Flags:
//
//	-network  mainnet | testnet | mijin (default testnet): the network of
//	          the address shown and of the setup steps.
//	-out FILE also save the key to FILE (created with mode 0600, never
//	          overwritten), in the format examples/hub -key reads.
//	-quiet    with -out: do not display the key, only the public facts.
//	-invert   draw the QR code for a terminal with a light background
//	          (the default suits light text on a dark background).
//
// The key is generated from crypto/rand (nem.GeneratePrivateKey) and never
// leaves the device except through this display and -out: it is not logged
// and not sent anywhere. It is a temporary account in the sense that its
// key only has to be seen once, to convert the account to multisig in
// NanoWallet with the owner as cosignatory; after that the account cannot
// move funds on its own, and the key serves only to open the owner's
// commands and sign the device's replies.
package main

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/nemiot/nemiot/examples/internal/keyfile"
	"github.com/nemiot/nemiot/nem"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, rand.Reader))
}

// run is the program: it returns the exit status (0 ok, 1 failure, 2 bad
// usage). random is the entropy source of the key.
func run(args []string, stdout, stderr io.Writer, random io.Reader) int {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	network := fs.String("network", "testnet", "network: mainnet, testnet or mijin")
	out := fs.String("out", "", "also save the key to this new `FILE` (mode 0600)")
	quiet := fs.Bool("quiet", false, "with -out: do not display the key")
	invert := fs.Bool("invert", false, "draw the QR code for a light terminal background")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "keygen: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	n, err := nem.ParseNetwork(*network)
	if err != nil {
		fmt.Fprintf(stderr, "keygen: -network: %v\n", err)
		return 2
	}
	if *quiet && *out == "" {
		fmt.Fprintln(stderr, "keygen: -quiet needs -out, or the key would be lost")
		return 2
	}

	key, err := nem.GeneratePrivateKey(random)
	if err != nil {
		fmt.Fprintf(stderr, "keygen: %v\n", err)
		return 1
	}
	addr := key.Address(n)
	if *out != "" {
		comment := fmt.Sprintf("nemiot device key, %s account %s", n, addr)
		if err := keyfile.Write(*out, key, comment); err != nil {
			if errors.Is(err, os.ErrExist) {
				err = fmt.Errorf("%s exists; refusing to overwrite a key", *out)
			}
			fmt.Fprintf(stderr, "keygen: %v\n", err)
			return 1
		}
	}

	fmt.Fprintf(stdout, "New device account on %s\n\n", n)
	fmt.Fprintf(stdout, "  address     %s\n", addr.Pretty())
	fmt.Fprintf(stdout, "  public key  %s\n\n", key.PublicKey())
	if *out != "" {
		fmt.Fprintf(stdout, "The private key is saved in %s (mode 0600).\n\n", *out)
	}
	if !*quiet {
		if err := showKey(stdout, key, *invert); err != nil {
			fmt.Fprintf(stderr, "keygen: %v\n", err)
			return 1
		}
	}
	printSteps(stdout, n, addr, *out, *quiet)
	return 0
}

// showKey displays the private key as text and as a QR code. The QR code
// holds the key in upper-case hex, which QR's alphanumeric mode stores
// compactly and every NEM wallet reads.
func showKey(w io.Writer, key *nem.PrivateKey, invert bool) error {
	secret := strings.ToUpper(key.Hex())
	q, err := qrcode.New(secret, qrcode.Medium)
	if err != nil {
		return fmt.Errorf("QR code: %w", err)
	}
	fmt.Fprintln(w, "PRIVATE KEY: for your eyes only. Whoever holds it can pose as the device.")
	fmt.Fprintln(w, "It is shown once, here; nothing else records it (except -out).")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  %s %s\n  %s %s\n\n", secret[:16], secret[16:32], secret[32:48], secret[48:])
	fmt.Fprint(w, halfBlocks(q.Bitmap(), invert))
	fmt.Fprintln(w)
	return nil
}

// printSteps prints how the new account becomes the owner's device.
func printSteps(w io.Writer, n nem.Network, addr nem.Address, out string, quiet bool) {
	keyArg := out
	if keyArg == "" {
		keyArg = "device.key"
	}
	steps := []string{
		"Scan the QR code (or type the key) into NanoWallet on the owner's phone or computer: " +
			"create a \"Private key wallet\" from it, on " + n.String() + ".",
		"From the owner's own account, send the device account " + addr.Pretty() + " 0.5 XEM: " +
			"the fee of the multisig conversion, which the device account pays.",
		"In the device wallet: Services → Multisignature and Multi-user accounts → Convert an account to multisig. " +
			"Add the owner's account as cosignatory (add more owners if you like), minimum signatures 1, and send.",
		"Wait for the conversion to confirm (one block, about a minute). From then on the device account " +
			"cannot send anything by itself, and its owners are whatever the chain says its cosignatories are.",
		"Delete the device wallet from NanoWallet and destroy any written copy of the key: only the device needs it.",
		"Start the hub on the device: go run ./examples/hub -key " + keyArg + " -network " + n.String() +
			" (it asks a quorum of NIS nodes who owns the device).",
		"From the owner's computer: go run ./examples/app -key owner.key -hub http://DEVICE:8080 -cmd light -args '{\"on\":true}'",
	}
	if quiet {
		steps[0] = "Import the key saved in " + out + " into NanoWallet on the owner's phone or computer: " +
			"create a \"Private key wallet\" from it, on " + n.String() + "."
	}
	if out == "" {
		steps[5] = "Save the key on the device in a file only the hub can read (mode 0600, e.g. device.key; " +
			"keygen -out does this), and start the hub: go run ./examples/hub -key device.key -network " + n.String() + "."
	}
	fmt.Fprintln(w, "Setup:")
	for i, s := range steps {
		fmt.Fprint(w, wrap(fmt.Sprintf("%d. %s", i+1, s), 78, "  ", "     "))
	}
}

// wrap breaks s into lines of at most width bytes at spaces (a longer word
// stays whole), the first line starting with first and the others with
// indent.
func wrap(s string, width int, first, indent string) string {
	var b strings.Builder
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = first + word
		case len(line)+1+len(word) > width:
			b.WriteString(line + "\n")
			line = indent + word
		default:
			line += " " + word
		}
	}
	b.WriteString(line + "\n")
	return b.String()
}

// halfBlocks draws a bitmap (true = dark module) with Unicode half blocks,
// two rows of modules per line of text. By default light modules are drawn
// as glyphs and dark ones as blank, which reads correctly on a terminal with
// a dark background; invert swaps them for light backgrounds.
func halfBlocks(bm [][]bool, invert bool) string {
	glyph := [4]string{" ", "▄", "▀", "█"} // index: top<<1 | bottom, 1 = drawn
	drawn := func(y, x int) int {
		dark := y < len(bm) && x < len(bm[y]) && bm[y][x] // below the last row: quiet zone, light
		if dark == invert {                               // a light module, or a dark one when inverted
			return 1
		}
		return 0
	}
	var b strings.Builder
	for y := 0; y < len(bm); y += 2 {
		for x := range bm[y] {
			b.WriteString(glyph[drawn(y, x)<<1|drawn(y+1, x)])
		}
		b.WriteByte('\n')
	}
	return b.String()
}
