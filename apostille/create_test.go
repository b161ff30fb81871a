package apostille

import (
	"bytes"
	"testing"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/tx"
)

// TestDedicatedKeyAgainstNemSdk derives every private sample's dedicated key
// from its owner and exact name, as nem-sdk's apostille.generateAccount did.
func TestDedicatedKeyAgainstNemSdk(t *testing.T) {
	m := loadManifest(t)
	var n int
	for _, f := range m.files() {
		if !f.Private {
			continue
		}
		n++
		owner := f.owner(t)
		k := DedicatedKey(owner, f.OriginalName)
		if k.Hex() != *f.DedicatedPrivateKey {
			t.Errorf("%q: dedicated key differs from nem-sdk's", f.OriginalName)
		}
		if got := k.Address(f.network(t)).String(); got != f.DedicatedAddress {
			t.Errorf("%q: dedicated address %s, nem-sdk %s", f.OriginalName, got, f.DedicatedAddress)
		}
		// The name is hashed exactly: any change gives another account.
		for _, other := range []string{f.OriginalName + " ", " " + f.OriginalName, f.OriginalName + ".txt"} {
			if DedicatedKey(owner, other).Equal(k) {
				t.Errorf("%q and %q give the same dedicated key", f.OriginalName, other)
			}
		}
		if DedicatedKey(testKey(t, 4), f.OriginalName).Equal(k) {
			t.Errorf("%q: another owner gives the same dedicated key", f.OriginalName)
		}
	}
	if n < 8 {
		t.Fatalf("only %d private samples", n)
	}
}

