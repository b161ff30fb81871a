// Command apostille reads a NanoWallet Apostille archive and shows the
// device account it defines: a private ("signed") apostille of a device's
// file, say its configuration, notarizes the file on chain and gives it a
// dedicated account whose key only the archive holds. That account can be
// the device account: convert it to multisig with its owner as cosignatory,
// and the device, given the key, obeys the owner (see examples/keygen for a
// device that makes its own key instead).
//
// Usage:
//
//	go run ./examples/apostille [-audit -node URL] [-owner HEX] [-out FILE] ARCHIVE.zip
//
// For each notarized file in the archive it prints the file name,
// transaction hash, date, hash type and kind, checks the file's bytes
// against the apostille message, and for a private apostille prints the
// dedicated (device) account: address and public key. The private key is
// never printed.
//
// Flags:
//
//	-audit     also check each apostille against the chain: fetch its
//	           transaction from -node and verify hash, signature,
//	           message, recipient and content locally (apostille.Audit).
//	-node URL  the NIS node of -audit (and only of -audit), e.g.
//	           http://hugetestalice.nem.ninja:7890.
//	-owner HEX check that each apostille was signed by this public key: a
//	           private one from the archive alone, a public one (whose
//	           signer only the chain knows) only with -audit, so -owner on
//	           an archive with a public apostille needs -audit.
//	-out FILE  save the dedicated account's private key to FILE (mode
//	           0600, never overwritten, with its network) for
//	           examples/hub -key; the archive must hold exactly one private
//	           apostille.
//
// One archive per run. The exit status is 0 when every check passed, 1
// when one failed or the archive is unreadable, 2 on bad usage (with a
// message: no archive or more than one, -audit without -node, -node
// without -audit, -owner on a public apostille without -audit).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nemiot/nemiot/apostille"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/keyfile"
	"github.com/nemiot/nemiot/nem/nis"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("apostille", flag.ContinueOnError)
	fs.SetOutput(stderr)
	audit := fs.Bool("audit", false, "check each apostille against the chain (needs -node)")
	node := fs.String("node", "", "NIS node `URL` for -audit")
	ownerHex := fs.String("owner", "", "public key (`HEX`) that must have signed the private apostilles")
	out := fs.String("out", "", "save the dedicated account's key to this new `FILE` (mode 0600)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: apostille [-audit -node URL] [-owner HEX] [-out FILE] ARCHIVE.zip")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	usage := func(msg string) int {
		fmt.Fprintln(stderr, "apostille: "+msg)
		return 2
	}
	switch {
	case fs.NArg() == 0:
		fs.Usage()
		return usage("no archive given")
	case fs.NArg() > 1:
		return usage(fmt.Sprintf("one archive at a time, got %d arguments (flags go before the archive)", fs.NArg()))
	case *audit && *node == "":
		return usage("-audit needs -node URL")
	case *node != "" && !*audit:
		return usage("-node is the node of -audit; add -audit to check the chain")
	}
	var owner *nem.PublicKey
	if *ownerHex != "" {
		p, err := nem.ParsePublicKey(*ownerHex)
		if err != nil {
			fmt.Fprintf(stderr, "apostille: -owner: %v\n", err)
			return 2
		}
		owner = &p
	}

	a, err := apostille.Open(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Arg(0), err)
		return 1
	}
	if owner != nil && !*audit {
		// A public apostille's signer is only on chain: -owner could not
		// check it, and passing it silently would look like a pass.
		for _, n := range a.Files {
			if n.Record != nil && !n.Private {
				return usage(fmt.Sprintf("-owner: %q is a public apostille, whose signer only the chain knows; add -audit -node URL to check it", n.OriginalName))
			}
		}
	}
	var client *nis.Client
	if *audit {
		client = nis.NewClient(*node, nil)
	}

	failed := false
	check := func(what string, err error) {
		if err != nil {
			failed = true
			fmt.Fprintf(stdout, "  %-12s FAILED: %v\n", what, err)
			return
		}
		fmt.Fprintf(stdout, "  %-12s ok\n", what)
	}
	var dedicated []*apostille.Notarization
	for i := range a.Files {
		n := &a.Files[i]
		fmt.Fprintf(stdout, "%q\n", n.OriginalName)
		fmt.Fprintf(stdout, "  transaction  %s (%s)\n", n.TxHash, n.Date)
		if n.Record == nil {
			fmt.Fprintln(stdout, "  no .nty record in the archive: kind, hash type and device account unknown")
			failed = true
			continue
		}
		kind := "public"
		if n.Private {
			kind = "private"
		}
		fmt.Fprintf(stdout, "  apostille    %s, %s, on %s\n", kind, n.Hash, n.Network)
		check("content", n.VerifyContent())
		if n.Private {
			dedicated = append(dedicated, n)
			fmt.Fprintf(stdout, "  device account\n    address     %s\n    public key  %s\n",
				n.DedicatedAddress.Pretty(), n.Dedicated.PublicKey())
			if owner != nil {
				check("owner", n.VerifyOwner(*owner))
			}
		} else {
			fmt.Fprintf(stdout, "  no device account: a public apostille is sent to the sink %s\n", n.DedicatedAddress.Pretty())
		}
		if client != nil {
			actx, cancel := context.WithTimeout(ctx, 30*time.Second)
			res, err := apostille.Audit(actx, client, n)
			cancel()
			check("chain", err)
			if err == nil {
				fmt.Fprintf(stdout, "    height %d, signed by %s (%s)\n", res.Height, res.Signer, res.Owner.Pretty())
				if owner != nil && !n.Private {
					check("owner", publicOwner(res, *owner))
				}
			}
		}
	}
	if len(a.Files) == 0 {
		fmt.Fprintln(stderr, "apostille: no notarized file in the archive")
		return 1
	}

	if *out != "" {
		if len(dedicated) != 1 {
			fmt.Fprintf(stderr, "apostille: -out needs exactly one private apostille in the archive, it has %d\n", len(dedicated))
			return 1
		}
		n := dedicated[0]
		comment := fmt.Sprintf("nemiot device key: dedicated account %s of the apostille of %q", n.DedicatedAddress, n.OriginalName)
		if err := keyfile.Create(*out, &keyfile.File{Key: n.Dedicated, Network: n.Network}, comment); err != nil {
			if errors.Is(err, os.ErrExist) {
				err = fmt.Errorf("%s exists; refusing to overwrite a key", *out)
			}
			fmt.Fprintf(stderr, "apostille: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "device key saved in %s (mode 0600): go run ./examples/hub -key %s -network %s\n", *out, *out, n.Network)
	}
	if failed {
		return 1
	}
	return 0
}

// publicOwner checks that the audited public apostille res was signed by
// owner, or sent for owner's multisig account.
func publicOwner(res *apostille.AuditResult, owner nem.PublicKey) error {
	if res.Signer == owner || res.Multisig == owner {
		return nil
	}
	return fmt.Errorf("signed by %s, not by -owner", res.Signer)
}
