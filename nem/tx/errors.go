package tx

import (
	"errors"
	"fmt"
)

// Errors returned by this package. Test for them with [errors.Is]; returned
// errors wrap them with detail (what was wrong, and where).
var (
	// ErrInvalidTransaction reports a transaction that cannot be serialized,
	// signed or decoded: a missing or contradictory field, bytes that are not
	// a canonical NIS serialization, or JSON of the wrong shape.
	ErrInvalidTransaction = errors.New("tx: invalid transaction")

	// ErrUnsupportedType reports a transaction type this package can decode
	// only in part (its common fields), so it cannot serialize, hash or verify it.
	ErrUnsupportedType = errors.New("tx: unsupported transaction type")

	// ErrBadSignature reports a transaction signature that does not verify.
	ErrBadSignature = errors.New("tx: transaction signature does not verify")

	// ErrHashMismatch reports a transaction whose recomputed hash differs from
	// the hash the node reported or the caller asked for, or a cosignature that
	// signs another transaction.
	ErrHashMismatch = errors.New("tx: transaction hash mismatch")

	// ErrInvalidHash reports text that is not a transaction hash (64 hex
	// characters); see [ParseHash].
	ErrInvalidHash = errors.New("tx: invalid hash")
)

// invalidTx wraps ErrInvalidTransaction with a detail.
func invalidTx(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidTransaction, fmt.Sprintf(format, args...))
}
