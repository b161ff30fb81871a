package nistest

import (
	"time"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/tx"
)

// records returns the confirmed transactions as the node lists them: the
// chain of its view, without the modifications its behavior hides and with
// the transactions it forges (Behavior.History).
func (q *request) records() []*record {
	recs, hist := q.v.records, q.b.History
	if hist == nil {
		return recs
	}
	out := make([]*record, 0, len(recs)+len(hist.Forged))
	hide := hist.HideModifications
	for i := len(recs) - 1; i >= 0; i-- {
		if hide > 0 && isModification(recs[i].txn) {
			hide--
			continue
		}
		out = append(out, recs[i])
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	var height, seq int64
	if len(recs) > 0 {
		height, seq = recs[len(recs)-1].height, recs[len(recs)-1].seq
	}
	for i, txn := range hist.Forged {
		if r := forge(txn, q.network(), height+int64(i)+1, seq+int64(i)+1, q.v.now); r != nil {
			out = append(out, r)
		}
	}
	return out
}

// isModification reports whether txn changes a multisig configuration.
func isModification(txn *tx.Transaction) bool {
	return txn.Type == tx.TypeMultisigModification ||
		(txn.Type == tx.TypeMultisig && txn.Inner != nil && txn.Inner.Type == tx.TypeMultisigModification)
}

// forge makes a record of a transaction the chain never confirmed, listed
// for the accounts a NIS node would list it for. It returns nil for a
// transaction that cannot be encoded.
func forge(txn *tx.Transaction, net nem.Network, height, seq int64, now time.Time) *record {
	h, err := txn.Hash()
	if err != nil {
		return nil
	}
	js, err := txn.MarshalJSON()
	if err != nil {
		return nil
	}
	r := &record{seq: seq, height: height, blockTime: now, hash: h, txn: txn, json: js}
	r.outgoing = []nem.Address{txn.Signer.Address(net)}
	switch txn.Type {
	case tx.TypeTransfer:
		r.incoming = []nem.Address{txn.Recipient}
	case tx.TypeMultisigModification:
		r.incoming = modified(txn, net)
	case tx.TypeMultisig:
		r.innerHash, _ = txn.InnerHash()
		r.outgoing = append(r.outgoing, txn.Inner.Signer.Address(net))
		if txn.Inner.Type == tx.TypeMultisigModification {
			r.incoming = modified(txn.Inner, net)
		} else {
			r.incoming = []nem.Address{txn.Inner.Recipient}
		}
	}
	return r
}
