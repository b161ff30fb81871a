package nis_test

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
	"github.com/nemiot/nemiot/nem/nis"
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
	types := map[nis.TransactionType]int{}
	for _, v := range txVectors(t) {
		t.Run(v.ID, func(t *testing.T) {
			data, hash, sig := unhex(t, v.Data), mustHash(t, v.Hash), unhex(t, v.Signature)
			tx, err := nis.ParseTransactionJSON(v.Tx)
			if err != nil {
				t.Fatal(err)
			}
			types[tx.Type]++
			if n, _ := nem.ParseNetwork(v.Network); tx.Network != n {
				t.Errorf("network %s, want %s", tx.Network, v.Network)
			}
			got, err := tx.Serialize()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("Serialize\n got %x\nwant %x", got, data)
			}
			if h, err := tx.Hash(); err != nil || h != hash {
				t.Errorf("Hash %s, want %s (%v)", h, hash, err)
			}
			if v.InnerHash != "" {
				ih, err := tx.InnerHash()
				if err != nil || ih != mustHash(t, v.InnerHash) {
					t.Errorf("InnerHash %s, want %s (%v)", ih, v.InnerHash, err)
				}
				inner, _ := tx.Inner.Serialize()
				if !bytes.Equal(inner, unhex(t, v.InnerData)) {
					t.Errorf("inner bytes %x, want %s", inner, v.InnerData)
				}
				if tx.Inner.Signer != mustPrivate(t, v.Multisig).PublicKey() {
					t.Errorf("inner signer is not the multisig account")
				}
			} else if _, err := tx.InnerHash(); !errors.Is(err, nis.ErrInvalidTransaction) {
				t.Errorf("InnerHash of a %s: %v", tx.Type, err)
			}

			// Signing reproduces nem-sdk's signature.
			key := mustPrivate(t, v.SignerPrivateKey)
			st, err := tx.Sign(key)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(st.Data, data) || !bytes.Equal(st.Signature[:], sig) || st.Hash() != hash {
				t.Errorf("Sign: data %x signature %s", st.Data, st.Signature)
			}
			if err := tx.Verify(); err != nil {
				t.Errorf("Verify: %v", err)
			}
			bad := *tx
			bad.Signature[10] ^= 0x40
			if err := bad.Verify(); !errors.Is(err, nis.ErrBadSignature) {
				t.Errorf("Verify of a damaged signature: %v", err)
			}
			if _, err := tx.Sign(mustPrivate(t, "0000000000000000000000000000000000000000000000000000000000000001")); !errors.Is(err, nis.ErrInvalidTransaction) {
				t.Errorf("Sign with another key than Signer: %v", err)
			}

			// The binary form decodes back to the same transaction.
			dec, err := nis.DecodeTransaction(data)
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
			js, err := tx.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			back, err := nis.ParseTransactionJSON(js)
			if err != nil {
				t.Fatalf("%v in %s", err, js)
			}
			if again, _ := back.Serialize(); !bytes.Equal(again, data) || back.Signature != tx.Signature {
				t.Errorf("JSON round trip differs: %s", js)
			}
			// The announce body.
			body, _ := json.Marshal(st)
			var st2 nis.SignedTransaction
			if err := json.Unmarshal(body, &st2); err != nil || !bytes.Equal(st2.Data, data) || st2.Signature != st.Signature {
				t.Errorf("announce body %s: %v", body, err)
			}
			if want := `{"data":"` + v.Data + `","signature":"` + v.Signature + `"}`; string(body) != want {
				t.Errorf("announce body %s, want %s", body, want)
			}
		})
	}
	for _, typ := range []nis.TransactionType{nis.TypeTransfer, nis.TypeMultisigModification, nis.TypeMultisig, nis.TypeMultisigSignature} {
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
		tx := &nis.Transaction{
			Type: nis.TransactionType(w.Type), Network: net,
			TimeStamp: nem.Timestamp(w.TimeStamp), Deadline: nem.Timestamp(w.Deadline), Fee: w.Fee,
		}
		switch tx.Type {
		case nis.TypeTransfer:
			tx.Recipient, tx.Amount = mustAddress(t, w.Recipient), w.Amount
			switch {
			case v.Encryption != nil:
				e := v.Encryption
				rnd := bytes.NewReader(append(unhex(t, e.Salt), unhex(t, e.IV)...))
				msg, err := nis.EncryptMessage(rnd, key, mustKey(t, e.RecipientPublicKey), unhex(t, e.Plaintext))
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
				tx.Message = msg
			case w.Message.Payload != "":
				tx.Message = nis.PlainMessage(unhex(t, w.Message.Payload))
			}
			if fee := nis.MinimumFee(tx); fee != w.Fee {
				t.Errorf("%s: MinimumFee %d, nem-sdk %d", v.ID, fee, w.Fee)
			}
		case nis.TypeMultisigModification:
			for _, m := range w.Modifications {
				tx.Modifications = append(tx.Modifications, nis.Modification{Type: nis.ModificationType(m.ModificationType), Cosignatory: mustKey(t, m.CosignatoryAccount)})
			}
			if len(v.Cosignatories) != len(tx.Modifications) {
				t.Fatalf("%s: %d cosignatory keys for %d modifications", v.ID, len(v.Cosignatories), len(tx.Modifications))
			}
			for _, c := range v.Cosignatories {
				k := mustPrivate(t, c).PublicKey()
				if !slices.ContainsFunc(tx.Modifications, func(m nis.Modification) bool { return m.Cosignatory == k }) {
					t.Errorf("%s: cosignatory %s not added", v.ID, k)
				}
			}
			rand.Shuffle(len(tx.Modifications), func(i, j int) {
				tx.Modifications[i], tx.Modifications[j] = tx.Modifications[j], tx.Modifications[i]
			})
			if w.MinCosignatories != nil {
				tx.MinCosignatoriesChange = w.MinCosignatories.RelativeChange
			} else {
				tx.Version = 1 // nem-sdk writes relative change 0 as version 1
			}
			if fee := nis.MinimumFee(tx); fee != w.Fee {
				t.Errorf("%s: MinimumFee %d, nem-sdk %d", v.ID, fee, w.Fee)
			}
		default:
			continue
		}
		if tx.VersionField() != w.Version {
			t.Errorf("%s: version field %d, want %d", v.ID, tx.VersionField(), w.Version)
		}
		st, err := tx.Sign(key)
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
	var req nis.SignedTransaction
	if err := json.Unmarshal(fixture(t, "request-announce-multisig.json"), &req); err != nil {
		t.Fatal(err)
	}
	fromFixture, err := req.Transaction()
	if err != nil {
		t.Fatal(err)
	}
	ts, dl := fromFixture.TimeStamp, fromFixture.Deadline
	w := &nis.Transaction{
		Type: nis.TypeMultisig, Network: nem.Mainnet, TimeStamp: ts, Deadline: dl,
		Inner: &nis.Transaction{
			Type: nis.TypeMultisigModification, Network: nem.Mainnet, Version: 1, TimeStamp: ts, Deadline: dl,
			Signer:        k["device2of3"].PublicKey(),
			Modifications: []nis.Modification{{Type: nis.AddCosignatory, Cosignatory: k["ownerE"].PublicKey()}},
		},
	}
	w.Inner.Fee = nis.MinimumFee(w.Inner)
	w.Fee = nis.MinimumFee(w)
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
	confirmed, err := nis.ParseTransactionJSON(got.Transaction)
	if err != nil {
		t.Fatal(err)
	}
	if len(confirmed.Cosignatures) != 1 {
		t.Fatalf("%d cosignatures", len(confirmed.Cosignatures))
	}
	fc := confirmed.Cosignatures[0]
	c, err := nis.NewCosignature(w, fc.TimeStamp, fc.Deadline)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Sign(k["ownerB"]); err != nil {
		t.Fatal(err)
	}
	if c.Signature != fc.Signature || c.Fee != fc.Fee || c.OtherHash != mustHash(t, got.Meta.InnerHash.Data) {
		t.Errorf("cosignature %+v, want %+v", c, fc)
	}
	w.Cosignatures = []*nis.Transaction{c}
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
	w.Cosignatures = []*nis.Transaction{&c2}
	if err := w.Verify(); !errors.Is(err, nis.ErrHashMismatch) {
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
			tx, err := nis.DecodeTransaction(d)
			if err != nil {
				if !errors.Is(err, nis.ErrInvalidTransaction) && !errors.Is(err, nis.ErrUnsupportedType) {
					t.Errorf("%s byte %d: %v", v.ID, i, err)
				}
				continue
			}
			tx.Signature = sig
			if err := tx.Verify(); err == nil {
				t.Errorf("%s: byte %d flipped still verifies", v.ID, i)
			}
		}
		for n := range data {
			if _, err := nis.DecodeTransaction(data[:n]); err == nil {
				t.Errorf("%s: %d of %d bytes decode", v.ID, n, len(data))
			}
		}
		if _, err := nis.DecodeTransaction(append(slices.Clone(data), 0)); err == nil {
			t.Errorf("%s: trailing byte decodes", v.ID)
		}
	}
}

