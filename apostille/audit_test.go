package apostille

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/nis/nistest"
	"github.com/nemiot/nemiot/nem/tx"
)

// newChain starts a one-node nistest network of network net that keeps
// transaction hashes forever.
func newChain(t *testing.T, net nem.Network) *nistest.Network {
	t.Helper()
	return nistest.NewNetwork(t, 1, &nistest.Options{Network: net, HashRetention: -1})
}

// TestAuditSamples puts the transactions nem-sdk made for the sample archives
// on a nistest chain (at their own network time) and audits every parsed
// file against it.
func TestAuditSamples(t *testing.T) {
	m := loadManifest(t)
	chains := map[nem.Network]*nistest.Network{}
	multisigDone := map[string]bool{}
	ctx := context.Background()
	var audited int
	for _, s := range parsedSamples(t, m) {
		for i, want := range s.archive.Files {
			n := &s.parsed.Files[i]
			net := want.network(t)
			chain := chains[net]
			if chain == nil {
				chain = newChain(t, net)
				chains[net] = chain
			}
			tx := want.transaction(t)
			chain.SetTime(tx.TimeStamp.Time().Add(2 * time.Second))
			owner := want.owner(t)
			if _, err := chain.Fund(owner.Address(net), 10_000_000); err != nil {
				t.Fatal(err)
			}
			if ms := want.Multisig; ms != nil && !multisigDone[ms.PublicKey] {
				mk, err := nem.ParsePrivateKey(ms.PrivateKey)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := chain.Fund(mk.Address(net), 10_000_000); err != nil {
					t.Fatal(err)
				}
				if _, err := chain.ConvertToMultisig(mk, 1, owner.PublicKey()); err != nil {
					t.Fatal(err)
				}
				multisigDone[ms.PublicKey] = true
			}
			h, err := chain.AddTransaction(tx)
			if err != nil {
				t.Fatalf("%s: nistest refused nem-sdk's transaction: %v", want.OriginalName, err)
			}
			if h.String() != want.TxHash {
				t.Fatalf("%s: chain hash %s, nem-sdk %s", want.OriginalName, h, want.TxHash)
			}
			res, err := Audit(ctx, chain.Node(0).Client(), n)
			if err != nil {
				t.Fatalf("%s: Audit: %v", want.OriginalName, err)
			}
			audited++
			if res.TxHash != want.TxHash || res.Signer != owner.PublicKey() || res.Owner.String() != want.Owner.Address ||
				res.Recipient.String() != want.DedicatedAddress || res.Network != net || res.Height < 1 ||
				!bytes.Equal(res.Message.Bytes(), n.Message) || res.TimeStamp != tx.TimeStamp {
				t.Errorf("%s: AuditResult %+v", want.OriginalName, res)
			}
			if ms := want.Multisig; ms != nil {
				if res.Multisig.String() != ms.PublicKey || res.InnerHash != ms.InnerHash {
					t.Errorf("%s: multisig %s inner %s, want %s %s", want.OriginalName, res.Multisig, res.InnerHash, ms.PublicKey, ms.InnerHash)
				}
			} else if !res.Multisig.IsZero() || res.InnerHash != "" {
				t.Errorf("%s: multisig fields on a plain apostille", want.OriginalName)
			}
			// The same file, tampered, fails on the same chain.
			bad := *n
			bad.Content = append(bytes.Clone(n.Content), '!')
			_, err = Audit(ctx, chain.Node(0).Client(), &bad)
			var ae *AuditError
			wantErr := ErrDigestMismatch
			if n.Private {
				wantErr = ErrBadSignature
			}
			if !errors.As(err, &ae) || ae.TxHash != n.TxHash || !errors.Is(err, wantErr) {
				t.Errorf("%s: Audit of tampered content: %v", want.OriginalName, err)
			}
		}
	}
	if audited != len(m.files()) {
		t.Errorf("audited %d of %d files", audited, len(m.files()))
	}
}

