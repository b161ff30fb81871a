// Command wasm is the owner page's WebAssembly module: the project's own
// [command.Sender] (seal a command, open the device's reply), compiled
// with GOOS=js GOARCH=wasm and served by examples/hub -ui. The page never
// implements the cryptography itself.
//
// # Building
//
// go generate ./examples/hub/ui builds it (reproducibly, with the flags
// that examples/hub/ui/internal/gen documents) into
// examples/hub/ui/static/nemiot.wasm.gz, beside the wasm_exec.js of the
// same Go toolchain. Built for any other platform it only says so and
// exits 2.
//
// # What the page sees
//
// Once run, the module sets globalThis.nemiot:
//
//	nemiot.version                        // the Go version that built it
//	nemiot.session(key, device)           // → session | {error, code}
//	nemiot.unlock(kept, passphrase, dev)  // a kept key → session | {error, code}
//	nemiot.keptOwner(kept)                // the owner public key a kept key records
//	nemiot.address(publicKey, network)    // → "T…" | {error, code}
//
//	s.owner                     // the owner's public key (hex)
//	s.address(network)          // the owner's address
//	s.device(hex)               // seal for this device from now on ("" for none)
//	s.seal(cmd, args[, opts])   // → {envelope: Uint8Array} | {error, code}
//	s.open(sent, reply[, opts]) // → {verified: true, ok, result, message, time} | {error, code}
//	s.keep(passphrase[, opts])  // → {kept: "nemiot-key-v1:…"} | {error, code}
//	s.close()                   // forgets the key; the session is unusable
//
// key is the owner's private key (64 hex characters), device the device's
// public key (may be empty until the hub says which it is); cmd a command
// name, args its JSON arguments ("" for none). result is the device's
// result as the JSON text it signed (empty for none), message its error
// text when ok is false, time when it signed the reply (Unix ms).
// Failures are objects with an error text and a code ([Code]): "key",
// "device", "cmd", "args", "reply", "wrong-device", "passphrase" or
// "usage".
//
// opts is for tests only: {rand: Uint8Array} replaces crypto.getRandomValues
// as the source of nonce, pad, IV and salt (so that an envelope can be
// compared with native Go's byte for byte), {now: ms} replaces the clock,
// {iterations: n} PBKDF2's count for keep.
//
// # The key
//
// The private key is parsed once, inside the module, and never leaves it:
// no function returns it, no error quotes it, and the module makes no
// requests of its own. keep seals it (PBKDF2-HMAC-SHA-256, 600,000
// iterations, then AES-256-GCM; the format is in keep.go) for the page to
// store only when the owner asks, and unlock opens it again, so the plain
// key never passes through the page's script on its way to or from
// storage. close drops the module's reference to it.
package main
