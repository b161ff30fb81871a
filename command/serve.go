package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// What a reply tells an owner when the device failed in a way its Handler
// did not report; [Serve] puts them in [Outcome.Err].
var (
	// ErrDeviceFailed: the Handler panicked. The command may have partly
	// run.
	ErrDeviceFailed = errors.New("command: the device failed")
	// ErrUnencodable: the Handler's result (or its error's text) could not
	// be encoded into the reply, or encoding it panicked. The command has
	// run.
	ErrUnencodable = errors.New("command: the device's result could not be encoded")
)

// ServeOptions configures [Serve]; nil means all defaults.
type ServeOptions struct {
	// Rand is the randomness for the reply (nonce, pad, IV); nil means
	// crypto/rand. Serve may be called concurrently, so it must be safe
	// for concurrent use.
	Rand io.Reader
	// Timeout bounds the Handler call (its ctx is done after it); 0 means
	// no bound beyond ctx.
	Timeout time.Duration
}

// Outcome is what [Serve] did with an envelope it opened.
type Outcome struct {
	// Request is the verified command.
	Request *Request
	// Reply is the signed reply envelope, for Request.Sender; nil only
	// when Serve also returned an error.
	Reply []byte
	// Err is what the reply says went wrong: the Handler's error,
	// [ErrDeviceFailed] if Handle panicked, or [ErrUnencodable]; nil when
	// the reply is ok.
	Err error
	// Fault says, for the device's log only, why Err is ErrDeviceFailed or
	// ErrUnencodable: "the handler panicked", "encoding the reply
	// panicked", or "encoding the reply: " and the encoder's error. Empty
	// otherwise.
	Fault string
}

// Serve is one command's round trip on a device, the same for every
// transport: it opens envelope with o, passes the request to h, and seals
// h's answer into the reply for the command's sender. Package hub serves
// HTTP with it and package mqtt a broker, so that the two behave alike and
// can share one Opener (and so one replay cache) at once.
//
// If o refuses the envelope, Serve returns a nil Outcome and Open's
// [*RefusedError]: log it, and tell a remote caller only [Opaque] of it
// (over MQTT, nothing at all).
//
// Otherwise the command has been taken, and Serve calls h.Handle with ctx
// (bounded by opts.Timeout). A panic in Handle does not escape: the reply
// then says [ErrDeviceFailed]. If the result or the error's text cannot be
// encoded, or encoding panics, the reply says [ErrUnencodable] instead, so
// that the owner learns that the action ran. Only if even that reply cannot
// be sealed (a failing Rand) does Serve return the Outcome, without Reply,
// with a non-nil error that is not a RefusedError.
func Serve(ctx context.Context, o *Opener, h Handler, envelope []byte, opts *ServeOptions) (*Outcome, error) {
	if h == nil {
		return nil, refuse(ErrConfig, "no Handler")
	}
	req, err := o.Open(ctx, envelope)
	if err != nil {
		return nil, err
	}
	var so ServeOptions
	if opts != nil {
		so = *opts
	}
	out := &Outcome{Request: req}
	hctx, cancel := ctx, context.CancelFunc(func() {})
	if so.Timeout > 0 {
		hctx, cancel = context.WithTimeout(ctx, so.Timeout)
	}
	result, panicked, herr := handle(hctx, h, req)
	cancel()
	if panicked {
		result, herr, out.Fault = nil, ErrDeviceFailed, "the handler panicked"
	}
	reply, panicked, err := sealReply(req, so.Rand, result, herr)
	if err != nil {
		// The action has run: say so in a signed reply instead.
		out.Fault = "encoding the reply: " + err.Error()
		if panicked {
			out.Fault = "encoding the reply panicked"
		}
		herr = ErrUnencodable
		reply, _, err = sealReply(req, so.Rand, nil, herr)
	}
	out.Err = herr
	if err != nil {
		return out, fmt.Errorf("command: sealing the reply: %w", err)
	}
	out.Reply = reply
	return out, nil
}

// handle calls h, turning a panic into panicked.
func handle(ctx context.Context, h Handler, req *Request) (res any, panicked bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, panicked, err = nil, true, nil
		}
	}()
	res, err = h.Handle(ctx, req)
	return res, false, err
}

// sealReply calls req.Reply, turning a panic (a result's MarshalJSON, an
// error's Error method, a Rand reader) into an error.
func sealReply(req *Request, rand io.Reader, result any, herr error) (b []byte, panicked bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			b, panicked, err = nil, true, errors.New("panic while encoding the reply")
		}
	}()
	b, err = req.Reply(rand, result, herr)
	return b, false, err
}
