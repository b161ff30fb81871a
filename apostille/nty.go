package apostille

import (
	"archive/zip"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// readNty streams the .nty file f, {"data": [record, ...]}, and returns the
// records whose txHash is one of want (lower case), by hash. The decoder
// holds about one record at a time: other records (strangers' history) are
// skipped without decoding more than their txHash, and several records of
// one transaction must agree (only the first is kept). More than maxRecords
// records, or a record (with the whitespace before it) over maxRecordSize
// bytes, is ErrNty. Nothing may follow the object, and the entry must have
// its declared size and CRC-32.
func readNty(f *zip.File, want map[string]bool, maxRecords, maxRecordSize int) (map[string]*ntyRecord, error) {
	e, err := openEntry(f)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	var head [3]byte
	n, err := io.ReadFull(e, head[:])
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, err
	}
	var src io.Reader = e
	if string(head[:n]) != "\xef\xbb\xbf" { // a UTF-8 byte order mark is skipped
		src = io.MultiReader(bytes.NewReader(head[:n]), e)
	}
	w := &window{r: src}
	dec := json.NewDecoder(w)
	// step lets the decoder read at most maxRecordSize bytes past where it
	// is: it never buffers much more than the next token or record.
	step := func() { w.limit = dec.InputOffset() + int64(maxRecordSize) }
	fail := func(err error) error {
		switch {
		case e.err != nil && e.err != io.EOF:
			return e.err // the entry's own error: truncated, bomb, checksum
		case errors.Is(err, errWindow):
			return fmt.Errorf("%w: a record over %d bytes", ErrNty, maxRecordSize)
		case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
			return fmt.Errorf("%w: unexpected end of JSON", ErrNty)
		}
		return fmt.Errorf("%w: %v", ErrNty, err)
	}
	token := func() (json.Token, error) {
		step()
		return dec.Token()
	}

	if t, err := token(); err != nil {
		return nil, fail(err)
	} else if t != json.Delim('{') {
		return nil, fmt.Errorf("%w: not a JSON object", ErrNty)
	}
	records := make(map[string]*ntyRecord)
	item := &ntyItem{want: want}
	var sawData bool
	for {
		t, err := token()
		if err != nil {
			return nil, fail(err)
		}
		if t == json.Delim('}') {
			break
		}
		if key, _ := t.(string); !strings.EqualFold(key, "data") {
			var skip skipValue
			step()
			if err := dec.Decode(&skip); err != nil {
				return nil, fail(err)
			}
			continue
		}
		if sawData {
			return nil, fmt.Errorf(`%w: two "data" members`, ErrNty)
		}
		sawData = true
		if t, err := token(); err != nil {
			return nil, fail(err)
		} else if t != json.Delim('[') {
			return nil, fmt.Errorf(`%w: "data" is not an array`, ErrNty)
		}
		for count := 0; ; count++ {
			step()
			if !dec.More() {
				break
			}
			if count == maxRecords {
				return nil, fmt.Errorf("%w: more than %d records", ErrNty, maxRecords)
			}
			item.reset()
			if err := dec.Decode(item); err != nil {
				return nil, fail(err)
			}
			if item.err != nil {
				return nil, item.err
			}
			if item.hash == "" {
				continue
			}
			if first := records[item.hash]; first == nil {
				rec := item.rec
				records[item.hash] = &rec
			} else if !first.agrees(&item.rec) {
				return nil, fmt.Errorf("%w: transaction %s: conflicting records", ErrRecord, item.hash)
			}
		}
		if t, err := token(); err != nil {
			return nil, fail(err)
		} else if t != json.Delim(']') {
			return nil, fmt.Errorf(`%w: "data" is not an array`, ErrNty)
		}
	}
	if !sawData {
		return nil, fmt.Errorf(`%w: no "data" array`, ErrNty)
	}
	// The end of the entry: this also checks its size and CRC-32.
	if _, err := token(); err != io.EOF {
		if err == nil {
			return nil, fmt.Errorf("%w: data after the JSON object", ErrNty)
		}
		return nil, fail(err)
	}
	return records, nil
}

