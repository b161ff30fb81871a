package tx_test

import (
	"testing"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/tx"
)

func benchTransactions(b *testing.B) map[string]*tx.Transaction {
	out := map[string]*tx.Transaction{}
	for _, v := range txVectors(b) {
		txn, err := tx.ParseTransactionJSON(v.Tx)
		if err != nil {
			b.Fatal(err)
		}
		switch v.ID {
		case "transfer-1", "transfer-10", "multisig-modification-2", "multisig-wrapper-3":
			out[v.ID] = txn
		}
	}
	return out
}

func BenchmarkSerialize(b *testing.B) {
	for id, txn := range benchTransactions(b) {
		b.Run(id, func(b *testing.B) {
			for b.Loop() {
				if _, err := txn.Serialize(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkHash(b *testing.B) {
	for id, txn := range benchTransactions(b) {
		b.Run(id, func(b *testing.B) {
			for b.Loop() {
				if _, err := txn.Hash(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSign(b *testing.B) {
	k, _ := nem.ParsePrivateKey("575dbb3062267eff57c970a336ebbc8fbcfe12c5bd3ed7bc11eb0481d7704ced")
	txn := &tx.Transaction{Type: tx.TypeTransfer, Network: nem.Mainnet, TimeStamp: 1, Deadline: 2, Recipient: nem.PublicKey{1}.Address(nem.Mainnet), Fee: 50_000}
	for b.Loop() {
		txn.Signer = nem.PublicKey{}
		if _, err := txn.Sign(k); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeTransaction(b *testing.B) {
	for id, txn := range benchTransactions(b) {
		data, _ := txn.Serialize()
		b.Run(id, func(b *testing.B) {
			for b.Loop() {
				if _, err := tx.DecodeTransaction(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
