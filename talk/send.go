package talk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/tx"
)

// DefaultTTL is how long a message transaction stays valid when
// Messenger.TTL is zero: a node drops it if it is not in a block by then.
const DefaultTTL = time.Hour

// Messenger sends messages (and small payments) from the messenger
// account of a device: NEM transfers whose message is encrypted to the
// recipient in the format NanoWallet and nem-sdk read (nem.EncryptCBC).
// A Messenger is safe for concurrent use once its fields are set.
type Messenger struct {
	Key     *nem.PrivateKey // the messenger account's key (see DeriveMessenger)
	Network nem.Network
	Nodes   []*nis.Client    // announced to all of them
	Rand    io.Reader        // nil: crypto/rand
	Clock   func() time.Time // network time; nil: time.Now
	TTL     time.Duration    // deadline after the timestamp; 0: DefaultTTL
}

// Address returns the messenger account's address.
func (m *Messenger) Address() nem.Address { return m.Key.Address(m.Network) }

// PublicKey returns the messenger account's public key.
func (m *Messenger) PublicKey() nem.PublicKey { return m.Key.PublicKey() }

func (m *Messenger) now() nem.Timestamp {
	if m.Clock != nil {
		return nem.TimestampOf(m.Clock())
	}
	return nem.TimestampOf(time.Now())
}

// Transfer builds and signs a transfer of amount micro-XEM to the account
// of key to, with b encrypted to to as its message (b may be nil: no
// message), dated now with the minimum fee. Send announces it.
func (m *Messenger) Transfer(to nem.PublicKey, amount uint64, b *Body) (*tx.Transaction, error) {
	if m.Key == nil {
		return nil, fmt.Errorf("talk: messenger without key")
	}
	var msg tx.Message
	if b != nil {
		plain, err := b.Marshal()
		if err != nil {
			return nil, err
		}
		if msg, err = tx.EncryptMessage(m.Rand, m.Key, to, plain); err != nil {
			return nil, fmt.Errorf("talk: encrypting: %w", err)
		}
		if len(msg.Payload) > MaxPayload {
			return nil, &SizeError{Size: len(msg.Payload), Max: MaxPayload}
		}
	}
	ttl := m.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	now := m.now()
	t := &tx.Transaction{
		Type: tx.TypeTransfer, Network: m.Network,
		TimeStamp: now, Deadline: now + nem.Timestamp(ttl/time.Second),
		Recipient: to.Address(m.Network), Amount: amount, Message: msg,
	}
	t.Fee = tx.MinimumFee(t)
	if _, err := t.Sign(m.Key); err != nil {
		return nil, err
	}
	return t, nil
}

// Send builds a transfer as Transfer does and announces it to every node;
// it returns the transaction hash once at least one node accepted it.
func (m *Messenger) Send(ctx context.Context, to nem.PublicKey, amount uint64, b *Body) (tx.Hash, error) {
	t, err := m.Transfer(to, amount, b)
	if err != nil {
		return tx.Hash{}, err
	}
	st, err := t.Signed()
	if err != nil {
		return tx.Hash{}, err
	}
	return Announce(ctx, m.Nodes, st)
}

// Announce sends a signed transaction to every node at once and returns its
// hash when at least one accepted it (a node that already has it, NIS
// FAILURE_HASH_EXISTS, counts as accepting). Otherwise the error wraps
// ErrNotAnnounced and the nodes' errors: errors.As finds the
// *nis.AnnounceError with NIS's validation code.
func Announce(ctx context.Context, nodes []*nis.Client, st *tx.SignedTransaction) (tx.Hash, error) {
	if len(nodes) == 0 {
		return tx.Hash{}, ErrNoNodes
	}
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, c := range nodes {
		wg.Go(func() {
			_, err := c.Announce(ctx, st)
			var ae *nis.AnnounceError
			if errors.As(err, &ae) && ae.Code == codeHashExists {
				err = nil
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err == nil {
			return st.Hash(), nil
		}
	}
	// Put NIS's own verdicts first, so errors.As finds one.
	var verdicts, others []error
	for i, err := range errs {
		err = fmt.Errorf("node %d: %w", i, err)
		if errors.Is(err, nis.ErrRejected) {
			verdicts = append(verdicts, err)
		} else {
			others = append(others, err)
		}
	}
	return tx.Hash{}, fmt.Errorf("%w: %w", ErrNotAnnounced, errors.Join(append(verdicts, others...)...))
}

const codeHashExists = 7 // NIS FAILURE_HASH_EXISTS
