// Package hd derives NEM (NIS1) account keys from a BIP39 mnemonic, the way
// symbol-sdk 3's NEM facade and wallets built on it do, and restores the
// secondary accounts of NanoWallet wallets.
//
// # Where to start
//
// Turn a phrase into a seed with [Seed], make the root with [NewMaster], and
// derive accounts with [Key.DerivePath] and [Path]; [Key.PrivateKey] gives the
// [nem.PrivateKey] to sign with:
//
//	seed, err := hd.Seed(mnemonic, passphrase)
//	// handle err (a mistyped word is a *hd.WordError, a bad checksum hd.ErrChecksum)
//	account, err := hd.NewMaster(seed).DerivePath(hd.Path(nem.Mainnet, 0))
//	key := account.PrivateKey()
//
// [NewMnemonic] makes a new phrase. The caller keeps phrases, seeds and keys
// secret: no fmt verb prints a [Key]'s material (it prints redacted, or as
// an address where fmt calls no method), and no error of this package quotes
// a word, a passphrase or key material.
//
// # Mnemonics (BIP39)
//
// Standard BIP39 with the English list (embedded; 12, 15, 18, 21 or 24
// words): words and checksum are validated, and the seed is
// PBKDF2-HMAC-SHA512 over the NFKD-normalized phrase with salt "mnemonic" +
// passphrase, 2048 iterations. Any BIP39 wallet gives the same seed.
//
// # Derivation
//
// NEM uses SLIP-10-style Ed25519 derivation with its own master key:
// HMAC-SHA512 keyed with "ed25519-keccak seed" (not SLIP-10's "ed25519
// seed"), and hardened children only, so there is no public derivation and a
// path element without ' is an error ([ErrNotHardened]). Accounts live at
// m/44'/43'/account'/0'/0' on mainnet and m/44'/1'/account'/0'/0' on testnet.
// The NEM private key is the derived key's bytes reversed. These rules match
// symbol-sdk and the official NEM vectors (nemtech test-vectors
// nis1/6.test-hd-derivation.json).
//
// # NanoWallet accounts
//
// NanoWallet's "BIP32" accounts are something else: a legacy secp256k1-based
// derivation from the primary private key and the wallet password. See
// [NanoWalletChild].
package hd
