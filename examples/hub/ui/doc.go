// Package ui is the owner's app as a web page, served by a hub: what
// examples/hub -ui mounts at GET /.
//
// # Where to start
//
// [Handler] wraps a hub's API handler (hub.New): GET / gives the page,
// /ui/ its assets, and every other path goes to the API, so the page talks
// to the hub on its own origin.
//
//	api := hub.New(opener, dev, nil)
//	srv := hub.NewServer(ui.Handler(api), "127.0.0.1:8080", nil)
//
// # The page
//
// The page seals commands and opens the device's replies with the
// project's own Go code (command.Sender), compiled to WebAssembly from
// ./wasm; it has no cryptography of its own. It shows the device's public
// key and address (GET /v1/device) and lets the owner pin it, takes the
// owner's private key, sends light, fan, status or any named command with
// JSON arguments (POST /v1/commands), and shows each outcome. Its element
// ids are a contract (DESIGN.md §12): #key, #device, #cmd, #args, #send
// and #reply, which reads "verified" and the device's result (or its error
// text) when the signed reply checked out, "refused" for a 401, and
// "error: …" for anything else.
//
// # Security
//
// The private key lives in the page's memory only: in the key field and
// inside the WebAssembly module, which never gives it back. It is not sent,
// logged or stored, unless the owner asks the page to keep it on this
// browser encrypted under a passphrase (inside the module, so the plain
// key never passes through the page's script on its way to storage:
// PBKDF2-HMAC-SHA-256 with 600,000 iterations, then AES-256-GCM; only the
// ciphertext, salt, nonce and the owner's public key are stored, in
// localStorage). Every response
// carries a strict Content-Security-Policy (default-src 'self'; scripts
// only from the hub, WebAssembly compilation allowed, no inline scripts, no
// framing), X-Content-Type-Options: nosniff and Referrer-Policy:
// no-referrer. There is no third-party code and no CDN: every byte comes
// from this binary.
//
// # Files
//
// static/ holds the page (index.html, app.css, app.js), the module
// (nemiot.wasm.gz) and Go's wasm_exec.js of the toolchain that built it
// (BUILD says which). The module is committed, so a fresh clone's go run
// ./examples/hub -ui works without a WebAssembly build; go generate
// ./examples/hub/ui rebuilds it, and CI checks that the committed one is
// what the sources build (go run ./examples/hub/ui/internal/gen -check).
package ui
