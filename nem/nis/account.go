package nis

import (
	"bytes"
	"context"
	"net/url"
	"slices"

	"github.com/nemiot/nemiot/nem"
)

// MaxCosignatories is the most cosignatories a NIS1 multisig account can have.
const MaxCosignatories = 32

// AccountInfo is one account as NIS describes it (its "AccountInfo").
type AccountInfo struct {
	Address nem.Address
	// PublicKey is zero while the account has never signed a transaction
	// (NIS reports null): receiving funds does not reveal the key.
	PublicKey       nem.PublicKey
	Balance         uint64 // micro-XEM
	VestedBalance   uint64 // micro-XEM
	HarvestedBlocks uint64
	Importance      float64
	MultisigInfo    MultisigInfo // zero unless the account is multisig
}

// IsMultisig reports whether the account is a multisig account.
func (a *AccountInfo) IsMultisig() bool { return a.MultisigInfo.CosignatoriesCount > 0 }

// MultisigInfo is a multisig account's configuration ("multisigInfo").
type MultisigInfo struct {
	CosignatoriesCount int // number of cosignatories, 1 to 32
	// MinCosignatories is the stored minimum, where 0 means all of them
	// (n-of-n); see Threshold.
	MinCosignatories int
}

// Threshold returns how many cosignatories must approve a transaction of the
// account: MinCosignatories, or all of them when it is 0.
func (m MultisigInfo) Threshold() int {
	if m.MinCosignatories == 0 {
		return m.CosignatoriesCount
	}
	return m.MinCosignatories
}

// Account is the answer to an account look-up: the account, its
// cosignatories if it is multisig, and the multisig accounts it cosigns.
//
// The node lists Cosignatories and CosignatoryOf in no particular order (two
// honest nodes may differ): compare them as sets, e.g. with
// [Account.CosignatoryKeys].
type Account struct {
	AccountInfo
	Status        string        // "LOCKED", "UNLOCKED" or "UNKNOWN": harvesting on the answering node (node-local)
	RemoteStatus  string        // delegated-harvesting state, e.g. "INACTIVE" (partly node-local)
	Cosignatories []AccountInfo // empty unless multisig; each has a PublicKey
	CosignatoryOf []AccountInfo // multisig accounts this account cosigns
}

// CosignatoryKeys returns the public keys of the account's cosignatories,
// sorted by their bytes, so that answers of different nodes compare with
// [slices.Equal].
func (a *Account) CosignatoryKeys() []nem.PublicKey {
	keys := make([]nem.PublicKey, len(a.Cosignatories))
	for i, c := range a.Cosignatories {
		keys[i] = c.PublicKey
	}
	slices.SortFunc(keys, func(x, y nem.PublicKey) int { return bytes.Compare(x[:], y[:]) })
	return keys
}

// Account returns the account with address a (GET /account/get). An address
// the chain has never seen is not an error: NIS answers with a zero balance
// and no public key. An address of another network than the node's fails
// with [ErrBadRequest]. The answer must be for a: otherwise [ErrBadResponse].
func (c *Client) Account(ctx context.Context, a nem.Address) (*Account, error) {
	const path = "/account/get"
	if a.IsZero() {
		return nil, badRequestArg("zero address")
	}
	body, err := c.get(ctx, path, url.Values{"address": {a.String()}})
	if err != nil {
		return nil, err
	}
	acct, err := decodeAccount(path, body)
	if err != nil {
		return nil, err
	}
	if acct.Address != a {
		return nil, badResponse(path, "asked for %s, answered %s", a, acct.Address)
	}
	if err := c.checkNetwork(path, acct); err != nil {
		return nil, err
	}
	return acct, nil
}

// AccountByPublicKey returns the account of public key k
// (GET /account/get/from-public-key). NIS echoes the key even when the chain
// has never seen it, so the answer says nothing about whether k is known.
func (c *Client) AccountByPublicKey(ctx context.Context, k nem.PublicKey) (*Account, error) {
	const path = "/account/get/from-public-key"
	if k.IsZero() {
		return nil, badRequestArg("zero public key")
	}
	body, err := c.get(ctx, path, url.Values{"publicKey": {k.String()}})
	if err != nil {
		return nil, err
	}
	acct, err := decodeAccount(path, body)
	if err != nil {
		return nil, err
	}
	if acct.PublicKey != k {
		return nil, badResponse(path, "asked for key %s, answered key %s", k, acct.PublicKey)
	}
	// NIS derives the address from the key on its own network; an answer
	// whose address is not the key's is made up.
	if want := k.Address(acct.Address.Network()); acct.Address != want {
		return nil, badResponse(path, "address %s is not key %s's (%s)", acct.Address, k, want)
	}
	if err := c.checkNetwork(path, acct); err != nil {
		return nil, err
	}
	return acct, nil
}

// checkNetwork refuses an account of another network than c.Network.
func (c *Client) checkNetwork(path string, acct *Account) error {
	if c.Network != 0 && acct.Address.Network() != c.Network {
		return badResponse(path, "account %s is on %s, want %s", acct.Address, acct.Address.Network(), c.Network)
	}
	return nil
}

type multisigInfoWire struct {
	CosignatoriesCount *int `json:"cosignatoriesCount"`
	MinCosignatories   *int `json:"minCosignatories"`
}

