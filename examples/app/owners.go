package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nemiot/nemiot/multisig"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/keyfile"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/tx"
)

// ownersUsage documents the owners subcommand.
const ownersUsage = `usage: app owners OP -nodes URL,URL,... -device HEX [-key FILE] [flags]

Reads and changes who owns a device (the cosignatories of its multisig
account), without NanoWallet. OP is one of:

  list                       the owners a quorum of the nodes agrees on and
                             the device's verified history leads to
  add -owner HEX             add an owner
  remove -owner HEX          remove an owner (-min-change -1 to lower the minimum with it)
  transfer -to HEX [-from HEX]
                             add -to and remove -from (default: this key's
                             owner) in one modification: hand the device over
  min -change N              change the minimum number of signatures by N
  pending                    the device's multisig transactions waiting for cosignatures
  cosign [-hash HASH]        cosign them (or the one with outer hash HASH)

add, remove, transfer, min and cosign sign with the owner's key (-key FILE,
else $NEMIOT_OWNER_KEY), announce to every node, and follow the transaction
until it is in a block (-wait=false: return once announced). A change that
needs more signatures waits for the other owners' "app owners cosign".
The device account pays the fees (0.5 XEM per change, 0.15 per signature).`

// runOwners is "app owners": exit 0 when the operation happened, 1 on
// failure (a refusal says the NIS reason), 2 on bad usage.
func runOwners(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "app owners: "+format+"\n", a...)
		return 2
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, ownersUsage)
		return 2
	}
	op := args[0]
	fs := flag.NewFlagSet("app owners "+op, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, ownersUsage) }
	keyPath := fs.String("key", "", "`FILE` holding the owner's private key (else $"+KeyEnv+")")
	nodesFlag := fs.String("nodes", "", "NIS node `URLs`, comma-separated (at least 3 operators for the quorum)")
	deviceHex := fs.String("device", "", "the device's public key (`HEX`)")
	ownerHex := fs.String("owner", "", "add, remove: the owner's public key (`HEX`)")
	toHex := fs.String("to", "", "transfer: the new owner's public key (`HEX`)")
	fromHex := fs.String("from", "", "transfer: the owner to remove (`HEX`; default: the -key owner)")
	change := fs.Int("change", 0, "min: the change of the minimum number of signatures")
	minChange := fs.Int("min-change", 0, "add, remove, transfer: change the minimum by this much too")
	hashHex := fs.String("hash", "", "cosign: only the pending transaction with this outer `HASH`")
	wait := fs.Bool("wait", true, "follow the transaction until it is in a block")
	timeout := fs.Duration("timeout", 5*time.Minute, "how long to wait for the nodes and the block")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		return usage("unexpected argument %q", fs.Arg(0))
	}
	var nodes []string
	for _, u := range strings.Split(*nodesFlag, ",") {
		if u = strings.TrimSpace(u); u != "" {
			nodes = append(nodes, u)
		}
	}
	if len(nodes) == 0 {
		return usage("-nodes: give the NIS nodes to ask, e.g. -nodes http://a:7890,http://b:7890,http://c:7890")
	}
	device, err := nem.ParsePublicKey(*deviceHex)
	if err != nil {
		return usage("-device: %v", err)
	}
	parseKey := func(name, s string) (nem.PublicKey, bool) {
		k, err := nem.ParsePublicKey(s)
		if err != nil {
			usage("-%s: %v", name, err)
			return nem.PublicKey{}, false
		}
		return k, true
	}
	var key *nem.PrivateKey
	switch op {
	case "list", "pending":
	case "add", "remove", "transfer", "min", "cosign":
		kf, err := keyfile.LoadFile(*keyPath, KeyEnv)
		if err != nil {
			return usage("%v", err)
		}
		for _, w := range kf.Warnings {
			fmt.Fprintf(stderr, "app: warning: %v\n", w)
		}
		key = kf.Key
	default:
		return usage("unknown operation %q (list, add, remove, transfer, min, pending, cosign)", op)
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	fail := func(err error) int {
		fmt.Fprintf(stderr, "app owners %s: %v\n", op, err)
		return 1
	}
	clients := make([]*nis.Client, len(nodes))
	for i, u := range nodes {
		clients[i] = nis.NewClient(u, nil)
	}
	network, _, err := nodeNetwork(ctx, clients)
	if err != nil {
		return fail(err)
	}
	account := device.Address(network)
	ops := &multisig.Client{Nodes: nodes, Network: network}

	var a *multisig.Announced
	switch op {
	case "list":
		r := &multisig.Resolver{Nodes: nodes}
		o, err := r.Owners(ctx, account)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "device %s: %d of %d owners must sign (%d of %d nodes agree; verified history of %d modifications)\n",
			account.Pretty(), o.Required(), len(o.Cosignatories), o.Agreed, o.Asked, o.Custody.Len())
		for _, k := range o.Cosignatories {
			fmt.Fprintf(stdout, "  %s  %s\n", k, k.Address(network).Pretty())
		}
		return 0
	case "pending":
		list, err := ops.Pending(ctx, account)
		if err != nil {
			return fail(err)
		}
		printPending(stdout, list)
		return 0
	case "add", "remove":
		owner, ok := parseKey("owner", *ownerHex)
		if !ok {
			return 2
		}
		ch := multisig.Change{Add: []nem.PublicKey{owner}, MinChange: *minChange}
		if op == "remove" {
			ch = multisig.Change{Remove: []nem.PublicKey{owner}, MinChange: *minChange}
		}
		a, err = ops.Modify(ctx, key, device, ch)
	case "transfer":
		to, ok := parseKey("to", *toHex)
		if !ok {
			return 2
		}
		from := key.PublicKey()
		if *fromHex != "" {
			if from, ok = parseKey("from", *fromHex); !ok {
				return 2
			}
		}
		a, err = ops.Modify(ctx, key, device, multisig.Change{Add: []nem.PublicKey{to}, Remove: []nem.PublicKey{from}, MinChange: *minChange})
	case "min":
		if *change == 0 {
			return usage("-change: give a non-zero change, e.g. -change 1")
		}
		a, err = ops.ChangeMinimum(ctx, key, device, *change)
	case "cosign":
		var want tx.Hash
		if *hashHex != "" {
			if want, err = tx.ParseHash(*hashHex); err != nil {
				return usage("-hash: %v", err)
			}
		}
		list, err := ops.Pending(ctx, account)
		if err != nil {
			return fail(err)
		}
		n := 0
		for _, p := range list {
			if (!want.IsZero() && p.Hash != want) || p.Signed(key.PublicKey()) {
				continue
			}
			if a, err = ops.Cosign(ctx, key, p); err != nil {
				return fail(err)
			}
			n++
			fmt.Fprintf(stdout, "cosigned %s\n", p.Hash)
		}
		if n == 0 {
			return fail(fmt.Errorf("nothing pending that this key has not signed"))
		}
		if n > 1 {
			return 0 // several: each is followed by its own initiator
		}
	}
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "announced %s to %d of %d nodes\n", a.Hash, len(a.Accepted), len(nodes))
	if !*wait {
		return 0
	}
	ct, err := ops.Wait(ctx, a)
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "confirmed in block %d\n", ct.Height)
	return 0
}

func printPending(w io.Writer, list []*multisig.Pending) {
	if len(list) == 0 {
		fmt.Fprintln(w, "nothing pending (as far as these nodes' pools show)")
	}
	for _, p := range list {
		in := p.Transaction.Inner
		what := in.Type.String()
		if in.Type == tx.TypeMultisigModification {
			var parts []string
			for _, m := range in.Modifications {
				sign := "+"
				if m.Type == tx.RemoveCosignatory {
					sign = "-"
				}
				parts = append(parts, sign+m.Cosignatory.String()[:12]+"…")
			}
			if in.MinCosignatoriesChange != 0 {
				parts = append(parts, fmt.Sprintf("min %+d", in.MinCosignatoriesChange))
			}
			what = "owners " + strings.Join(parts, " ")
		}
		fmt.Fprintf(w, "%s  %s, signed by %d, deadline %s\n", p.Hash, what, len(p.Signers), in.Deadline.Time().UTC().Format(time.RFC3339))
	}
}
