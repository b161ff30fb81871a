package tx_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/nemiot/nemiot/internal/sharedtest"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/tx"
)

// txVector is one case of testdata/vectors/transactions.json (nem-sdk).
type txVector struct {
	ID               string          `json:"id"`
	Network          string          `json:"network"`
	SignerPrivateKey string          `json:"signerPrivateKey"`
	Tx               json.RawMessage `json:"tx"`
	Data             string          `json:"data"`
	Hash             string          `json:"hash"`
	Signature        string          `json:"signature"`
	InnerData        string          `json:"innerData"`
	InnerHash        string          `json:"innerHash"`
	Multisig         string          `json:"multisigPrivateKey"`
	Cosignatories    []string        `json:"cosignatoryPrivateKeys"`
	Encryption       *struct {
		RecipientPrivateKey string `json:"recipientPrivateKey"`
		RecipientPublicKey  string `json:"recipientPublicKey"`
		Salt, IV, Plaintext string
	} `json:"encryption"`
}

func txVectors(t testing.TB) []txVector {
	t.Helper()
	b, err := os.ReadFile(sharedtest.Testdata(t, "vectors", "transactions.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Cases []txVector }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) < 30 {
		t.Fatalf("only %d transaction vectors", len(f.Cases))
	}
	return f.Cases
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTransactionVectors checks serialization, hash and signature of every
// nem-sdk vector, by way of the JSON form, the binary form and Sign.
func TestTransactionVectors(t *testing.T) {
	types := map[tx.TransactionType]int{}
	for _, v := range txVectors(t) {
		t.Run(v.ID, func(t *testing.T) {
			data, hash, sig := unhex(t, v.Data), mustHash(t, v.Hash), unhex(t, v.Signature)
			txn, err := tx.ParseTransactionJSON(v.Tx)
			if err != nil {
				t.Fatal(err)
			}
			types[txn.Type]++
			if n, _ := nem.ParseNetwork(v.Network); txn.Network != n {
				t.Errorf("network %s, want %s", txn.Network, v.Network)
			}
			got, err := txn.Serialize()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("Serialize\n got %x\nwant %x", got, data)
			}
			if h, err := txn.Hash(); err != nil || h != hash {
				t.Errorf("Hash %s, want %s (%v)", h, hash, err)
			}
			if v.InnerHash != "" {
				ih, err := txn.InnerHash()
				if err != nil || ih != mustHash(t, v.InnerHash) {
					t.Errorf("InnerHash %s, want %s (%v)", ih, v.InnerHash, err)
				}
				inner, _ := txn.Inner.Serialize()
				if !bytes.Equal(inner, unhex(t, v.InnerData)) {
					t.Errorf("inner bytes %x, want %s", inner, v.InnerData)
				}
				if txn.Inner.Signer != mustPrivate(t, v.Multisig).PublicKey() {
					t.Errorf("inner signer is not the multisig account")
				}
			} else if _, err := txn.InnerHash(); !errors.Is(err, tx.ErrInvalidTransaction) {
				t.Errorf("InnerHash of a %s: %v", txn.Type, err)
			}

			// Signing reproduces nem-sdk's signature.
			key := mustPrivate(t, v.SignerPrivateKey)
			st, err := txn.Sign(key)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(st.Data, data) || !bytes.Equal(st.Signature[:], sig) || st.Hash() != hash {
				t.Errorf("Sign: data %x signature %s", st.Data, st.Signature)
			}
			if err := txn.Verify(); err != nil {
				t.Errorf("Verify: %v", err)
			}
			bad := *txn
			bad.Signature[10] ^= 0x40
			if err := bad.Verify(); !errors.Is(err, tx.ErrBadSignature) {
				t.Errorf("Verify of a damaged signature: %v", err)
			}
			if _, err := txn.Sign(mustPrivate(t, "0000000000000000000000000000000000000000000000000000000000000001")); !errors.Is(err, tx.ErrInvalidTransaction) {
				t.Errorf("Sign with another key than Signer: %v", err)
			}

			// The binary form decodes back to the same transaction.
			dec, err := tx.DecodeTransaction(data)
			if err != nil {
				t.Fatal(err)
			}
			if again, _ := dec.Serialize(); !bytes.Equal(again, data) {
				t.Errorf("DecodeTransaction round trip differs")
			}
			dec.Signature = st.Signature
			if err := dec.Verify(); err != nil {
				t.Errorf("decoded: %v", err)
			}
			// And so does the JSON form this package writes.
			js, err := txn.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			back, err := tx.ParseTransactionJSON(js)
			if err != nil {
				t.Fatalf("%v in %s", err, js)
			}
			if again, _ := back.Serialize(); !bytes.Equal(again, data) || back.Signature != txn.Signature {
				t.Errorf("JSON round trip differs: %s", js)
			}
			// The announce body.
			body, _ := json.Marshal(st)
			var st2 tx.SignedTransaction
			if err := json.Unmarshal(body, &st2); err != nil || !bytes.Equal(st2.Data, data) || st2.Signature != st.Signature {
				t.Errorf("announce body %s: %v", body, err)
			}
			if want := `{"data":"` + v.Data + `","signature":"` + v.Signature + `"}`; string(body) != want {
				t.Errorf("announce body %s, want %s", body, want)
			}
		})
	}
	for _, typ := range []tx.TransactionType{tx.TypeTransfer, tx.TypeMultisigModification, tx.TypeMultisig, tx.TypeMultisigSignature} {
		if types[typ] == 0 {
			t.Errorf("no vector of type %s", typ)
		}
	}
}

// TestBuildTransactions builds the vectors' transfers and modifications as
// struct literals (encrypting the messages of the encrypted ones, and
// listing modifications in random order) and checks the signed bytes.
func TestBuildTransactions(t *testing.T) {
	built := 0
	for _, v := range txVectors(t) {
		var w struct {
			Type                int32
			Version             int32
			TimeStamp, Deadline int32
			Fee, Amount         uint64
			Recipient           string
			Message             struct {
				Type    int32
				Payload string
			}
			Modifications []struct {
				ModificationType   int32
				CosignatoryAccount string
			}
			MinCosignatories *struct{ RelativeChange int32 }
		}
		if err := json.Unmarshal(v.Tx, &w); err != nil {
			t.Fatal(err)
		}
		net, _ := nem.ParseNetwork(v.Network)
		key := mustPrivate(t, v.SignerPrivateKey)
		txn := &tx.Transaction{
			Type: tx.TransactionType(w.Type), Network: net,
			TimeStamp: nem.Timestamp(w.TimeStamp), Deadline: nem.Timestamp(w.Deadline), Fee: w.Fee,
		}
		switch txn.Type {
		case tx.TypeTransfer:
			txn.Recipient, txn.Amount = mustAddress(t, w.Recipient), w.Amount
			switch {
			case v.Encryption != nil:
				e := v.Encryption
				rnd := bytes.NewReader(append(unhex(t, e.Salt), unhex(t, e.IV)...))
				msg, err := tx.EncryptMessage(rnd, key, mustKey(t, e.RecipientPublicKey), unhex(t, e.Plaintext))
				if err != nil {
					t.Fatal(err)
				}
				if hex.EncodeToString(msg.Payload) != w.Message.Payload {
					t.Errorf("%s: encrypted payload %x, want %s", v.ID, msg.Payload, w.Message.Payload)
				}
				plain, err := msg.Decrypt(mustPrivate(t, e.RecipientPrivateKey), key.PublicKey())
				if err != nil || !bytes.Equal(plain, unhex(t, e.Plaintext)) {
					t.Errorf("%s: Decrypt %q, %v", v.ID, plain, err)
				}
				txn.Message = msg
			case w.Message.Payload != "":
				txn.Message = tx.PlainMessage(unhex(t, w.Message.Payload))
			}
			if fee := tx.MinimumFee(txn); fee != w.Fee {
				t.Errorf("%s: MinimumFee %d, nem-sdk %d", v.ID, fee, w.Fee)
			}
		case tx.TypeMultisigModification:
			for _, m := range w.Modifications {
				txn.Modifications = append(txn.Modifications, tx.Modification{Type: tx.ModificationType(m.ModificationType), Cosignatory: mustKey(t, m.CosignatoryAccount)})
			}
			if len(v.Cosignatories) != len(txn.Modifications) {
				t.Fatalf("%s: %d cosignatory keys for %d modifications", v.ID, len(v.Cosignatories), len(txn.Modifications))
			}
			for _, c := range v.Cosignatories {
				k := mustPrivate(t, c).PublicKey()
				if !slices.ContainsFunc(txn.Modifications, func(m tx.Modification) bool { return m.Cosignatory == k }) {
					t.Errorf("%s: cosignatory %s not added", v.ID, k)
				}
			}
			rand.Shuffle(len(txn.Modifications), func(i, j int) {
				txn.Modifications[i], txn.Modifications[j] = txn.Modifications[j], txn.Modifications[i]
			})
			if w.MinCosignatories != nil {
				txn.MinCosignatoriesChange = w.MinCosignatories.RelativeChange
			} else {
				txn.Version = 1 // nem-sdk writes relative change 0 as version 1
			}
			if fee := tx.MinimumFee(txn); fee != w.Fee {
				t.Errorf("%s: MinimumFee %d, nem-sdk %d", v.ID, fee, w.Fee)
			}
		default:
			continue
		}
		if txn.VersionField() != w.Version {
			t.Errorf("%s: version field %d, want %d", v.ID, txn.VersionField(), w.Version)
		}
		st, err := txn.Sign(key)
		if err != nil {
			t.Fatalf("%s: %v", v.ID, err)
		}
		if hex.EncodeToString(st.Data) != v.Data || st.Signature.String() != v.Signature {
			t.Errorf("%s: built\n %x\nwant %s", v.ID, st.Data, v.Data)
		}
		built++
	}
	if built < 25 {
		t.Errorf("built only %d transactions", built)
	}
}

// TestFixtureMultisigModification rebuilds the fixtures' signed multisig
// modification (owner A adds owner E to device2of3, cosigned by owner B)
// from the keys in keys.json.
func TestFixtureMultisigModification(t *testing.T) {
	var keys struct {
		Keys []struct{ Role, PrivateKey string }
	}
	if err := json.Unmarshal(fixture(t, "keys.json"), &keys); err != nil {
		t.Fatal(err)
	}
	k := map[string]*nem.PrivateKey{}
	for _, e := range keys.Keys {
		k[e.Role] = mustPrivate(t, e.PrivateKey)
	}
	var req tx.SignedTransaction
	if err := json.Unmarshal(fixture(t, "request-announce-multisig.json"), &req); err != nil {
		t.Fatal(err)
	}
	fromFixture, err := req.Transaction()
	if err != nil {
		t.Fatal(err)
	}
	ts, dl := fromFixture.TimeStamp, fromFixture.Deadline
	w := &tx.Transaction{
		Type: tx.TypeMultisig, Network: nem.Mainnet, TimeStamp: ts, Deadline: dl,
		Inner: &tx.Transaction{
			Type: tx.TypeMultisigModification, Network: nem.Mainnet, Version: 1, TimeStamp: ts, Deadline: dl,
			Signer:        k["device2of3"].PublicKey(),
			Modifications: []tx.Modification{{Type: tx.AddCosignatory, Cosignatory: k["ownerE"].PublicKey()}},
		},
	}
	w.Inner.Fee = tx.MinimumFee(w.Inner)
	w.Fee = tx.MinimumFee(w)
	st, err := w.Sign(k["ownerA"])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(st.Data, req.Data) || st.Signature != req.Signature {
		t.Fatalf("built\n %x %s\nwant %x %s", st.Data, st.Signature, req.Data, req.Signature)
	}
	// The confirmed form carries owner B's cosignature; rebuild it too.
	var got struct {
		Meta struct {
			Hash, InnerHash struct{ Data string }
		}
		Transaction json.RawMessage
	}
	if err := json.Unmarshal(fixture(t, "transaction-get-multisig-modification-confirmed.json"), &got); err != nil {
		t.Fatal(err)
	}
	confirmed, err := tx.ParseTransactionJSON(got.Transaction)
	if err != nil {
		t.Fatal(err)
	}
	if len(confirmed.Cosignatures) != 1 {
		t.Fatalf("%d cosignatures", len(confirmed.Cosignatures))
	}
	fc := confirmed.Cosignatures[0]
	c, err := tx.NewCosignature(w, fc.TimeStamp, fc.Deadline)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Sign(k["ownerB"]); err != nil {
		t.Fatal(err)
	}
	if c.Signature != fc.Signature || c.Fee != fc.Fee || c.OtherHash != mustHash(t, got.Meta.InnerHash.Data) {
		t.Errorf("cosignature %+v, want %+v", c, fc)
	}
	w.Cosignatures = []*tx.Transaction{c}
	if err := w.Verify(); err != nil {
		t.Error(err)
	}
	if h, _ := w.Hash(); h != mustHash(t, got.Meta.Hash.Data) {
		t.Errorf("hash %s, want %s", h, got.Meta.Hash.Data)
	}
	// A cosignature of another inner transaction does not verify in w.
	c2 := *c
	c2.OtherHash[0] ^= 1
	c2.Sign(k["ownerB"])
	w.Cosignatures = []*tx.Transaction{&c2}
	if err := w.Verify(); !errors.Is(err, tx.ErrHashMismatch) {
		t.Errorf("foreign cosignature: %v", err)
	}
}

// TestTamperedBytes flips every bit position's byte of one vector of each
// type: the result either fails to decode or fails to verify.
func TestTamperedBytes(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range txVectors(t) {
		var head struct{ Type int32 }
		json.Unmarshal(v.Tx, &head)
		kind := string(rune(head.Type)) + string(rune(len(v.InnerHash)))
		if seen[kind] && v.Encryption == nil {
			continue
		}
		seen[kind] = true
		data, sig := unhex(t, v.Data), nem.Signature(unhex(t, v.Signature))
		for i := range data {
			d := slices.Clone(data)
			d[i] ^= 0x01
			txn, err := tx.DecodeTransaction(d)
			if err != nil {
				if !errors.Is(err, tx.ErrInvalidTransaction) && !errors.Is(err, tx.ErrUnsupportedType) {
					t.Errorf("%s byte %d: %v", v.ID, i, err)
				}
				continue
			}
			txn.Signature = sig
			if err := txn.Verify(); err == nil {
				t.Errorf("%s: byte %d flipped still verifies", v.ID, i)
			}
		}
		for n := range data {
			if _, err := tx.DecodeTransaction(data[:n]); err == nil {
				t.Errorf("%s: %d of %d bytes decode", v.ID, n, len(data))
			}
		}
		if _, err := tx.DecodeTransaction(append(slices.Clone(data), 0)); err == nil {
			t.Errorf("%s: trailing byte decodes", v.ID)
		}
	}
}

func TestSerializeRefuses(t *testing.T) {
	key := nem.PublicKey{9}
	to := nem.PublicKey{8}.Address(nem.Testnet)
	base := func() *tx.Transaction {
		return &tx.Transaction{Type: tx.TypeTransfer, Network: nem.Testnet, Signer: key, Recipient: to, TimeStamp: 1, Deadline: 2}
	}
	mod := func() *tx.Transaction {
		txn := base()
		txn.Type = tx.TypeMultisigModification
		txn.Modifications = []tx.Modification{{Type: tx.AddCosignatory, Cosignatory: nem.PublicKey{5}}}
		return txn
	}
	for name, tc := range map[string]struct {
		txn  *tx.Transaction
		want error
	}{
		"unsupported type": {&tx.Transaction{Type: tx.TypeImportanceTransfer, Network: nem.Testnet, Signer: key}, tx.ErrUnsupportedType},
		"no network":       {func() *tx.Transaction { txn := base(); txn.Network = 0; return txn }(), tx.ErrInvalidTransaction},
		"no signer":        {func() *tx.Transaction { txn := base(); txn.Signer = nem.PublicKey{}; return txn }(), tx.ErrInvalidTransaction},
		"no recipient":     {func() *tx.Transaction { txn := base(); txn.Recipient = nem.Address{}; return txn }(), tx.ErrInvalidTransaction},
		"version 3":        {func() *tx.Transaction { txn := base(); txn.Version = 3; return txn }(), tx.ErrInvalidTransaction},
		"message type 3": {func() *tx.Transaction {
			txn := base()
			txn.Message = tx.Message{Type: 3, Payload: []byte{1}}
			return txn
		}(), tx.ErrInvalidTransaction},
		"mosaics in v1": {func() *tx.Transaction {
			txn := base()
			txn.Version = 1
			txn.Mosaics = []tx.Mosaic{{"nem", "xem", 1}}
			return txn
		}(), tx.ErrInvalidTransaction},
		"empty mosaic name": {func() *tx.Transaction { txn := base(); txn.Mosaics = []tx.Mosaic{{"nem", "", 1}}; return txn }(), tx.ErrInvalidTransaction},
		"modification type": {func() *tx.Transaction { txn := mod(); txn.Modifications[0].Type = 3; return txn }(), tx.ErrInvalidTransaction},
		"zero cosignatory":  {func() *tx.Transaction { txn := mod(); txn.Modifications[0].Cosignatory = nem.PublicKey{}; return txn }(), tx.ErrInvalidTransaction},
		"v1 with min":       {func() *tx.Transaction { txn := mod(); txn.Version = 1; txn.MinCosignatoriesChange = 1; return txn }(), tx.ErrInvalidTransaction},
		"v1 empty":          {func() *tx.Transaction { txn := mod(); txn.Version = 1; txn.Modifications = nil; return txn }(), tx.ErrInvalidTransaction},
		"wrapper no inner":  {func() *tx.Transaction { txn := base(); txn.Type = tx.TypeMultisig; return txn }(), tx.ErrInvalidTransaction},
		"wrapped wrapper": {func() *tx.Transaction {
			txn := base()
			txn.Type = tx.TypeMultisig
			txn.Inner = &tx.Transaction{Type: tx.TypeMultisig, Network: nem.Testnet, Signer: key, Inner: base()}
			return txn
		}(), tx.ErrInvalidTransaction},
		"signature no account": {func() *tx.Transaction { txn := base(); txn.Type = tx.TypeMultisigSignature; return txn }(), tx.ErrInvalidTransaction},
	} {
		if _, err := tc.txn.Serialize(); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
		if _, err := tc.txn.Hash(); !errors.Is(err, tc.want) {
			t.Errorf("%s: Hash: %v", name, err)
		}
	}
	if _, err := base().Sign(nil); !errors.Is(err, tx.ErrInvalidTransaction) {
		t.Errorf("Sign(nil): %v", err)
	}
}

// TestMosaicTransfer checks that mosaics are merged and sorted as NIS does
// and survive the binary and JSON forms.
func TestMosaicTransfer(t *testing.T) {
	k := mustPrivate(t, "575dbb3062267eff57c970a336ebbc8fbcfe12c5bd3ed7bc11eb0481d7704ced")
	txn := &tx.Transaction{
		Type: tx.TypeTransfer, Network: nem.Mainnet, TimeStamp: 100, Deadline: 200, Fee: 50_000,
		Recipient: nem.PublicKey{1}.Address(nem.Mainnet), Amount: 1_000_000,
		Mosaics: []tx.Mosaic{{"nem", "xem", 5}, {"alice", "token", 2}, {"nem", "xem", 7}},
	}
	st, err := txn.Sign(k)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := tx.DecodeTransaction(st.Data)
	if err != nil {
		t.Fatal(err)
	}
	want := []tx.Mosaic{{"alice", "token", 2}, {"nem", "xem", 12}}
	if !slices.Equal(dec.Mosaics, want) || dec.Version != 2 {
		t.Errorf("mosaics %v version %d, want %v", dec.Mosaics, dec.Version, want)
	}
	js, _ := txn.MarshalJSON()
	back, err := tx.ParseTransactionJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Verify(); err != nil {
		t.Errorf("JSON round trip: %v (%s)", err, js)
	}
}
