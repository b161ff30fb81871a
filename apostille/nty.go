package apostille

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/nemiot/nemiot/nem"
)

// ntyRecord is one record of a .nty file as NanoWallet writes it. Unknown
// members (AngularJS's "$$hashKey") are ignored.
type ntyRecord struct {
	Filename            *string `json:"filename"`
	Tags                string  `json:"tags"`
	FileHash            string  `json:"fileHash"`
	Owner               string  `json:"owner"`
	FromMultisig        string  `json:"fromMultisig"`
	DedicatedAccount    string  `json:"dedicatedAccount"`
	DedicatedPrivateKey string  `json:"dedicatedPrivateKey"`
	TxHash              string  `json:"txHash"`
	TxMultisigHash      string  `json:"txMultisigHash"`
	TimeStamp           string  `json:"timeStamp"`
}

// indexNty decodes a .nty file, {"data": [record, ...]}, and returns the raw
// records whose txHash is one of want (lower case), by hash. Other records
// (strangers' history) are not decoded further; one that is not even an
// object with a string txHash is skipped.
func indexNty(data []byte, want map[string]bool) (map[string][]json.RawMessage, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var doc struct {
		Data *[]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNty, err)
	}
	if doc.Data == nil {
		return nil, fmt.Errorf(`%w: no "data" array`, ErrNty)
	}
	out := make(map[string][]json.RawMessage)
	for _, raw := range *doc.Data {
		var h struct {
			TxHash any `json:"txHash"`
		}
		if json.Unmarshal(raw, &h) != nil {
			continue
		}
		s, ok := h.TxHash.(string)
		if !ok {
			continue
		}
		if s = strings.ToLower(s); want[s] {
			out[s] = append(out[s], raw)
		}
	}
	return out, nil
}

// applyRecord checks the records chosen for n (all with n's transaction
// hash) and fills n's record fields from them. entryUTF8 says whether the
// entry name is known to be UTF-8, so that it can be compared with the
// record's filename.
func (n *Notarization) applyRecord(raws []json.RawMessage, entryUTF8 bool) error {
	recs := make([]ntyRecord, len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal(raw, &recs[i]); err != nil {
			return fmt.Errorf("%w: transaction %s: %v", ErrRecord, n.TxHash, err)
		}
		if recs[i].Filename == nil {
			return fmt.Errorf("%w: transaction %s: no filename", ErrRecord, n.TxHash)
		}
	}
	r := recs[0]
	for _, o := range recs[1:] {
		if *o.Filename != *r.Filename || !strings.EqualFold(o.FileHash, r.FileHash) ||
			!strings.EqualFold(o.DedicatedAccount, r.DedicatedAccount) || !strings.EqualFold(o.DedicatedPrivateKey, r.DedicatedPrivateKey) {
			return fmt.Errorf("%w: transaction %s: conflicting records", ErrRecord, n.TxHash)
		}
	}
	name := *r.Filename

	payload, err := hex.DecodeString(r.FileHash)
	if err != nil {
		return fmt.Errorf("%w: transaction %s: fileHash is not hex", ErrRecord, n.TxHash)
	}
	msg, err := ParseMessage(payload)
	if err != nil {
		return fmt.Errorf("%w: transaction %s: fileHash: %w", ErrRecord, n.TxHash, err)
	}
	dedicated, err := nem.ParseAddress(r.DedicatedAccount)
	if err != nil {
		return fmt.Errorf("%w: transaction %s: dedicatedAccount: %w", ErrRecord, n.TxHash, err)
	}
	network := dedicated.Network()
	sink, ok := Sink(network)
	if !ok {
		return fmt.Errorf("%w: transaction %s: dedicatedAccount is on unknown %s", ErrRecord, n.TxHash, network)
	}

	if entryUTF8 {
		nn, _ := parseNotarizedName(lastElement(n.EntryName))
		base, ext := splitName(name)
		if (base != nn.base || ext != nn.ext) &&
			(norm.NFC.String(base) != norm.NFC.String(nn.base) || norm.NFC.String(ext) != norm.NFC.String(nn.ext)) {
			return fmt.Errorf("%w: transaction %s: filename %q does not fit entry %q", ErrRecord, n.TxHash, name, n.EntryName)
		}
	}

	var key *nem.PrivateKey
	if msg.Private {
		if dedicated == sink {
			return fmt.Errorf("%w: transaction %s: private apostille sent to the public sink", ErrRecord, n.TxHash)
		}
		if key, err = nem.ParsePrivateKey(r.DedicatedPrivateKey); err != nil {
			return fmt.Errorf("%w: transaction %s: dedicatedPrivateKey is not a private key", ErrRecord, n.TxHash)
		}
		if key.Address(network) != dedicated {
			return fmt.Errorf("%w: transaction %s: the record's key derives to %s, not %s",
				ErrKeyMismatch, n.TxHash, key.Address(network), dedicated)
		}
		if key.Equal(DedicatedKey(zeroOwner, name)) {
			return fmt.Errorf("%w: transaction %s: dedicated key derived from the all-zero owner key", ErrKeyMismatch, n.TxHash)
		}
	} else if dedicated != sink {
		return fmt.Errorf("%w: transaction %s: public apostille sent to %s, not the %s sink %s", ErrRecord, n.TxHash, dedicated, network, sink)
	}

	rec := &Record{
		Filename:         name,
		Tags:             r.Tags,
		FileHash:         hex.EncodeToString(payload),
		DedicatedAccount: dedicated,
		TxHash:           n.TxHash,
		TimeStamp:        r.TimeStamp,
	}
	if r.Owner != "" {
		if rec.Owner, err = nem.ParseAddress(r.Owner); err != nil {
			return fmt.Errorf("%w: transaction %s: owner: %w", ErrRecord, n.TxHash, err)
		}
	}
	if r.FromMultisig != "" {
		if rec.FromMultisig, err = nem.ParseAddress(r.FromMultisig); err != nil {
			return fmt.Errorf("%w: transaction %s: fromMultisig: %w", ErrRecord, n.TxHash, err)
		}
	}
	if r.TxMultisigHash != "" {
		if _, _, ok := cutHash(r.TxMultisigHash); !ok || len(r.TxMultisigHash) != hashLen {
			return fmt.Errorf("%w: transaction %s: txMultisigHash is not a hash", ErrRecord, n.TxHash)
		}
		rec.TxMultisigHash = strings.ToLower(r.TxMultisigHash)
	}

	n.OriginalName = name
	n.Hash = msg.Hash
	n.Private = msg.Private
	n.Message = payload
	n.Dedicated = key
	n.DedicatedAddress = dedicated
	n.Network = network
	n.Record = rec
	return nil
}
