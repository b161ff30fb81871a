package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/nem"
)

// Code says what an [Error] is about, so that the page can show it beside
// the right field. The page receives it as the "code" of an error object.
type Code string

const (
	CodeKey         Code = "key"          // the owner's private key is missing or not a key
	CodeDevice      Code = "device"       // the device's public key is missing, not a key, or weak
	CodeCommand     Code = "cmd"          // the command cannot be sent (empty name, …)
	CodeArgs        Code = "args"         // the arguments are not one JSON value
	CodeReply       Code = "reply"        // the reply failed verification
	CodeWrongDevice Code = "wrong-device" // the reply is signed by another key than the device's
	CodeUsage       Code = "usage"        // the page called the module wrongly
)

// Error is every error the module returns to the page: a [Code] and the
// cause. Its text never contains the owner's private key.
type Error struct {
	Code Code
	Err  error
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func errorf(c Code, format string, a ...any) *Error {
	return &Error{Code: c, Err: fmt.Errorf(format, a...)}
}

// session is the owner's side of one device: the owner's key, parsed once
// and kept in the module's memory, and the [command.Sender] to the device.
// Nothing here ever returns the private key.
type session struct {
	owner  nem.PublicKey
	sender *command.Sender // nil until a device key is given
	key    *nem.PrivateKey
}

// newSession parses the owner's key (64 hex characters, or 66 with the NIS
// "00" prefix; see [keyDigits] for what else is accepted around them) and,
// when deviceHex is not empty, the device's public key.
//
// nem.ParsePrivateKey also takes the shorter forms a NIS node prints; the
// page does not, because a key typed halfway would parse as another key.
func newSession(keyText, deviceHex string) (*session, error) {
	keyText = keyDigits(keyText)
	if n := len(keyText); n != 64 && n != 66 {
		if n == 0 {
			return nil, errorf(CodeKey, "no owner key: paste your private key (64 hex characters)")
		}
		return nil, errorf(CodeKey, "the owner key has %d characters, want 64 hex characters", n)
	}
	key, err := nem.ParsePrivateKey(keyText)
	if err != nil {
		return nil, &Error{Code: CodeKey, Err: err} // never quotes the input
	}
	return sessionOf(key, deviceHex)
}

// keyDigits returns the key's characters from what the owner typed or
// pasted: the key as examples/keygen shows it for writing down, in groups
// with spaces, line breaks or dashes between them.
func keyDigits(text string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' {
			return -1
		}
		return r
	}, text)
}

// sessionOf makes the session of key, with the device deviceHex unless it
// is empty.
func sessionOf(key *nem.PrivateKey, deviceHex string) (*session, error) {
	s := &session{key: key, owner: key.PublicKey()}
	if err := s.setDevice(deviceHex); err != nil {
		return nil, err
	}
	return s, nil
}

// setDevice makes the session's sender to the device deviceHex, or, for
// an empty deviceHex, leaves the session without one.
func (s *session) setDevice(deviceHex string) error {
	if strings.TrimSpace(deviceHex) == "" {
		s.sender = nil
		return nil
	}
	dev, err := nem.ParsePublicKey(strings.TrimSpace(deviceHex))
	if err != nil {
		return &Error{Code: CodeDevice, Err: err}
	}
	if dev == s.owner {
		return errorf(CodeDevice, "the device key %s is the owner key's own public key: paste the owner's private key, not the device's", dev)
	}
	sender, err := command.NewSender(s.key, dev)
	if err != nil {
		return &Error{Code: CodeDevice, Err: err}
	}
	s.sender = sender
	return nil
}

// seal makes the envelope of command name with the JSON arguments args
// (empty: none), dated now, reading from rand (nil: crypto/rand) as
// [command.Sender.Seal] does.
func (s *session) seal(rand io.Reader, name, args string, now time.Time) ([]byte, error) {
	if s.sender == nil {
		return nil, errorf(CodeDevice, "no device key: the hub did not say which device it is, and none is pinned")
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, errorf(CodeCommand, "no command: name one, such as light, fan or status")
	}
	raw, err := checkArgs(args)
	if err != nil {
		return nil, err
	}
	env, err := s.sender.Seal(rand, command.Command{Name: name, Args: raw}, now)
	if errors.Is(err, command.ErrInvalidCommand) {
		return nil, &Error{Code: CodeCommand, Err: err}
	} else if err != nil {
		return nil, &Error{Code: CodeUsage, Err: err}
	}
	return env, nil
}

// open checks reply, the hub's answer to the envelope sent, as
// [command.Sender.OpenReply] does.
func (s *session) open(sent, reply []byte, now time.Time) (*command.Reply, error) {
	if s.sender == nil {
		return nil, errorf(CodeDevice, "no device key")
	}
	r, err := s.sender.OpenReply(sent, reply, now)
	switch {
	case errors.Is(err, command.ErrWrongSender):
		return nil, &Error{Code: CodeWrongDevice, Err: fmt.Errorf("the reply is not signed by device %s: is this the hub of the device you pinned? (%w)", s.sender.Device(), err)}
	case err != nil:
		return nil, &Error{Code: CodeReply, Err: err}
	}
	return r, nil
}

// checkArgs returns args as one JSON value, or nil for blank args. Invalid
// JSON is reported with its position (byte, line and column, 1-based), as
// examples/app does for -args.
func checkArgs(args string) (json.RawMessage, error) {
	if strings.TrimSpace(args) == "" {
		return nil, nil
	}
	var v any
	err := json.Unmarshal([]byte(args), &v)
	if err == nil {
		return json.RawMessage(args), nil
	}
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return nil, &Error{Code: CodeArgs, Err: err}
	}
	if se.Offset >= int64(len(args)) && strings.Contains(se.Error(), "end of JSON input") {
		return nil, errorf(CodeArgs, "invalid JSON: %v (at the end, after byte %d)", se, len(args))
	}
	at := max(int(se.Offset)-1, 0) // Offset counts the bad byte
	line := 1 + strings.Count(args[:at], "\n")
	col := at - strings.LastIndex(args[:at], "\n")
	return nil, errorf(CodeArgs, "invalid JSON at byte %d (line %d, column %d): %v", at+1, line, col, se)
}

// address returns the address of the public key hex on the named network.
func address(pubHex, network string) (string, error) {
	p, err := nem.ParsePublicKey(strings.TrimSpace(pubHex))
	if err != nil {
		return "", &Error{Code: CodeDevice, Err: err}
	}
	n, err := nem.ParseNetwork(network)
	if err != nil {
		return "", &Error{Code: CodeUsage, Err: err}
	}
	return p.Address(n).String(), nil
}