// notarize makes an apostille with New, puts a transfer for it on the chain
// (changed by edit before signing, if edit is not nil) and returns the
// archive NanoWallet would have handed out for the draft, parsed.
func notarize(t *testing.T, chain *nistest.Network, owner *nem.PrivateKey, name string, content []byte, h HashType, private bool, edit func(*tx.Transaction)) *Notarization {
	t.Helper()
	net := chain.NetworkID()
	d, err := New(owner, name, content, h, private)
	if err != nil {
		t.Fatal(err)
	}
	txn, err := d.Transfer(net, nem.TimestampOf(chain.Time()))
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(txn)
		txn.Fee = tx.MinimumFee(txn)
	}
	st, err := txn.Sign(owner)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chain.AddTransaction(txn); err != nil {
		t.Fatal(err)
	}
	arc := nanoWalletArchive(t, net, d, content, st.Hash().String())
	parsed, err := Parse(bytes.NewReader(arc), int64(len(arc)))
	if err != nil {
		t.Fatalf("Parse of the archive for %q: %v", name, err)
	}
	if len(parsed.Files) != 1 {
		t.Fatalf("%d files", len(parsed.Files))
	}
	return &parsed.Files[0]
}

// nanoWalletArchive writes the archive NanoWallet makes for draft d,
// announced as transaction txHash: the file content, its certificate and the .nty
// record.
func nanoWalletArchive(t *testing.T, net nem.Network, d *Draft, content []byte, txHash string) []byte {
	t.Helper()
	const date = "2024-03-05"
	to, err := d.Recipient(net)
	if err != nil {
		t.Fatal(err)
	}
	key := "None (public sink)"
	if d.Dedicated != nil {
		key = d.Dedicated.Hex()
	}
	owner := d.Owner.Address(net).String()
	nty, err := json.Marshal(map[string]any{"data": []map[string]string{{
		"filename": d.Name, "tags": "test", "fileHash": hexString(d.Message), "owner": owner, "fromMultisig": owner,
		"dedicatedAccount": to.String(), "dedicatedPrivateKey": key, "txHash": txHash, "txMultisigHash": "",
		"timeStamp": "Tue, 05 Mar 2024 14:07:12 GMT",
	}}})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range []struct {
		name string
		data []byte
	}{
		{NotarizedName(d.Name, txHash, date), nil},
		{CertificateName(d.Name, txHash, date), []byte("\x89PNG\r\n\x1a\n")},
		{"Nty-file-" + date + ".nty", nty},
	} {
		f, err := w.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		if e.data == nil {
			e.data = content
		}
		if _, err := f.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestAuditChecks(t *testing.T) {
	chain := newChain(t, nem.Testnet)
	client := chain.Node(0).Client()
	ctx := context.Background()
	owner := chain.NewAccount()
	stranger := chain.NewAccount()
	content := []byte("serial=42\n")
	sink, _ := Sink(nem.Testnet)
	other := stranger.Address(nem.Testnet)

	var others int
	otherMessage := func(h HashType, private bool) func(*tx.Transaction) {
		return func(txn *tx.Transaction) {
			others++ // every transaction different
			m, err := NewMessage(owner, h, fmt.Appendf(nil, "other content %d", others), private)
			if err != nil {
				t.Fatal(err)
			}
			txn.Message = tx.PlainMessage(m.Bytes())
		}
	}
	tests := []struct {
		name    string
		file    string
		h       HashType
		private bool
		edit    func(*tx.Transaction)
		mutate  func(*Notarization)
		want    error // nil: the audit passes
	}{
		{name: "private good", file: "good.cfg", h: SHA256, private: true},
		{name: "public good", file: "good.txt", h: Keccak512},
		{name: "private to another account", file: "a.cfg", h: SHA256, private: true,
			edit: func(tx *tx.Transaction) { tx.Recipient = other }, want: ErrWrongRecipient},
		{name: "private to the sink", file: "b.cfg", h: MD5, private: true,
			edit: func(tx *tx.Transaction) { tx.Recipient = sink }, want: ErrWrongRecipient},
		{name: "public not to the sink", file: "c.txt", h: SHA1,
			edit: func(tx *tx.Transaction) { tx.Recipient = other }, want: ErrWrongRecipient},
		{name: "public, another message", file: "d.txt", h: SHA256, edit: otherMessage(SHA256, false), want: ErrMessageMismatch},
		{name: "private, another message", file: "e.cfg", h: Keccak256, private: true, edit: otherMessage(Keccak256, true), want: ErrMessageMismatch},
		{name: "public, another hash type", file: "f.txt", h: SHA256, edit: otherMessage(Keccak256, false), want: ErrMessageMismatch},
		{name: "not an apostille message", file: "g.txt", h: SHA256,
			edit: func(txn *tx.Transaction) { txn.Message = tx.PlainMessage([]byte("hello")) }, want: ErrMessageMismatch},
		{name: "no record, another message", file: "h.txt", h: SHA256, edit: otherMessage(SHA256, false),
			mutate: dropRecord, want: ErrDigestMismatch},
		{name: "no record, private, another message", file: "i.cfg", h: SHA256, private: true, edit: otherMessage(SHA256, true),
			mutate: dropRecord, want: ErrBadSignature},
		{name: "no record, good", file: "j.cfg", h: SHA1, private: true, mutate: dropRecord},
		{name: "signed by a stranger", file: "k.cfg", h: SHA256, private: true,
			mutate: func(n *Notarization) { n.Record.Owner = other }, want: ErrRecord},
		{name: "record claims another multisig", file: "l.cfg", h: SHA256, private: true,
			mutate: func(n *Notarization) { n.Record.FromMultisig = other }, want: ErrRecord},
		{name: "record claims an inner hash", file: "m.cfg", h: SHA256, private: true,
			mutate: func(n *Notarization) { n.Record.TxMultisigHash = testHash }, want: ErrRecord},
		{name: "key of another account", file: "o.cfg", h: SHA256, private: true,
			mutate: func(n *Notarization) { n.Dedicated = stranger }, want: ErrWrongRecipient},
		{name: "archive of another network", file: "n.cfg", h: SHA256, private: true,
			mutate: func(n *Notarization) { n.Network = nem.Mainnet }, want: ErrWrongNetwork},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := notarize(t, chain, owner, tc.file, append([]byte(tc.file+"\n"), content...), tc.h, tc.private, tc.edit)
			if tc.mutate != nil {
				tc.mutate(n)
			}
			res, err := Audit(ctx, client, n)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Audit: %v", err)
				}
				if res.Signer != owner.PublicKey() || res.TxHash != n.TxHash {
					t.Errorf("AuditResult %+v", res)
				}
				return
			}
			var ae *AuditError
			if res != nil || !errors.As(err, &ae) || !errors.Is(err, tc.want) || ae.TxHash != n.TxHash {
				t.Fatalf("Audit = %+v, %v; want %v", res, err, tc.want)
			}
		})
	}

	// A transaction that is not a transfer.
	t.Run("not a transfer", func(t *testing.T) {
		n := notarize(t, chain, owner, "x.cfg", content, SHA256, true, nil)
		mk := chain.NewAccount()
		h, err := chain.ConvertToMultisig(mk, 1, owner.PublicKey())
		if err != nil {
			t.Fatal(err)
		}
		n.TxHash = h.String()
		if _, err := Audit(ctx, client, n); !errors.Is(err, ErrNotTransfer) {
			t.Fatalf("Audit: %v", err)
		}
	})
	// Errors of the node are not audit failures.
	t.Run("node errors", func(t *testing.T) {
		n := notarize(t, chain, owner, "y.cfg", content, SHA256, true, nil)
		unknown := *n
		unknown.TxHash = testHash
		var ae *AuditError
		if _, err := Audit(ctx, client, &unknown); !errors.Is(err, nis.ErrNotFound) || errors.As(err, &ae) {
			t.Errorf("unknown hash: %v", err)
		}
		chain.Node(0).SetFeatures(nis.FeatureHistoricalAccountData)
		defer chain.Node(0).SetFeatures(nis.FeatureTransactionHashLookup)
		if _, err := Audit(ctx, client, n); !errors.Is(err, nis.ErrUnsupported) || errors.As(err, &ae) {
			t.Errorf("node without hash look-up: %v", err)
		}
		bad := *n
		bad.TxHash = "not a hash"
		if _, err := Audit(ctx, client, &bad); err == nil {
			t.Errorf("Audit of a malformed hash succeeded")
		}
		if _, err := Audit(ctx, client, nil); err == nil {
			t.Errorf("Audit of nil succeeded")
		}
	})
}

