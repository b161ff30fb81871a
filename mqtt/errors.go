package mqtt

import (
	"errors"
	"fmt"
	"time"

	"github.com/nemiot/nemiot/nem"
)

var (
	// ErrConfig: a [Config] or option that cannot work (an unknown URL
	// scheme, credentials written into the URL, no Opener or Handler).
	ErrConfig = errors.New("mqtt: invalid configuration")
	// ErrClosed: the Device, Fleet or Client was shut down.
	ErrClosed = errors.New("mqtt: closed")
	// ErrNoReply: no verified reply came in time; see [NoReplyError].
	ErrNoReply = errors.New("mqtt: no reply")
	// ErrNoPresence: the broker holds no presence for the device (it has
	// never been online there, or the retained message was cleared).
	ErrNoPresence = errors.New("mqtt: no presence for the device")
)

// NoReplyError is what [Client.Send] returns when no verified reply came
// within its timeout. Over MQTT a refused command gets no answer at all, so
// this is all the app learns: the device refused the command or is offline.
// Presence, when the broker holds one, tells which: online means the device
// was there and refused it (or its reply was lost), offline that it was
// not there to take it (a device with a persistent session still gets the
// command when it comes back, and runs it if it is still fresh).
//
// errors.Is(err, ErrNoReply) is true.
type NoReplyError struct {
	Device   nem.PublicKey
	After    time.Duration
	Presence *Presence // nil if none was found
}

// Error says that no reply came, and what the presence says.
func (e *NoReplyError) Error() string {
	s := fmt.Sprintf("mqtt: no reply within %v; the device refused it or is offline", e.After)
	switch {
	case e.Presence == nil:
		s += " (the broker has no presence for it)"
	case e.Presence.Online:
		s += " (its presence says online: it refused the command)"
	default:
		s += " (its presence says offline)"
	}
	return s
}

// Is reports whether target is [ErrNoReply].
func (e *NoReplyError) Is(target error) bool { return target == ErrNoReply }
