//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "wasm: this is the owner page's WebAssembly module; build it with GOOS=js GOARCH=wasm (go generate ./examples/hub/ui)")
	os.Exit(2)
}
