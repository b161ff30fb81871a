package nis

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/tx"
)

// hashWire is a NIS HashData object, {"data": hex}.
type hashWire struct {
	Data *string `json:"data"`
}

type metaPairWire struct {
	Meta *struct {
		Height    *int64    `json:"height"`
		ID        *int64    `json:"id"`
		Hash      *hashWire `json:"hash"`
		InnerHash *hashWire `json:"innerHash"`
	} `json:"meta"`
	Transaction json.RawMessage `json:"transaction"`
}

func (w *metaPairWire) convert(path string) (*tx.ConfirmedTransaction, error) {
	if w.Meta == nil || w.Transaction == nil || w.Meta.Height == nil || w.Meta.ID == nil || w.Meta.Hash == nil || w.Meta.Hash.Data == nil {
		return nil, badResponse(path, "transaction without meta height, id or hash")
	}
	t := &tx.ConfirmedTransaction{Height: *w.Meta.Height, ID: *w.Meta.ID}
	if t.Height < 1 {
		return nil, badResponse(path, "transaction height %d", t.Height)
	}
	var err error
	if t.Hash, err = tx.ParseHash(*w.Meta.Hash.Data); err != nil {
		return nil, badResponse(path, "meta hash: %v", err)
	}
	if ih := w.Meta.InnerHash; ih != nil && ih.Data != nil {
		if t.InnerHash, err = tx.ParseHash(*ih.Data); err != nil {
			return nil, badResponse(path, "meta innerHash: %v", err)
		}
	}
	if t.Transaction, err = tx.ParseTransactionJSON(w.Transaction); err != nil {
		return nil, badResponse(path, "%v", err)
	}
	if t.Transaction.Signature == (nem.Signature{}) {
		return nil, badResponse(path, "transaction %s without signature", t.Hash)
	}
	if (t.Transaction.Type == tx.TypeMultisig) != !t.InnerHash.IsZero() {
		return nil, badResponse(path, "innerHash does not match transaction type %s", t.Transaction.Type)
	}
	return t, nil
}

// decodeTransactionPair decodes a TransactionMetaDataPair.
func decodeTransactionPair(path string, body []byte) (*tx.ConfirmedTransaction, error) {
	var w metaPairWire
	if err := decode(path, body, &w); err != nil {
		return nil, err
	}
	return w.convert(path)
}

// Transaction returns the confirmed transaction with hash h (for a multisig
// transaction, its outer hash) by GET /transaction/get. Only nodes with
// [FeatureTransactionHashLookup] answer ([ErrUnsupported] otherwise), and
// only for hashes still in their hash cache (36 hours by default;
// [ErrNotFound] after). The answer must carry hash h; call
// [tx.ConfirmedTransaction.Verify] to check that the content does too.
func (c *Client) Transaction(ctx context.Context, h tx.Hash) (*tx.ConfirmedTransaction, error) {
	const path = "/transaction/get"
	if h.IsZero() {
		return nil, badRequestArg("zero hash")
	}
	body, err := c.get(ctx, path, url.Values{"hash": {h.String()}})
	if err != nil {
		return nil, err
	}
	t, err := decodeTransactionPair(path, body)
	if err != nil {
		return nil, err
	}
	if t.Hash != h {
		return nil, badResponse(path, "asked for %s, answered %s", h, t.Hash)
	}
	return t, nil
}

// IncomingTransfers lists the transactions received by account a, newest
// first (GET /account/transfers/incoming). Despite the name NIS lists every
// transaction type: transfers to a, and multisig modifications that name a as
// a cosignatory.
func (c *Client) IncomingTransfers(ctx context.Context, a nem.Address, p tx.Page) ([]*tx.ConfirmedTransaction, error) {
	return c.transfers(ctx, "/account/transfers/incoming", a, p)
}

// OutgoingTransfers lists the transactions sent by account a, newest first
// (GET /account/transfers/outgoing), including multisig transactions of a
// multisig account a and of the multisig accounts it cosigns.
func (c *Client) OutgoingTransfers(ctx context.Context, a nem.Address, p tx.Page) ([]*tx.ConfirmedTransaction, error) {
	return c.transfers(ctx, "/account/transfers/outgoing", a, p)
}

// AllTransfers lists the incoming and outgoing transactions of account a,
// newest first (GET /account/transfers/all).
func (c *Client) AllTransfers(ctx context.Context, a nem.Address, p tx.Page) ([]*tx.ConfirmedTransaction, error) {
	return c.transfers(ctx, "/account/transfers/all", a, p)
}

func (c *Client) transfers(ctx context.Context, path string, a nem.Address, p tx.Page) ([]*tx.ConfirmedTransaction, error) {
	if a.IsZero() {
		return nil, badRequestArg("zero address")
	}
	q := url.Values{"address": {a.String()}}
	if p.BeforeID != 0 {
		q.Set("id", strconv.FormatInt(p.BeforeID, 10))
	}
	if p.Size != 0 {
		q.Set("pageSize", strconv.Itoa(p.Size))
	}
	body, err := c.get(ctx, path, q)
	if err != nil {
		return nil, err
	}
	return decodeTransactionList(path, body)
}

