// Package talk lets devices talk through the NEM chain: to their owners
// and to each other, with encrypted transfer messages that NanoWallet and
// nem-sdk read, and with payments from the device's multisig account that
// its owners approve.
//
// # Where to start
//
// A device's own account is a multisig account owned by its owners, and a
// multisig account cannot sign transactions. So the device talks through
// a second, ordinary account of its own, its messenger, derived from the
// device key by [DeriveMessenger] and funded with a little XEM for fees.
// A [Messenger] sends from it; an [Inbox] reads what arrives at the
// messenger and at the device's account; a [Proposal] asks the owners to
// pay from the device's account.
//
//	msgr, _ := talk.DeriveMessenger(deviceKey)
//	m := &talk.Messenger{Key: msgr, Network: nem.Testnet, Nodes: clients}
//	hash, err := m.Send(ctx, ownerKey, 0, &talk.Body{Type: talk.TypeText, Text: "filter clogged"})
//
//	in := &talk.Inbox{Accounts: []*nem.PrivateKey{msgr, deviceKey}, Network: nem.Testnet,
//		Nodes: clients, Confirmations: 2, Since: stored}
//	msgs, err := in.Poll(ctx) // then store in.Since
//
// # Messages
//
// A message is a NEM transfer whose message (type 2) is encrypted to the
// recipient's public key in the legacy CBC format (nem.EncryptCBC: salt,
// IV, AES-256-CBC), the only one NanoWallet and nem-sdk decrypt. Its
// plaintext is a small ASCII JSON [Body] with a type and the hash of the
// transaction it answers. NIS refuses payloads over 1024 bytes
// ([MaxPayload]), which leaves [MaxPlaintext] = 975 bytes of JSON; a larger
// body fails before anything is sent, with a [*SizeError].
//
// # Reading: what a lying node can and cannot do
//
// Every transaction a node lists is verified locally (hash, signature,
// cosignatures), so a node cannot forge a message or a payment. It can hide
// one, list one twice, lie about heights, or list a validly signed
// transaction that was never mined; the [Inbox] therefore delivers only
// what a quorum of nodes lists with enough confirmations, once. The quorum
// is the caller's trust assumption: by default a majority of the nodes.
//
// # Proposals
//
// [NewProposal] builds a payment from the device's multisig account (the
// inner transfer of a multisig transaction) and the device signs its hash
// with its own key; the proposal travels to each owner as a message.
// An owner checks it ([ParseProposal]), approves by signing the multisig
// wrapper ([Proposal.Approve]) and announcing it; further cosignatories add
// cosignatures ([Cosign]) until the account's minimum is met. The device
// waits for the confirmed payment with [Watcher.Confirmed]. A proposal
// expires at its NIS deadline ([ErrExpired]); an owner's "reject" message
// ends it too ([ErrRejected]).
//
// # Automation
//
// A [Budget] lets the messenger account pay by itself up to a limit;
// anything over it becomes a proposal to the owners.
//
// # Errors
//
// Refusals are [*RefusedError] values with a [Reason] (matching
// [ErrRefused]); an inbox logs them and passes them to its OnRefuse hook,
// and [Inbox.Refuse] sends a reader's own refusals (a payment of the wrong
// amount, a bid below a reserve) the same way.
// Announce failures wrap [ErrNotAnnounced] and the nodes' *nis.AnnounceError
// with NIS's validation code. Other sentinels are listed in errors.go.
package talk
