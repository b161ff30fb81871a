package nis

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/nemiot/nemiot/nem"
)

// Errors returned by this package. Test for them with [errors.Is]; returned
// errors wrap them with detail (the request path, what was wrong). Errors of
// the transaction model ([tx.ErrInvalidTransaction], [tx.ErrBadSignature],
// [tx.ErrHashMismatch], [tx.ErrUnsupportedType]) are those of package tx.
var (
	// ErrTooLarge reports a response body larger than [Client.MaxBody]. Nothing
	// of it was decoded, and the client stopped reading at the cap.
	ErrTooLarge = errors.New("nis: response body too large")

	// ErrBadResponse reports a response that is not what a NIS node sends:
	// not JSON, a required field missing, an address, key or hash that does not
	// decode, or values that contradict each other (a multisig account whose
	// cosignatory count does not match its list). Treat the node as faulty.
	ErrBadResponse = errors.New("nis: malformed or invalid response")

	// ErrNotFound reports that the node does not know what was asked for: a
	// transaction hash not (or no longer) in its hash cache, or a NIS 404.
	// A valid but never-seen account is not an error in NIS: it is returned
	// with zero balance and no public key.
	ErrNotFound = errors.New("nis: not found")

	// ErrUnavailable reports a node that cannot answer now: HTTP 503 (still
	// loading its chain, not booted), 502, 504 or 429 (request rate limit).
	// Retry later or ask another node.
	ErrUnavailable = errors.New("nis: node unavailable")

	// ErrBadRequest reports a request the node refused as invalid (HTTP 400
	// other than a hash not found), for example an address of another network
	// ("address must be valid").
	ErrBadRequest = errors.New("nis: request refused as invalid")

	// ErrUnsupported reports a feature the node does not offer, such as
	// transaction look-up by hash on a node without the TRANSACTION_HASH_LOOKUP
	// feature.
	ErrUnsupported = errors.New("nis: not supported by this node")

	// ErrUnauthorized reports a call the node refuses to this client: HTTP
	// 401 (a "trusted API" such as /transaction/prepare-announce, which NIS
	// answers only on its own host) or 403.
	ErrUnauthorized = errors.New("nis: not authorized by this node")

	// ErrRejected reports an announced transaction that the node did not
	// accept; the error is an [*AnnounceError] with the NIS validation code.
	ErrRejected = errors.New("nis: transaction rejected")

	// ErrInvalidArgument reports a call refused before any I/O, such as a zero
	// address or hash.
	ErrInvalidArgument = errors.New("nis: invalid argument")
)

// Error is a NIS node's answer with a non-2xx HTTP status. NIS sends a JSON
// body {"timeStamp", "error", "message", "status"}; for other bodies (an HTML
// page from a proxy, an empty body) Kind is the standard reason phrase and
// Message is empty.
//
// Error matches the package sentinels with [errors.Is]: [ErrNotFound] for
// "Hash was not found in cache" and NIS 404s, [ErrUnavailable] for 503, 502,
// 504 and 429, [ErrUnsupported] for the hash-lookup-unsupported message, and
// [ErrBadRequest] for any other 400, [ErrUnsupported] also for NIS's
// "Request method '…' not supported", and [ErrUnauthorized] for 401 and 403.
type Error struct {
	Status  int           // HTTP status code
	Kind    string        // NIS "error": the HTTP reason phrase, e.g. "Bad Request"
	Message string        // NIS "message", e.g. "address must be valid"; may be empty
	Time    nem.Timestamp // NIS "timeStamp": the node's network time (0 if absent)
	Path    string        // the request path, e.g. "/account/get"
	nisBody bool          // the body was NIS error JSON
}

// Error returns a one-line description with path, status and NIS message.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("nis: ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%d", e.Status)
	if e.Kind != "" {
		b.WriteString(" ")
		b.WriteString(e.Kind)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Messages NIS uses for the conditions the sentinels name.
const (
	msgHashNotFound       = "Hash was not found in cache"
	msgNoIDNorHash        = "Neither transaction id was supplied nor hash was found in cache"
	msgHashLookupDisabled = "this node does not support transaction lookup using a hash"
	msgLoadingChain       = "NIS_ILLEGAL_STATE_LOADING_CHAIN"
	msgNotBooted          = "NIS_ILLEGAL_STATE_NOT_BOOTED"
)

// Is reports whether e is an instance of one of the package sentinels, as
// described on [Error].
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.notFound()
	case ErrUnavailable:
		switch e.Status {
		case http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout, http.StatusTooManyRequests:
			return true
		}
		return strings.HasPrefix(e.Message, "NIS_ILLEGAL_STATE_")
	case ErrUnsupported:
		return e.Message == msgHashLookupDisabled ||
			strings.HasPrefix(e.Message, "Request method '") && strings.HasSuffix(e.Message, "' not supported")
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
	case ErrBadRequest:
		return e.Status == http.StatusBadRequest && !e.notFound()
	}
	return false
}

func (e *Error) notFound() bool {
	if e.Status == http.StatusNotFound && e.nisBody {
		return true
	}
	return e.Status == http.StatusBadRequest && (e.Message == msgHashNotFound || e.Message == msgNoIDNorHash)
}

// AnnounceError reports a transaction that a node answered with a NIS
// validation result other than SUCCESS (HTTP 200 with a failure code, as NIS
// does). It matches [ErrRejected] with [errors.Is].
type AnnounceError struct {
	Code    int    // NIS ValidationResult code, e.g. 7
	Message string // its name, e.g. "FAILURE_HASH_EXISTS"
}

// Error returns the NIS result name and code.
func (e *AnnounceError) Error() string {
	return fmt.Sprintf("nis: transaction rejected: %s (code %d)", e.Message, e.Code)
}

// Is reports whether target is [ErrRejected].
func (e *AnnounceError) Is(target error) bool { return target == ErrRejected }

// badResponse wraps ErrBadResponse with the request path and a detail.
func badResponse(path string, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrBadResponse, path, fmt.Sprintf(format, args...))
}

// badRequestArg wraps ErrInvalidArgument.
func badRequestArg(detail string) error {
	return fmt.Errorf("%w: %s", ErrInvalidArgument, detail)
}
