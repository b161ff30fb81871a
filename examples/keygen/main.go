// Command keygen makes a NEM account and its private key where the key
// will live: on a new device for the device, or on the owner's computer
// for the owner. It shows the key only on its own screen, as text and as
// a QR code, and says what to do next.
//
// Usage:
//
//	go run ./examples/keygen [-network testnet] [-out FILE] [-quiet] [-show] [-invert]   # on the device
//	go run ./examples/keygen -owner -out owner.key -quiet [-network testnet]           # on the owner's computer
//
// Flags:
//
//	-network  mainnet | testnet | mijin (default testnet): the network of
//	          the address shown and of the setup steps, recorded in -out.
//	-out FILE also save the key to FILE (created with mode 0600, never
//	          overwritten), in the format examples/hub -key and
//	          examples/app -key read, with a "# network: NAME" line.
//	-quiet    with -out: do not display the key, only the public facts.
//	-show     display the key even when standard output is not a terminal
//	          (a pipe or a file). Without -show keygen refuses to write the
//	          key there, since whatever reads it then holds the key too.
//	-owner    make the owner's key instead of a device's (see below).
//	-invert   draw the QR code for a terminal with a light background
//	          (the default suits light text on a dark background).
//
// The key is generated from crypto/rand (nem.GeneratePrivateKey) and never
// leaves the machine except through this display and -out: it is not logged
// and not sent anywhere. It is shown in four groups of 16 hex digits; a key
// file takes it typed back as shown (spaces, dashes and line breaks between
// the digits are ignored, either case), NanoWallet from the QR code.
//
// # The device's key
//
// Run keygen on the device. Its key is a temporary account in the sense
// that it only has to be seen once, to convert the account to multisig in
// NanoWallet with the owner as cosignatory; after that the account cannot
// move funds on its own, and the key serves only to open the owner's
// commands and sign the device's replies.
//
// # The claim, without NanoWallet
//
//	go run ./examples/keygen claim -nodes URL,URL,… -out device.key
//
// makes the device's key and a temporary owner key, waits (with progress)
// until the device account is funded for the fees, converts the account
// itself to a 1-of-1 multisig account owned by the temporary key, and shows
// the temporary key here only. The owner then takes the device over with
// that key in one transaction that adds their own key and removes the
// temporary one (examples/app owners transfer). See claimUsage in claim.go.
//
// # The owner's key (owner.key)
//
// The owner signs commands with the private key of an account that is a
// cosignatory of the device account, kept in a key file on the owner's
// computer (examples/app -key owner.key). Either make a new one there,
//
//	go run ./examples/keygen -owner -out owner.key -quiet
//
// or save the private key of the owner's NanoWallet account in such a file
// (one line of hex, mode 0600). Only the owner's PUBLIC key ever leaves
// that computer: it is what the device account names as cosignatory on
// chain (or what a lab hub takes as -owners HEX). The owner's private key
// never goes to the device.
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

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/keyfile"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, rand.Reader))
}