type accountInfoWire struct {
	Address         *string           `json:"address"`
	PublicKey       *string           `json:"publicKey"`
	Balance         uint64            `json:"balance"`
	VestedBalance   uint64            `json:"vestedBalance"`
	HarvestedBlocks uint64            `json:"harvestedBlocks"`
	Importance      float64           `json:"importance"`
	MultisigInfo    *multisigInfoWire `json:"multisigInfo"`
}

type accountMetaWire struct {
	Status        string            `json:"status"`
	RemoteStatus  string            `json:"remoteStatus"`
	CosignatoryOf []accountInfoWire `json:"cosignatoryOf"`
	Cosignatories []accountInfoWire `json:"cosignatories"`
}

type accountPairWire struct {
	Account *accountInfoWire `json:"account"`
	Meta    *accountMetaWire `json:"meta"`
}

// decodeAccount decodes and checks an AccountMetaDataPair: every address and
// key decodes, each key matches its address, the multisig configuration is
// consistent with the cosignatory list (NIS invariants an honest node always
// satisfies).
func decodeAccount(path string, body []byte) (*Account, error) {
	var w accountPairWire
	if err := decode(path, body, &w); err != nil {
		return nil, err
	}
	if w.Account == nil || w.Meta == nil {
		return nil, badResponse(path, "no account or meta")
	}
	info, err := w.Account.convert(path, "account")
	if err != nil {
		return nil, err
	}
	a := &Account{AccountInfo: info, Status: w.Meta.Status, RemoteStatus: w.Meta.RemoteStatus}
	n := info.Address.Network()
	if len(w.Meta.Cosignatories) > MaxCosignatories || len(w.Meta.CosignatoryOf) > 1<<12 {
		return nil, badResponse(path, "%d cosignatories, cosignatory of %d accounts", len(w.Meta.Cosignatories), len(w.Meta.CosignatoryOf))
	}
	if got, want := len(w.Meta.Cosignatories), info.MultisigInfo.CosignatoriesCount; got != want {
		return nil, badResponse(path, "%d cosignatories listed, multisigInfo says %d", got, want)
	}
	seen := make(map[nem.Address]bool, len(w.Meta.Cosignatories)+len(w.Meta.CosignatoryOf))
	for i := range w.Meta.Cosignatories {
		c, err := w.Meta.Cosignatories[i].convert(path, "cosignatory")
		if err != nil {
			return nil, err
		}
		switch {
		case c.PublicKey.IsZero():
			return nil, badResponse(path, "cosignatory %s without public key", c.Address)
		case c.IsMultisig():
			return nil, badResponse(path, "cosignatory %s is itself multisig", c.Address)
		case c.Address.Network() != n:
			return nil, badResponse(path, "cosignatory %s on another network", c.Address)
		case c.Address == info.Address || seen[c.Address]:
			return nil, badResponse(path, "cosignatory %s listed twice", c.Address)
		}
		seen[c.Address] = true
		a.Cosignatories = append(a.Cosignatories, c)
	}
	if info.IsMultisig() && len(w.Meta.CosignatoryOf) > 0 {
		return nil, badResponse(path, "a multisig account cannot be a cosignatory")
	}
	for i := range w.Meta.CosignatoryOf {
		m, err := w.Meta.CosignatoryOf[i].convert(path, "cosignatoryOf")
		if err != nil {
			return nil, err
		}
		switch {
		case !m.IsMultisig():
			return nil, badResponse(path, "cosignatoryOf %s is not multisig", m.Address)
		case m.Address.Network() != n:
			return nil, badResponse(path, "cosignatoryOf %s on another network", m.Address)
		case m.Address == info.Address || seen[m.Address]:
			return nil, badResponse(path, "cosignatoryOf %s listed twice", m.Address)
		}
		seen[m.Address] = true
		a.CosignatoryOf = append(a.CosignatoryOf, m)
	}
	return a, nil
}

func (w *accountInfoWire) convert(path, what string) (AccountInfo, error) {
	var a AccountInfo
	if w.Address == nil {
		return a, badResponse(path, "%s without address", what)
	}
	var err error
	if a.Address, err = nem.ParseAddress(*w.Address); err != nil {
		return a, badResponse(path, "%s address: %v", what, err)
	}
	if w.PublicKey != nil {
		if a.PublicKey, err = nem.ParsePublicKey(*w.PublicKey); err != nil {
			return a, badResponse(path, "%s public key: %v", what, err)
		}
		if a.PublicKey.IsZero() || a.PublicKey.Address(a.Address.Network()) != a.Address {
			return a, badResponse(path, "%s public key %s is not the key of %s", what, a.PublicKey, a.Address)
		}
	}
	a.Balance, a.VestedBalance, a.HarvestedBlocks, a.Importance = w.Balance, w.VestedBalance, w.HarvestedBlocks, w.Importance
	if m := w.MultisigInfo; m != nil && (m.CosignatoriesCount != nil || m.MinCosignatories != nil) {
		if m.CosignatoriesCount == nil || m.MinCosignatories == nil {
			return a, badResponse(path, "%s multisigInfo incomplete", what)
		}
		count, minimum := *m.CosignatoriesCount, *m.MinCosignatories
		if count < 1 || count > MaxCosignatories || minimum < 0 || minimum > count {
			return a, badResponse(path, "%s multisigInfo %d of %d", what, minimum, count)
		}
		a.MultisigInfo = MultisigInfo{CosignatoriesCount: count, MinCosignatories: minimum}
	}
	return a, nil
}
