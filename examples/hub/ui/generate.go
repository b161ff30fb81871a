package ui

// The WebAssembly module and Go's wasm_exec.js in static/ are built from
// ./wasm by ./internal/gen; CI runs it with -check.
//go:generate go run ./internal/gen
