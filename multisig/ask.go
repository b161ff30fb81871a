package multisig

import (
	"context"
	"fmt"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
)

// askOwners asks one node for the account, its chain height and its
// identity (at once) and validates the answer strictly: any inconsistency
// rejects the whole answer.
func askOwners(ctx context.Context, c *nis.Client, node string, account nem.Address) vote[record] {
	v := vote[record]{node: node}
	id := identity(ctx, c)
	type heightResult struct {
		h   uint64
		err error
	}
	hc := make(chan heightResult, 1)
	go func() {
		h, err := c.ChainHeight(ctx)
		hc <- heightResult{uint64(h), err}
	}()
	acct, err := c.Account(ctx, account)
	hr := <-hc
	v.id = <-id
	if err != nil {
		v.err = err
		return v
	}
	if hr.err != nil {
		v.err = fmt.Errorf("chain height: %w", hr.err)
		return v
	}
	v.height = hr.h
	rec, err := validate(acct, account)
	if err != nil {
		v.err = err
		return v
	}
	v.value, v.key, v.sum = rec, rec.key(), rec.summary()
	return v
}

// identity asks the node for its /node/info identity key in the
// background: the channel yields its hex form, or "" when the node does not
// tell it (an error, a malformed or keyless answer). Such a node counts by
// its address (and operator) alone, never as several. The key is what the
// node claims: two addresses claiming one key count as one node, whatever
// else they say (see counted).
func identity(ctx context.Context, c *nis.Client) <-chan string {
	out := make(chan string, 1)
	go func() {
		info, err := c.NodeInfo(ctx)
		if err != nil || info.PublicKey.IsZero() {
			out <- ""
			return
		}
		out <- info.PublicKey.String()
	}()
	return out
}

// validate turns a node's account answer into the canonical record, or
// rejects it (reference: strict per-answer validation).
func validate(a *nis.Account, account nem.Address) (record, error) {
	bad := func(format string, args ...any) (record, error) {
		return record{}, fmt.Errorf("%w: %s", ErrBadAnswer, fmt.Sprintf(format, args...))
	}
	if a.Address != account {
		return bad("answer is for %s, not %s", a.Address, account)
	}
	info := a.MultisigInfo
	if info.CosignatoriesCount == 0 {
		if len(a.Cosignatories) != 0 || info.MinCosignatories != 0 {
			return bad("cosignatories listed for an account that is not multisig")
		}
		return record{multisig: false}, nil
	}
	n := info.CosignatoriesCount
	if n < 1 || n > nis.MaxCosignatories {
		return bad("%d cosignatories", n)
	}
	if info.MinCosignatories < 0 || info.MinCosignatories > n {
		return bad("minCosignatories %d of %d", info.MinCosignatories, n)
	}
	if len(a.Cosignatories) != n {
		return bad("cosignatoriesCount %d but %d cosignatories listed", n, len(a.Cosignatories))
	}
	if len(a.CosignatoryOf) != 0 {
		return bad("a multisig account cannot cosign another")
	}
	for _, c := range a.Cosignatories {
		if c.PublicKey.IsZero() {
			return bad("cosignatory %s without a public key", c.Address)
		}
		if c.Address != c.PublicKey.Address(account.Network()) {
			return bad("cosignatory address %s does not belong to key %s", c.Address, c.PublicKey)
		}
		if c.PublicKey == a.PublicKey && !a.PublicKey.IsZero() {
			return bad("account listed as its own cosignatory")
		}
		if c.IsMultisig() {
			return bad("cosignatory %s is itself multisig", c.Address)
		}
	}
	keys := a.CosignatoryKeys()
	for i := 1; i < len(keys); i++ {
		if keys[i] == keys[i-1] {
			return bad("cosignatory %s listed twice", keys[i])
		}
	}
	return record{multisig: true, min: info.MinCosignatories, keys: keys}, nil
}