// TestNewAgainstNemSdk makes every sample apostille again with New and
// compares the message, the dedicated key and the transfer (serialized and
// signed) with what nem-sdk's apostille.create made.
func TestNewAgainstNemSdk(t *testing.T) {
	m := loadManifest(t)
	for _, f := range m.files() {
		t.Run(f.OriginalName, func(t *testing.T) {
			owner := f.owner(t)
			net := f.network(t)
			d, err := New(owner, f.OriginalName, mustHex(t, f.ContentHex), f.hashType(t), f.Private)
			if err != nil {
				t.Fatal(err)
			}
			if hexString(d.Message) != f.Message || d.Name != f.OriginalName || d.Owner != owner.PublicKey() ||
				d.Hash != f.hashType(t) || d.Private != f.Private {
				t.Errorf("draft %+v differs from nem-sdk", d)
			}
			if f.Private != (d.Dedicated != nil) || f.Private && d.Dedicated.Hex() != *f.DedicatedPrivateKey {
				t.Errorf("dedicated key differs from nem-sdk's")
			}
			if to, err := d.Recipient(net); err != nil || to.String() != f.DedicatedAddress {
				t.Errorf("Recipient = %s, %v; nem-sdk %s", to, err, f.DedicatedAddress)
			}

			want := f.transaction(t)
			var got *tx.Transaction
			if f.Multisig != nil {
				ms, err := nem.ParsePublicKey(f.Multisig.PublicKey)
				if err != nil {
					t.Fatal(err)
				}
				got, err = d.MultisigTransfer(net, want.TimeStamp, ms)
				if err != nil {
					t.Fatal(err)
				}
			} else if got, err = d.Transfer(net, want.TimeStamp); err != nil {
				t.Fatal(err)
			}
			if got.Signature != (nem.Signature{}) {
				t.Fatalf("New's transfer is signed")
			}
			gotBytes, err := got.Serialize()
			if err != nil {
				t.Fatal(err)
			}
			wantBytes, err := want.Serialize()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(gotBytes, wantBytes) {
				t.Fatalf("transfer\n%x\nnem-sdk\n%x", gotBytes, wantBytes)
			}
			st, err := got.Sign(owner)
			if err != nil {
				t.Fatal(err)
			}
			if got.Signature != want.Signature {
				t.Errorf("signature %s, nem-sdk %s", got.Signature, want.Signature)
			}
			if h := st.Hash().String(); h != f.TxHash {
				t.Errorf("transaction hash %s, nem-sdk %s", h, f.TxHash)
			}
			if f.Multisig != nil {
				if ih, err := got.InnerHash(); err != nil || ih.String() != f.Multisig.InnerHash {
					t.Errorf("inner hash %s, %v; nem-sdk %s", ih, err, f.Multisig.InnerHash)
				}
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New(nil, "a.txt", nil, SHA256, false); err == nil {
		t.Error("New with a nil owner")
	}
	if _, err := New(testKey(t, 1), "a.txt", nil, HashType(0x05), true); err == nil {
		t.Error("New with hash type 0x05")
	}
	d, err := New(testKey(t, 1), "a.txt", nil, SHA256, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Transfer(nem.Network(0x11), 0); err == nil {
		t.Error("Transfer on an unknown network")
	}
	p, err := New(testKey(t, 1), "a.txt", nil, SHA256, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Transfer(nem.Network(0x11), 0); err == nil {
		t.Error("private Transfer on an unknown network")
	}
	// Deadlines as nem-sdk sets them: 1 h on testnet, 24 h elsewhere.
	for net, want := range map[nem.Network]nem.Timestamp{nem.Testnet: 3600, nem.Mainnet: 86400, nem.Mijin: 86400} {
		tx, err := p.Transfer(net, 1000)
		if err != nil || tx.Deadline != 1000+want || tx.Recipient != p.Dedicated.Address(net) || tx.Amount != 0 {
			t.Errorf("%s: %+v, %v", net, tx, err)
		}
	}
}

func TestSinks(t *testing.T) {
	m := loadManifest(t)
	for name, want := range m.Sinks {
		net, err := nem.ParseNetwork(name)
		if err != nil {
			t.Fatal(err)
		}
		if s, ok := Sink(net); !ok || s.String() != want {
			t.Errorf("Sink(%s) = %s, nem-sdk %s", name, s, want)
		}
	}
	if _, ok := Sink(nem.Network(0x11)); ok {
		t.Error("sink of an unknown network")
	}
}

// TestNames checks NotarizedName and CertificateName against the entry names
// of the samples, and that parsing each entry name gives its original name
// back (the .nty record settles "README" against "README.README").
func TestNames(t *testing.T) {
	m := loadManifest(t)
	for _, f := range m.files() {
		f.EntryName, f.CertificateName = lastElement(f.EntryName), lastElement(f.CertificateName) // re-zipped in a folder
		if got := NotarizedName(f.OriginalName, f.TxHash, f.Date); got != f.EntryName {
			t.Errorf("NotarizedName(%q) = %q, want %q", f.OriginalName, got, f.EntryName)
		}
		if got := CertificateName(f.OriginalName, f.TxHash, f.Date); got != f.CertificateName {
			t.Errorf("CertificateName(%q) = %q, want %q", f.OriginalName, got, f.CertificateName)
		}
		nn, ok := parseNotarizedName(f.EntryName)
		if !ok || nn.txHash != f.TxHash || nn.date != f.Date {
			t.Errorf("parseNotarizedName(%q) = %+v, %v", f.EntryName, nn, ok)
		}
		if got := nn.original(); got != f.OriginalName && f.OriginalName != "README.README" {
			t.Errorf("original of %q = %q, want %q", f.EntryName, got, f.OriginalName)
		}
	}
	tests := []struct{ original, wantEntry string }{
		{"notes  v2 .txt", "notes  v2  -- Apostille TX H -- Date D.txt"},
		{"data.", "data. -- Apostille TX H -- Date D."},
		{".env", " -- Apostille TX H -- Date D.env"},
		{"README", "README -- Apostille TX H -- Date D.README"},
		{"a.b.c", "a.b -- Apostille TX H -- Date D.c"},
		{"x -- y", "x -- y -- Apostille TX H -- Date D.x -- y"},
		{"x.y -- z", "x -- Apostille TX H -- Date D.y -- z"},
		{"a/b.c", "a/b -- Apostille TX H -- Date D.c"},
		{"a.b/c", "a.b/c -- Apostille TX H -- Date D.b/c"},
		{" lead and trail ", " lead and trail  -- Apostille TX H -- Date D. lead and trail "},
	}
	for _, tc := range tests {
		if got := NotarizedName(tc.original, "H", "D"); got != tc.wantEntry {
			t.Errorf("NotarizedName(%q) = %q, want %q", tc.original, got, tc.wantEntry)
		}
		if tc.original == "README" || bytes.ContainsRune([]byte(tc.original), '/') {
			continue
		}
		// Round trip with a real hash and date.
		e := NotarizedName(tc.original, testHash, "2024-03-05")
		nn, ok := parseNotarizedName(e)
		if !ok || nn.original() != tc.original {
			t.Errorf("parse of %q = %q, %v; want %q", e, nn.original(), ok, tc.original)
		}
	}
	// The last marker wins: an earlier one stays in the name.
	inner := NotarizedName("photo.jpg", testHash, "2023-01-01")
	outer := NotarizedName(inner, "1111111111111111111111111111111111111111111111111111111111111111", "2024-03-05")
	if nn, ok := parseNotarizedName(outer); !ok || nn.original() != inner || nn.txHash != "1111111111111111111111111111111111111111111111111111111111111111" {
		t.Errorf("parse of %q = %+v", outer, nn)
	}
}
