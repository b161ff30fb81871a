package apostille

import "errors"

// Errors of archive parsing. [Parse] and [Open] wrap exactly one of these
// (test with [errors.Is]) and add detail that may quote entry names but never
// a private key. Several limits are configurable in [Parser].
var (
	// ErrFormat reports bytes that are not a zip archive, or a malformed one.
	ErrFormat = errors.New("apostille: not a valid zip archive")
	// ErrTruncated reports an archive, or an entry's data, that ends early.
	ErrTruncated = errors.New("apostille: archive is truncated")
	// ErrTooManyEntries reports an archive with more entries than
	// [Parser.MaxEntries] (or a central directory too large for that many).
	ErrTooManyEntries = errors.New("apostille: too many entries in archive")
	// ErrEntryTooLarge reports an entry whose declared size is over
	// [Parser.MaxEntrySize].
	ErrEntryTooLarge = errors.New("apostille: archive entry too large")
	// ErrTotalTooLarge reports entries whose declared sizes add up to more
	// than [Parser.MaxTotalSize].
	ErrTotalTooLarge = errors.New("apostille: archive contents too large")
	// ErrZipBomb reports an entry that inflates to more bytes than it
	// declares, or entries to be read whose data overlap one another or the
	// central directory (so that the same compressed bytes would be
	// inflated more than once).
	ErrZipBomb = errors.New("apostille: entry inflates beyond its declared size")
	// ErrChecksum reports an entry whose CRC-32 does not match its data.
	ErrChecksum = errors.New("apostille: entry checksum mismatch")
	// ErrUnsupported reports an encrypted entry, or one compressed with a
	// method other than STORE or DEFLATE.
	ErrUnsupported = errors.New("apostille: unsupported archive entry")
	// ErrUnsafePath reports an entry name that is absolute, has a ".."
	// element, a backslash, a NUL byte or a drive letter, or is empty.
	ErrUnsafePath = errors.New("apostille: unsafe entry name")
	// ErrDuplicate reports two entries with the same name, two notarized
	// files with the same transaction hash, or more than one .nty file.
	ErrDuplicate = errors.New("apostille: duplicate entry")
	// ErrNoNotarizedFile reports an archive with no entry named like a
	// notarized file ("<name> -- Apostille TX <hash> -- Date <date>.<ext>").
	ErrNoNotarizedFile = errors.New("apostille: no notarized file in archive")
	// ErrNty reports a .nty file that is not JSON of the form {"data": [...]}
	// (with one "data" member and nothing after the object), or that has
	// more records than [Parser.MaxRecords] or a record over
	// [Parser.MaxRecordSize] bytes.
	ErrNty = errors.New("apostille: malformed .nty file")
	// ErrRecord reports a .nty record, chosen by transaction hash, that is
	// malformed or inconsistent with the archive: missing fields, a fileHash
	// that is not an apostille message, a filename that does not fit the
	// notarized entry's name, a public apostille not sent to the sink, or
	// conflicting records for one transaction.
	ErrRecord = errors.New("apostille: invalid .nty record")
	// ErrKeyMismatch reports a private apostille's .nty record whose
	// dedicated private key does not derive to its dedicatedAccount address,
	// or that was derived from the all-zero owner key (which anyone can do).
	ErrKeyMismatch = errors.New("apostille: dedicated key does not match the dedicated account")
)

// Errors of apostille messages and their verification.
var (
	// ErrMessage reports bytes that are not an apostille message: a wrong
	// header, or data of the wrong length for its version byte.
	ErrMessage = errors.New("apostille: malformed apostille message")
	// ErrUnknownHash reports an unknown hash type or message version byte.
	// Errors of [ParseMessage] that carry it also match [ErrMessage].
	ErrUnknownHash = errors.New("apostille: unknown hash type")
	// ErrNoRecord reports a notarized file that has no .nty record, so its
	// message, hash type and dedicated key are unknown.
	ErrNoRecord = errors.New("apostille: no .nty record for this file")
	// ErrDigestMismatch reports content whose digest differs from the one in a
	// public apostille's message.
	ErrDigestMismatch = errors.New("apostille: content digest does not match the apostille")
	// ErrBadSignature reports a private apostille whose signature is
	// malformed or does not verify for the content and owner.
	ErrBadSignature = errors.New("apostille: apostille signature does not verify")
	// ErrPublic reports an operation that needs a private apostille (an owner
	// signature, a dedicated key) on a public one.
	ErrPublic = errors.New("apostille: apostille is public")
)

// Errors of [Audit]. They are returned wrapped in an [*AuditError].
var (
	// ErrTxHash reports a transaction from the node that does not hash to the
	// transaction hash asked for: the node lied or the archive is wrong.
	ErrTxHash = errors.New("apostille: chain transaction has another hash")
	// ErrTxSignature reports a chain transaction whose signature does not
	// verify.
	ErrTxSignature = errors.New("apostille: chain transaction signature does not verify")
	// ErrNotTransfer reports a chain transaction that is not a transfer (or a
	// multisig transaction wrapping one).
	ErrNotTransfer = errors.New("apostille: chain transaction is not a transfer")
	// ErrWrongRecipient reports a chain transfer that was not sent to the
	// network's sink (public) or the dedicated account (private).
	ErrWrongRecipient = errors.New("apostille: chain transfer has the wrong recipient")
	// ErrMessageMismatch reports a chain transfer whose message is not this
	// apostille's (or not a plain message).
	ErrMessageMismatch = errors.New("apostille: chain message differs from the apostille")
	// ErrWrongNetwork reports a chain transaction of another network than the
	// apostille's.
	ErrWrongNetwork = errors.New("apostille: chain transaction is on another network")
)

// AuditError is the error of a failed [Audit]: which check failed (Err, one
// of the audit sentinels above or [ErrDigestMismatch], [ErrBadSignature]) and
// on which transaction.
type AuditError struct {
	TxHash string // the transaction audited
	Err    error  // the check that failed
}

// Error describes the failure; it never contains a private key.
func (e *AuditError) Error() string { return "apostille: audit of " + e.TxHash + ": " + e.Err.Error() }

// Unwrap returns the failed check's error.
func (e *AuditError) Unwrap() error { return e.Err }
