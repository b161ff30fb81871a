// Package nis talks to NEM NIS1 nodes over their HTTP API: accounts and
// their multisig configuration, node state, transactions by hash and by
// account, and announcing signed transactions. The transactions themselves
// (building, signing, hashing, verifying, their binary and JSON forms) are
// package [github.com/nemiot/nemiot/nem/tx], which does no I/O.
//
// # Where to start
//
// Make a [Client] for one node and call its methods; every call takes a
// context first:
//
//	c := nis.NewClient("http://hugealice.nem.ninja:7890", nil)
//	acct, err := c.Account(ctx, deviceAddress)
//	if err != nil { … }
//	if acct.IsMultisig() {
//		owners := acct.CosignatoryKeys()          // compare as a set
//		need := acct.MultisigInfo.Threshold()     // 0 in NIS means all of them
//	}
//
// One node can lie, lag or fail. To decide who owns a device ask several
// nodes and require agreement: package multisig does that with this client.
// For tests, package [github.com/nemiot/nemiot/nem/nis/nistest] starts a
// local network of nodes that can be made to misbehave.
//
// # Client
//
// The node's state: [Client.Heartbeat], [Client.Status], [Client.ChainHeight],
// [Client.NetworkTime], [Client.NodeInfo] and [Client.NodeExtendedInfo].
// Accounts: [Client.Account] and [Client.AccountByPublicKey], with the
// multisig configuration, cosignatories and the accounts it cosigns.
// Transactions: [Client.Transaction] by hash, the paged lists
// [Client.IncomingTransfers], [Client.OutgoingTransfers] and
// [Client.AllTransfers], [Client.UnconfirmedTransactions], and
// [Client.Announce].
//
// A Client is safe for concurrent use and keeps no per-call state. Its HTTP
// field takes any *http.Client; nil means one with dial, TLS and overall
// timeouts ([NewHTTPClient]). Every response body is read through a size cap
// ([DefaultMaxBody], 1 MiB, or Client.MaxBody): a larger body fails with
// [ErrTooLarge] and is never decoded, and a declared Content-Length above the
// cap is refused before reading. Decoding is strict: addresses, keys, hashes
// and signatures must decode, public keys must match their addresses, a
// multisig account's cosignatory list must match its count, and so on; a
// violation is [ErrBadResponse], never a zero value.
//
// A node that answers with an error status gives an [*Error] carrying the
// NIS status, error kind, message and network time. errors.Is maps it to
// [ErrNotFound] (hash not in the node's cache), [ErrUnavailable] (503: loading
// its chain, not booted; 429, 502, 504), [ErrUnsupported] (no hash look-up on
// this node, or a method the endpoint does not take), [ErrUnauthorized] (401
// or 403: a trusted API called from afar) or [ErrBadRequest] (e.g. an
// address of another network). Other statuses are an [*Error] only.
// Transport failures and context expiry are returned wrapped, so
// errors.Is(err, context.DeadlineExceeded) works.
//
// # Transactions
//
// Build and sign a transaction with package tx, then announce it:
//
//	t := &tx.Transaction{
//		Type: tx.TypeTransfer, Network: nem.Testnet,
//		TimeStamp: now, Deadline: now + 3600,
//		Recipient: to, Amount: 1_000_000, Message: tx.PlainMessage([]byte("hi")),
//	}
//	t.Fee = tx.MinimumFee(t)
//	signed, err := t.Sign(key)
//	res, err := c.Announce(ctx, signed)
//
// Transactions read from a node come back as [tx.ConfirmedTransaction]
// values (or [UnconfirmedTransaction] from the unconfirmed pool). They are
// self-authenticating: [tx.ConfirmedTransaction.Verify] recomputes the hash
// and checks the signatures, so a lying node cannot change a transaction's
// content, only deny it or misreport its height. [Client.Transaction] also
// checks that the answer carries the hash asked for.
package nis
