// Package hub is the HTTP front of a device: it takes sealed command
// envelopes from the device's owners, opens them with a [command.Opener],
// runs them through a [Handler] (a device), and answers with the device's
// signed reply envelope.
//
// # Where to start
//
// Call [New] with the device's Opener and a Handler — a *device.Device is
// one, and its Halt is what shutdown calls — and serve the handler with
// [NewServer], which sets timeouts and halts the device on
// [Server.Shutdown]:
//
//	opener := &command.Opener{Device: deviceKey, Owners: owners}
//	h := hub.New(opener, dev, &hub.Options{Logger: slog.Default()}) // dev is a *device.Device
//	srv := hub.NewServer(h, "127.0.0.1:8080", nil)
//	go srv.ListenAndServe()
//	// … on SIGTERM:
//	srv.Shutdown(ctx) // waits for commands in progress, then dev.Halt()
//
// [Handler] is [command.Handler], the handler every transport takes, so
// the device that serves the hub can serve other transports at the same
// time. A devicetest.Recorder is a Handler too, for tests without pins;
// a [HandlerFunc] serves commands that are not a device's at all. Package
// hub does not import package device (nor periph): a hub user pulls in
// only what its Handler needs.
//
// The handler returned by New is an ordinary [net/http.Handler]; mount it
// anywhere, but give its server the read timeouts that [Server] sets.
//
// The owner's side, a Go app that sends the device commands and checks its
// replies, is package hubclient (github.com/nemiot/nemiot/hub/hubclient).
//
// # Wire API
//
// The same for every language and SDK:
//
//   - POST /v1/commands, body = the envelope bytes (Content-Type
//     application/octet-stream, or none), at most [Options.MaxBody] (64
//     KiB): 200 with the reply envelope (application/octet-stream). A
//     command the device refuses to act on (unknown name, bad args, a
//     hardware error) still gets 200, with a signed reply whose ok is
//     false; check it with [command.OpenReply]. So does a command whose
//     Handler panics, or whose result cannot be encoded (even if encoding
//     it panics): the action may have run, and the owner is told.
//   - A refused envelope, for any reason (malformed, not for this device,
//     not from an owner, out of the time window, bad signature, replayed,
//     undecryptable), gets 401 with the body {"error":"refused"} and
//     nothing else: the sender learns nothing about why. The reason is in
//     the access log.
//   - A body over the cap gets 413; a Content-Type other than
//     application/octet-stream gets 415.
//   - Over the concurrency limit ([Options.MaxInFlight], 64 by default),
//     a command waits up to [Options.MaxWait], then gets 503 with
//     Retry-After.
//   - GET /v1/device gives {"publicKey": hex, "address": "T…",
//     "network": "testnet"} (the network of [Options.Network]).
//   - GET /healthz gives 200 "ok".
//   - Any other method on these paths gets 405 with Allow; other paths 404.
//
// # Security
//
// The hub adds no authentication of its own: an envelope is its own
// credential (signed by an owner, addressed to this device, fresh and not
// replayed), and everything it carries is encrypted, so plain HTTP on a
// local network is acceptable; use TLS in front of it to also hide who talks
// to the device. The access log ([Options.Logger], [log/slog]) records
// public facts only: method, path, status, sizes, timing, remote address,
// the sender's public key, the command name and refusal reasons. It never
// receives a private key or a command's arguments.
//
// The body is read before a concurrency slot is taken, so a slow client
// holds a connection, not a slot; the server's ReadTimeout cuts it off, and
// [ServerOptions.MaxConns] bounds how many connections (and so how many
// bodies of up to MaxBody) there can be at once.
//
// # Connections
//
// A [Server] serves at most [ServerOptions.MaxConns] connections (256)
// at once, and idle ones cannot hold them, so that clients which connect,
// send a request and then keep the connection open do not lock the owners
// out:
//
//   - A keep-alive connection waiting for its next request is closed after
//     [ServerOptions.IdleTimeout] (10 s).
//   - At the bound, a new connection gets in by closing another: the one
//     idle the longest of a peer (an IPv4 address, or an IPv6 /64) that
//     has more than [ServerOptions.MaxIdlePerPeer] (8) idle connections,
//     else the one idle the longest of all; failing that, as soon as one
//     has been open for a second without sending its request headers,
//     that one. Below the bound no connection is closed early, so a client
//     busy on many connections is not disturbed.
//   - While every connection is busy with a request (its headers read),
//     a new one waits, and further ones wait in the kernel's accept
//     queue. A busy connection holds its place until its request ends:
//     ReadTimeout (10 s) bounds the body, WriteTimeout the whole request.
//     So clients that send headers and then trickle bodies can still delay
//     others by that much; put a proxy with per-client limits in front of
//     a hub exposed to such clients.
//
// A client whose idle connection the hub closes just as it sends a request
// on it sees the connection fail, as with any server's idle timeout.
// Sending the same envelope again on a new connection is safe: if the first
// copy did arrive, the hub refuses the second as a replay.
//
// # Capacity
//
// A command costs the hub about one signature verification and one
// signature (opening the envelope, sealing the reply), plus net/http's
// request parsing and socket writes; a simple device's own work is small
// beside them. Throughput is therefore bound by CPU: once the cores are
// saturated, more connections only queue, and latency grows as
// connections / throughput. BENCHMARKS.md at the repository root has the
// measured figures (commands/s, latency percentiles, CPU time per command,
// resident memory) and the commands that reproduce them: BenchmarkLoad in
// this package, and examples/hubload, which also runs the hub in a process
// of its own or loads a hub already running.
//
// Every accepted command also stays in the Opener's replay cache until its
// date leaves the window, and that cache refuses envelopes when full rather
// than forget one early, so its capacity bounds the sustained rate: with
// the defaults (100,000 entries, ±30 s) about 3,300 commands/s, and bursts
// above that are refused until entries expire. Raise
// [command.Opener.ReplayCapacity] for such loads (400,000 for 10,000
// commands/s); each live entry costs a few tens of bytes. Go's heap target
// doubles what is live, so bound the resident set with GOMEMLIMIT
// (BENCHMARKS.md shows a hub at 10,000 commands/s with and without it).
package hub