func TestSerializeRefuses(t *testing.T) {
	key := nem.PublicKey{9}
	to := nem.PublicKey{8}.Address(nem.Testnet)
	base := func() *nis.Transaction {
		return &nis.Transaction{Type: nis.TypeTransfer, Network: nem.Testnet, Signer: key, Recipient: to, TimeStamp: 1, Deadline: 2}
	}
	mod := func() *nis.Transaction {
		tx := base()
		tx.Type = nis.TypeMultisigModification
		tx.Modifications = []nis.Modification{{Type: nis.AddCosignatory, Cosignatory: nem.PublicKey{5}}}
		return tx
	}
	for name, tc := range map[string]struct {
		tx   *nis.Transaction
		want error
	}{
		"unsupported type": {&nis.Transaction{Type: nis.TypeImportanceTransfer, Network: nem.Testnet, Signer: key}, nis.ErrUnsupportedType},
		"no network":       {func() *nis.Transaction { tx := base(); tx.Network = 0; return tx }(), nis.ErrInvalidTransaction},
		"no signer":        {func() *nis.Transaction { tx := base(); tx.Signer = nem.PublicKey{}; return tx }(), nis.ErrInvalidTransaction},
		"no recipient":     {func() *nis.Transaction { tx := base(); tx.Recipient = nem.Address{}; return tx }(), nis.ErrInvalidTransaction},
		"version 3":        {func() *nis.Transaction { tx := base(); tx.Version = 3; return tx }(), nis.ErrInvalidTransaction},
		"message type 3": {func() *nis.Transaction {
			tx := base()
			tx.Message = nis.Message{Type: 3, Payload: []byte{1}}
			return tx
		}(), nis.ErrInvalidTransaction},
		"mosaics in v1": {func() *nis.Transaction {
			tx := base()
			tx.Version = 1
			tx.Mosaics = []nis.Mosaic{{"nem", "xem", 1}}
			return tx
		}(), nis.ErrInvalidTransaction},
		"empty mosaic name": {func() *nis.Transaction { tx := base(); tx.Mosaics = []nis.Mosaic{{"nem", "", 1}}; return tx }(), nis.ErrInvalidTransaction},
		"modification type": {func() *nis.Transaction { tx := mod(); tx.Modifications[0].Type = 3; return tx }(), nis.ErrInvalidTransaction},
		"zero cosignatory":  {func() *nis.Transaction { tx := mod(); tx.Modifications[0].Cosignatory = nem.PublicKey{}; return tx }(), nis.ErrInvalidTransaction},
		"v1 with min":       {func() *nis.Transaction { tx := mod(); tx.Version = 1; tx.MinCosignatoriesChange = 1; return tx }(), nis.ErrInvalidTransaction},
		"v1 empty":          {func() *nis.Transaction { tx := mod(); tx.Version = 1; tx.Modifications = nil; return tx }(), nis.ErrInvalidTransaction},
		"wrapper no inner":  {func() *nis.Transaction { tx := base(); tx.Type = nis.TypeMultisig; return tx }(), nis.ErrInvalidTransaction},
		"wrapped wrapper": {func() *nis.Transaction {
			tx := base()
			tx.Type = nis.TypeMultisig
			tx.Inner = &nis.Transaction{Type: nis.TypeMultisig, Network: nem.Testnet, Signer: key, Inner: base()}
			return tx
		}(), nis.ErrInvalidTransaction},
		"signature no account": {func() *nis.Transaction { tx := base(); tx.Type = nis.TypeMultisigSignature; return tx }(), nis.ErrInvalidTransaction},
	} {
		if _, err := tc.tx.Serialize(); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
		if _, err := tc.tx.Hash(); !errors.Is(err, tc.want) {
			t.Errorf("%s: Hash: %v", name, err)
		}
	}
	if _, err := base().Sign(nil); !errors.Is(err, nis.ErrInvalidTransaction) {
		t.Errorf("Sign(nil): %v", err)
	}
}