func dropRecord(n *Notarization) {
	n.Record, n.Message, n.Dedicated, n.DedicatedAddress, n.Network = nil, nil, nil, nem.Address{}, 0
}

// TestAuditLyingNode serves the chain's answers through a proxy that changes
// them: a tampered signature, a tampered recipient (so the hash no longer
// fits) and the answer for another transaction. nistest only confirms valid
// transactions, so the lies are made here.
func TestAuditLyingNode(t *testing.T) {
	chain := newChain(t, nem.Testnet)
	owner := chain.NewAccount()
	n := notarize(t, chain, owner, "device.cfg", []byte("serial=1\n"), SHA256, true, nil)
	other := notarize(t, chain, owner, "other.cfg", []byte("serial=2\n"), SHA256, true, nil)
	ctx := context.Background()

	tests := []struct {
		name string
		lie  func(pair map[string]any)
		want error
	}{
		{"honest", func(map[string]any) {}, nil},
		{"tampered signature", func(p map[string]any) {
			tx := p["transaction"].(map[string]any)
			sig := []byte(tx["signature"].(string))
			sig[10] = map[bool]byte{true: '1', false: '0'}[sig[10] == '0']
			tx["signature"] = string(sig)
		}, ErrTxSignature},
		{"tampered recipient", func(p map[string]any) {
			p["transaction"].(map[string]any)["recipient"] = other.DedicatedAddress.String()
		}, ErrTxHash},
		{"tampered message", func(p map[string]any) {
			p["transaction"].(map[string]any)["message"] = map[string]any{"type": 1, "payload": hexString(other.Message)}
		}, ErrTxHash},
		{"another transaction", func(p map[string]any) {
			p["transaction"] = fetchPair(t, chain.Node(0).URL(), other.TxHash)["transaction"]
		}, ErrTxHash},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lying := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				pair := fetchPair(t, chain.Node(0).URL(), r.URL.Query().Get("hash"))
				tc.lie(pair)
				w.Header().Set("Content-Type", "application/json")
				json.NewEncoder(w).Encode(pair)
			}))
			defer lying.Close()
			res, err := Audit(ctx, nis.NewClient(lying.URL, lying.Client()), n)
			if tc.want == nil {
				if err != nil || res.Signer != owner.PublicKey() {
					t.Fatalf("Audit = %+v, %v", res, err)
				}
				return
			}
			var ae *AuditError
			if !errors.As(err, &ae) || !errors.Is(err, tc.want) {
				t.Fatalf("Audit = %+v, %v; want %v", res, err, tc.want)
			}
		})
	}
}

// fetchPair returns a node's /transaction/get answer for hash, decoded.
func fetchPair(t *testing.T, node, hash string) map[string]any {
	t.Helper()
	resp, err := http.Get(node + "/transaction/get?hash=" + hash)
	if err != nil {
		t.Error(err)
		return nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("transaction/get: %d %s %v", resp.StatusCode, body, err)
		return nil
	}
	var pair map[string]any
	if err := json.Unmarshal(body, &pair); err != nil {
		t.Error(err)
	}
	return pair
}