// errWindow is the error of a window read past its limit.
var errWindow = errors.New("apostille: .nty read window exhausted")

// window reads from r until limit bytes have been read in all.
type window struct {
	r           io.Reader
	read, limit int64
}

func (w *window) Read(p []byte) (int, error) {
	if w.read >= w.limit {
		return 0, errWindow
	}
	if int64(len(p)) > w.limit-w.read {
		p = p[:w.limit-w.read]
	}
	n, err := w.r.Read(p)
	w.read += int64(n)
	return n, err
}

// skipValue decodes any JSON value to nothing, without copying it.
type skipValue struct{}

func (*skipValue) UnmarshalJSON([]byte) error { return nil }

// ntyItem decodes one element of the .nty's data array: a record is decoded
// in full only if its txHash is wanted. Elements that are not objects, or
// have no string txHash, are skipped.
type ntyItem struct {
	want map[string]bool
	hash string    // the record's txHash, lower case, if wanted; else ""
	rec  ntyRecord // the record, if wanted
	err  error     // an ErrRecord about a wanted record
}

func (it *ntyItem) reset() { *it = ntyItem{want: it.want} }

// UnmarshalJSON looks at an element; b is the decoder's buffer, not kept.
func (it *ntyItem) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || b[0] != '{' {
		return nil
	}
	h := struct {
		TxHash ntyHash `json:"txHash"`
	}{ntyHash{want: it.want}}
	if json.Unmarshal(b, &h) != nil || h.TxHash.hash == "" {
		return nil
	}
	it.hash = h.TxHash.hash
	if err := json.Unmarshal(b, &it.rec); err != nil {
		it.err = fmt.Errorf("%w: transaction %s: %v", ErrRecord, it.hash, err)
	} else if it.rec.Filename == nil {
		it.err = fmt.Errorf("%w: transaction %s: no filename", ErrRecord, it.hash)
	}
	return nil
}

// ntyHash decodes a record's txHash: hash is set, in lower case, when it is
// a JSON string whose value is in want. Other values cost no copy.
type ntyHash struct {
	want map[string]bool
	hash string
}

// maxHashJSON is the longest JSON string a 64-character hash can be written
// as (every character a \uXXXX escape).
const maxHashJSON = 2 + 6*hashLen

func (h *ntyHash) UnmarshalJSON(b []byte) error {
	h.hash = ""
	if len(b) < 2 || b[0] != '"' || len(b) > maxHashJSON {
		return nil
	}
	s := b[1 : len(b)-1] // without escapes, the bytes are the string (b is valid JSON)
	if bytes.IndexByte(s, '\\') >= 0 {
		var u string
		if json.Unmarshal(b, &u) != nil {
			return nil
		}
		s = []byte(u)
	}
	if len(s) != hashLen {
		return nil
	}
	var lower [hashLen]byte
	for i, c := range s {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	if h.want[string(lower[:])] {
		h.hash = string(lower[:])
	}
	return nil
}

// agrees reports whether o, another record of r's transaction, says the
// same about it.
func (r *ntyRecord) agrees(o *ntyRecord) bool {
	return *o.Filename == *r.Filename && strings.EqualFold(o.FileHash, r.FileHash) &&
		strings.EqualFold(o.DedicatedAccount, r.DedicatedAccount) && strings.EqualFold(o.DedicatedPrivateKey, r.DedicatedPrivateKey)
}

// applyRecord checks r, the record chosen for n, and fills n's record fields
// from it. entryUTF8 says whether the entry name is known to be UTF-8, so
// that it can be compared with the record's filename.
func (n *Notarization) applyRecord(r *ntyRecord, entryUTF8 bool) error {
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