// TestMosaicTransfer checks that mosaics are merged and sorted as NIS does
// and survive the binary and JSON forms.
func TestMosaicTransfer(t *testing.T) {
	k := mustPrivate(t, "575dbb3062267eff57c970a336ebbc8fbcfe12c5bd3ed7bc11eb0481d7704ced")
	tx := &nis.Transaction{
		Type: nis.TypeTransfer, Network: nem.Mainnet, TimeStamp: 100, Deadline: 200, Fee: 50_000,
		Recipient: nem.PublicKey{1}.Address(nem.Mainnet), Amount: 1_000_000,
		Mosaics: []nis.Mosaic{{"nem", "xem", 5}, {"alice", "token", 2}, {"nem", "xem", 7}},
	}
	st, err := tx.Sign(k)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := nis.DecodeTransaction(st.Data)
	if err != nil {
		t.Fatal(err)
	}
	want := []nis.Mosaic{{"alice", "token", 2}, {"nem", "xem", 12}}
	if !slices.Equal(dec.Mosaics, want) || dec.Version != 2 {
		t.Errorf("mosaics %v version %d, want %v", dec.Mosaics, dec.Version, want)
	}
	js, _ := tx.MarshalJSON()
	back, err := nis.ParseTransactionJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Verify(); err != nil {
		t.Errorf("JSON round trip: %v (%s)", err, js)
	}
}