// run is the program: it returns the exit status (0 ok, 1 failure, 2 bad
// usage). random is the entropy source of the key.
func run(args []string, stdout, stderr io.Writer, random io.Reader) int {
	if len(args) > 0 && args[0] == "claim" {
		return runClaim(args[1:], stdout, stderr, random)
	}
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	network := fs.String("network", "testnet", "network: mainnet, testnet or mijin")
	out := fs.String("out", "", "also save the key to this new `FILE` (mode 0600)")
	quiet := fs.Bool("quiet", false, "with -out: do not display the key")
	show := fs.Bool("show", false, "display the key even when standard output is not a terminal")
	owner := fs.Bool("owner", false, "make the owner's key (for examples/app -key), not a device's")
	invert := fs.Bool("invert", false, "draw the QR code for a light terminal background")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: keygen [-network NAME] [-out FILE] [-quiet] [-show] [-invert]   (on the device)
       keygen -owner -out owner.key -quiet [-network NAME]           (on the owner's computer)

keygen makes a NEM account and shows its private key on this screen only.
The owner's key (owner.key, for examples/app) is made by the owner with
-owner, or saved from the owner's NanoWallet account; only its PUBLIC key
goes to the device and the chain.

`)
		fs.PrintDefaults()
	}
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
	if !*quiet && !*show && !isTerminal(stdout) {
		fmt.Fprintln(stderr, "keygen: standard output is not a terminal; refusing to write the private key to it "+
			"(whatever reads it would hold the key). Save it with -out FILE -quiet, or pass -show to write it anyway.")
		return 2
	}

	key, err := nem.GeneratePrivateKey(random)
	if err != nil {
		fmt.Fprintf(stderr, "keygen: %v\n", err)
		return 1
	}
	role := "device"
	if *owner {
		role = "owner"
	}
	addr := key.Address(n)
	if *out != "" {
		comment := fmt.Sprintf("nemiot %s key, %s account %s", role, n, addr)
		if err := keyfile.Create(*out, &keyfile.File{Key: key, Network: n}, comment); err != nil {
			if errors.Is(err, os.ErrExist) {
				err = fmt.Errorf("%s exists; refusing to overwrite a key", *out)
			}
			fmt.Fprintf(stderr, "keygen: %v\n", err)
			return 1
		}
	}

	fmt.Fprintf(stdout, "New %s account on %s\n\n", role, n)
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
	if *owner {
		printOwnerSteps(stdout, n, key.PublicKey(), *out)
	} else {
		printSteps(stdout, n, key.PublicKey(), *out, *quiet)
	}
	return 0
}

// isTerminal reports whether w is a character device, such as a terminal,
// rather than a pipe, a file or a buffer. (/dev/null is one too, and
// harmless.)
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
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
	fmt.Fprintln(w, "PRIVATE KEY: for your eyes only. Whoever holds it can pose as this account.")
	fmt.Fprintln(w, "It is shown once, here; nothing else records it (except -out).")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  %s %s %s %s\n\n", secret[:16], secret[16:32], secret[32:48], secret[48:])
	fmt.Fprint(w, wrap("A key file takes it as shown: 64 hex digits in either case; spaces, dashes and "+
		"line breaks between them are ignored. NanoWallet takes it from the QR code.", 78, "", ""))
	fmt.Fprintln(w)
	fmt.Fprint(w, halfBlocks(q.Bitmap(), invert))
	fmt.Fprintln(w)
	return nil
}

// printSteps prints how the new account becomes the owner's device.
func printSteps(w io.Writer, n nem.Network, pub nem.PublicKey, out string, quiet bool) {
	addr := pub.Address(n)
	keyArg := out
	if keyArg == "" {
		keyArg = "device.key"
	}
	steps := []string{
		"Scan the QR code (or type the key) into NanoWallet on the owner's phone or computer: " +
			"create a \"Private key wallet\" from it, on " + n.String() + ".",
		"From the owner's own account (or any account with XEM), send the device account " + addr.Pretty() + " 0.5 XEM: " +
			"the fee of the multisig conversion, which the device account pays.",
		"In the device wallet: Services → Multisignature and Multi-user accounts → Convert an account to multisig. " +
			"Add the owner's account as cosignatory (add more owners if you like), minimum signatures 1, and send.",
		"Wait for the conversion to confirm (one block, about a minute). From then on the device account " +
			"cannot send anything by itself, and its owners are whatever the chain says its cosignatories are.",
		"Delete the device wallet from NanoWallet and destroy any written copy of the key: only the device needs it.",
		"Start the hub on the device: go run ./examples/hub -key " + keyArg + " -network " + n.String() +
			" (it asks a quorum of NIS nodes who owns the device).",
		"From the owner's computer, with the owner's own key in owner.key (made there with keygen -owner -out owner.key -quiet, " +
			"or saved from the owner's NanoWallet account; it never goes to the device): " +
			"go run ./examples/app -key owner.key -hub http://DEVICE:8080 -device " + pub.String() + " -cmd light -args '{\"on\":true}'",
	}
	if quiet {
		steps[0] = "Import the key saved in " + out + " into NanoWallet on the owner's phone or computer: " +
			"create a \"Private key wallet\" from it, on " + n.String() + "."
	}
	if out == "" {
		steps[5] = "Save the key on the device in a file only the hub can read (mode 0600, e.g. device.key; " +
			"keygen -out does this), and start the hub: go run ./examples/hub -key device.key -network " + n.String() + "."
	}
	printNumbered(w, "Setup:", steps)
}

// printOwnerSteps prints what the owner does with a new owner key.
func printOwnerSteps(w io.Writer, n nem.Network, pub nem.PublicKey, out string) {
	keyArg := out
	if keyArg == "" {
		keyArg = "owner.key"
	}
	steps := []string{
		"Keep " + keyArg + " on this computer only (mode 0600): it signs your commands. " +
			"Never copy it to a device; what you give out is the public key " + pub.String() + ".",
		"Make this account a cosignatory of each device account: in step 3 of the device's setup " +
			"(keygen on the device), add the cosignatory " + pub.Address(n).Pretty() + " (public key above), on " + n.String() + ". " +
			"If NanoWallet says its public key is unknown, send one transaction from this account first (next step).",
		"To use this account in NanoWallet (for that first transaction, or to sign multisig transactions " +
			"such as adding or removing owners), import the key there as a \"Private key wallet\".",
		"Send a command: go run ./examples/app -key " + keyArg + " -hub http://DEVICE:8080 -device DEVICE_PUBLIC_KEY -cmd status",
		"Without a chain, a lab hub obeys fixed owners: go run ./examples/hub -sim -key device.key -owners " + pub.String(),
	}
	if out == "" {
		steps[0] = "Save the key in a file only you can read (mode 0600, e.g. owner.key; keygen -out does this) " +
			"on this computer only: it signs your commands. Never copy it to a device; what you give out is the public key " + pub.String() + "."
	}
	printNumbered(w, "Next:", steps)
}

// printNumbered prints title and the numbered, wrapped steps.
func printNumbered(w io.Writer, title string, steps []string) {
	fmt.Fprintln(w, title)
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