func decodeTransactionList(path string, body []byte) ([]*tx.ConfirmedTransaction, error) {
	var w struct {
		Data *[]metaPairWire `json:"data"`
	}
	if err := decode(path, body, &w); err != nil {
		return nil, err
	}
	if w.Data == nil {
		return nil, badResponse(path, "no data list")
	}
	out := make([]*tx.ConfirmedTransaction, 0, len(*w.Data))
	for i := range *w.Data {
		t, err := (*w.Data)[i].convert(path)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// AnnounceResult is a node's answer to an announced transaction.
type AnnounceResult struct {
	Code                 int    // NIS ValidationResult: 1 is SUCCESS
	Message              string // the result's name, e.g. "SUCCESS" or "FAILURE_HASH_EXISTS"
	TransactionHash      tx.Hash
	InnerTransactionHash tx.Hash // for a multisig wrapper
}

// Announce sends a signed transaction to the node (POST /transaction/announce).
// NIS answers HTTP 200 even when it rejects the transaction: a result other
// than SUCCESS is returned together with an [*AnnounceError] (matching
// [ErrRejected]). Success means the node accepted the transaction into its
// unconfirmed pool, not that it is in a block.
func (c *Client) Announce(ctx context.Context, st *tx.SignedTransaction) (*AnnounceResult, error) {
	const path = "/transaction/announce"
	if st == nil || len(st.Data) == 0 {
		return nil, badRequestArg("empty transaction")
	}
	req, err := st.MarshalJSON()
	if err != nil {
		return nil, err
	}
	body, err := c.post(ctx, path, req)
	if err != nil {
		return nil, err
	}
	var w struct {
		Type                 *int      `json:"type"`
		Code                 *int      `json:"code"`
		Message              string    `json:"message"`
		TransactionHash      *hashWire `json:"transactionHash"`
		InnerTransactionHash *hashWire `json:"innerTransactionHash"`
	}
	if err := decode(path, body, &w); err != nil {
		return nil, err
	}
	if w.Code == nil || w.Type == nil || *w.Type != 1 {
		return nil, badResponse(path, "not a validation result")
	}
	r := &AnnounceResult{Code: *w.Code, Message: w.Message}
	for _, f := range []struct {
		w   *hashWire
		dst *tx.Hash
	}{{w.TransactionHash, &r.TransactionHash}, {w.InnerTransactionHash, &r.InnerTransactionHash}} {
		if f.w != nil && f.w.Data != nil {
			if *f.dst, err = tx.ParseHash(*f.w.Data); err != nil {
				return nil, badResponse(path, "%v", err)
			}
		}
	}
	if r.Code != 1 {
		return r, &AnnounceError{Code: r.Code, Message: r.Message}
	}
	return r, nil
}

// UnconfirmedTransaction is a transaction in a node's unconfirmed pool. For a
// multisig wrapper still waiting for cosignatures, InnerHash is the hash the
// other cosignatories approve with [tx.NewCosignature].
type UnconfirmedTransaction struct {
	InnerHash   tx.Hash // zero unless a multisig wrapper
	Transaction *tx.Transaction
}

// UnconfirmedTransactions lists the node's unconfirmed transactions that
// concern account a, newest first, at most 25 (GET
// /account/unconfirmedTransactions): its own, and multisig transactions of
// the multisig accounts it cosigns. Unconfirmed pools differ between nodes;
// never use them to decide anything by quorum.
func (c *Client) UnconfirmedTransactions(ctx context.Context, a nem.Address) ([]*UnconfirmedTransaction, error) {
	const path = "/account/unconfirmedTransactions"
	if a.IsZero() {
		return nil, badRequestArg("zero address")
	}
	body, err := c.get(ctx, path, url.Values{"address": {a.String()}})
	if err != nil {
		return nil, err
	}
	var w struct {
		Data *[]struct {
			Meta *struct {
				Data *string `json:"data"`
			} `json:"meta"`
			Transaction json.RawMessage `json:"transaction"`
		} `json:"data"`
	}
	if err := decode(path, body, &w); err != nil {
		return nil, err
	}
	if w.Data == nil {
		return nil, badResponse(path, "no data list")
	}
	out := make([]*UnconfirmedTransaction, 0, len(*w.Data))
	for i, e := range *w.Data {
		if e.Meta == nil || e.Transaction == nil {
			return nil, badResponse(path, "entry %d without meta or transaction", i)
		}
		u := &UnconfirmedTransaction{}
		if e.Meta.Data != nil {
			if u.InnerHash, err = tx.ParseHash(*e.Meta.Data); err != nil {
				return nil, badResponse(path, "entry %d: %v", i, err)
			}
		}
		if u.Transaction, err = tx.ParseTransactionJSON(e.Transaction); err != nil {
			return nil, badResponse(path, "entry %d: %v", i, err)
		}
		if (u.Transaction.Type == tx.TypeMultisig) != !u.InnerHash.IsZero() {
			return nil, badResponse(path, "entry %d: inner hash does not match type %s", i, u.Transaction.Type)
		}
		out = append(out, u)
	}
	return out, nil
}
