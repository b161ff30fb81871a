package command

import "context"

// Handler is what a device does with a command: it turns a [Request] that
// an [Opener] accepted into a result (any JSON-encodable value) or an
// error, which becomes the signed reply ([Request.Reply]): ok with the
// result, or not ok with err.Error().
//
// Every transport takes a Handler and runs it through [Serve]: package hub
// over HTTP, package mqtt through a broker, so that one device serves
// them all. A *device.Device is one as it stands, and so is a
// devicetest.Recorder. Handler lives here, beside [Request], so that
// transports and devices can both name it without importing each other.
//
// The error text goes to the command's sender, an owner of the device: it
// must not hold secrets. Handle may be called concurrently, and must
// return soon after ctx is done. The request has been verified (signed by
// owners, addressed to this device, fresh and not replayed): Handle
// decides what the command does, not whether its sender may send it.
type Handler interface {
	Handle(ctx context.Context, req *Request) (result any, err error)
}

// Halter is implemented by a [Handler] that drives hardware: Halt brings
// every output to its safe level (off, level 0). A transport halts its
// Handler when it shuts down, after the commands in progress; a
// *device.Device is a Halter.
type Halter interface {
	Halt() error
}
