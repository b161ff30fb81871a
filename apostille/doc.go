// Package apostille reads, checks and creates NEM Apostilles: files
// notarized on the NEM (NIS1) chain the way NanoWallet does it. Its main use
// in nemiot is provisioning: a device's files are notarized as private
// apostilles, and the archive NanoWallet hands out carries the private key of
// each file's dedicated account, which becomes the device's on-chain
// identity.
//
// # Where to start
//
// Read the archive NanoWallet downloads ("NEMsigned -- Do not Edit --
// <date>.zip") with [Open] or [Parse]. Each notarized file in it becomes a
// [Notarization]: its exact original name, transaction hash, date and bytes,
// and from the archive's .nty record its hash type, apostille message and,
// for a private apostille, the dedicated account's key
// ([Notarization.Dedicated], whose address is [Notarization.DedicatedAddress]).
// Then check it offline with [Notarization.VerifyContent] and
// [Notarization.VerifyOwner], and against the chain with [Audit].
//
// To notarize a file without NanoWallet, call [New] and announce the
// transfer from [Draft.Transfer], signed by the owner.
//
// # The archive is untrusted, and secret
//
// A zip comes from outside: [Parser] caps the number of entries, every
// entry's declared and real size and their total, refuses absolute and ".."
// names, zip bombs (entries that inflate past their declared size, and
// entries whose data overlap so that the same bytes would be inflated
// twice) and truncated archives, and never sizes a buffer from a declared
// size alone; each refusal has its own error ([ErrZipBomb], [ErrTruncated],
// [ErrTooManyEntries], …). With the default limits, which [Open] and [Parse]
// use, parsing any archive allocates less than 16 MiB in all; they admit one
// notarized file with its certificate image, not a big batch: read those
// with a [Parser] whose limits are raised.
//
// The .nty file in the archive is the browser's whole apostille history,
// with the dedicated private keys of everyone who used that browser. It is
// read as a stream, one record at a time, with a cap on the number of
// records and on the size of each: only the records of the archive's own
// transactions are decoded and kept, strangers' are skipped. A kept
// record's key must derive to its dedicatedAccount address or parsing fails
// ([ErrKeyMismatch]). Keep the key of your file and discard the archive.
//
// # Messages and hash types
//
// An apostille is a transfer whose plain message is FE 4E 54 59 ("\xfeNTY"),
// a version byte and data ([Message]). The version byte is the [HashType]
// (MD5 0x01, SHA-1 0x02, SHA-256 0x03, Keccak-256 0x08, Keccak-512 0x09),
// with 0x80 added for a private apostille. NanoWallet's "SHA3" options are the
// legacy Keccak functions, not NIST SHA-3. A public apostille's data is the
// file's digest and it is sent to the network's sink ([Sink]); a private
// one's data is the owner's signature of the digest, and it is sent to a
// dedicated account whose key the owner derives from the file name
// ([DedicatedKey]).
package apostille
