// Package nemiot is a Go SDK that secures IoT devices with the NEM (NIS1)
// blockchain. This root package holds no code; it documents the module.
//
// A device gets its own NEM account. Ownership lives on chain: the device
// account is converted to a multisig account whose cosignatories are its
// owners. Owners then control the device off chain and fee free: they send it
// commands that are dated, randomly padded, signed with the owner's key and
// encrypted to the device's public key. The device learns who owns it by
// asking a quorum of randomly chosen supernodes, checks signature, freshness
// and replay, acts through its hardware, and answers with a signed, dated
// reply.
//
// # Packages
//
//   - nem: NIS1 keys, addresses, signatures, encrypted messages, network time.
//   - nem/hd: BIP39 mnemonics and derived NEM keys (one master secret, many devices).
//   - nem/nis: a client for NIS1 nodes; nem/nis/nistest: a local NEM network for tests.
//   - multisig: who owns a device, answered by a quorum of supernodes.
//   - apostille: read NanoWallet Apostille archives; the notarized file's
//     dedicated account can become the device account.
//   - command: sealed command envelopes, replay-proof opening, signed replies.
//   - device: named hardware actions (GPIO, PWM, I2C) over periph.io.
//   - hub: an embeddable HTTP front for a device.
//   - examples/...: runnable programs, starting with examples/demo.
//
// Imports run one way: nem ← nem/nis ← apostille, multisig ← command ←
// device, hub ← examples.
//
// # Threat model, in short
//
// Anyone can reach the device and send it bytes; any single NIS node may lie,
// lag or fail. A command is accepted only when it is addressed to this device,
// signed by a key that a quorum of nodes agrees is a cosignatory of the device
// account, dated within a short window of the device's clock, and not seen
// before. Refusals are opaque to the network. Private keys never leave their
// owners' hands, never appear in logs or error messages, and the device's key
// is shown only locally at setup.
package nemiot
