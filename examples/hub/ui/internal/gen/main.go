// Command gen builds the owner page's WebAssembly module and copies the
// wasm_exec.js of the same Go toolchain beside it, into
// examples/hub/ui/static, where package ui embeds them. Run it through
//
//	go generate ./examples/hub/ui
//
// after changing examples/hub/ui/wasm or anything it imports (command,
// nem), or after changing Go versions, and commit the result. With -check
// it writes nothing and exits 1 if the committed files differ from what
// this toolchain builds (CI runs it so), 2 on any other failure.
//
// The module is built with GOOS=js GOARCH=wasm, -trimpath, -buildvcs=false
// and -ldflags=-s -w, so that the same sources and toolchain give the same
// bytes, with inlining only where a seal spends its time (see gcflags), and
// stored gzipped (-9, no name or time in the header): the hub
// serves it as it is to browsers that accept gzip. -check compares the
// module's decompressed bytes.
package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Files under the static directory.
const (
	wasmFile  = "nemiot.wasm.gz"
	execFile  = "wasm_exec.js"
	buildFile = "BUILD" // the toolchain and flags that built the module
	pkg       = "github.com/nemiot/nemiot/examples/hub/ui"
)

// gcflags turn inlining off except in the packages that do the
// arithmetic of a seal (the curve, hashes and ciphers, nem, the runtime).
// The rest (JSON, reflection, fmt, slog) is off the hot path; without its
// inlined copies the module is about 110 KB smaller gzipped, which keeps it
// under the page's 1.5 MB budget, and a seal is as fast.
var gcflags = []string{
	"-gcflags=all=-l",
	"-gcflags=runtime=",
	"-gcflags=math/bits=",
	"-gcflags=crypto/...=",
	"-gcflags=golang.org/x/crypto/...=",
	"-gcflags=filippo.io/edwards25519/...=",
	"-gcflags=github.com/nemiot/nemiot/nem=",
}

// errStale: a committed file differs from what this toolchain builds.
var errStale = errors.New("stale")

func main() {
	check := flag.Bool("check", false, "write nothing; exit 1 if the committed files are not what this toolchain builds")
	flag.Parse()
	err := run(*check, os.Stdout)
	switch {
	case errors.Is(err, errStale):
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	case err != nil:
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(2)
	}
}

func goCmd(env []string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}

func run(check bool, stdout io.Writer) error {
	dir, err := goCmd(nil, "list", "-f", "{{.Dir}}", pkg)
	if err != nil {
		return err
	}
	static := filepath.Join(dir, "static")
	goroot, err := goCmd(nil, "env", "GOROOT")
	if err != nil {
		return err
	}
	version, err := goCmd(nil, "env", "GOVERSION")
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "nemiot-wasm-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "nemiot.wasm")
	flags := append([]string{"-trimpath", "-buildvcs=false", "-ldflags=-s -w"}, gcflags...)
	args := append(append([]string{"build"}, flags...), "-o", out, pkg+"/wasm")
	// GOFLAGS is cleared so that the flags above are all there is.
	if _, err := goCmd([]string{"GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0", "GOFLAGS="}, args...); err != nil {
		return err
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		return err
	}
	execJS, err := os.ReadFile(filepath.Join(goroot, "lib", "wasm", execFile))
	if err != nil {
		return fmt.Errorf("wasm_exec.js of %s: %w", version, err)
	}
	build := fmt.Sprintf("%s js/wasm %s\n", version, strings.Join(flags, " "))

	if check {
		return compare(static, wasm, execJS, build)
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(wasm); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	for name, b := range map[string][]byte{wasmFile: gz.Bytes(), execFile: execJS, buildFile: []byte(build)} {
		if err := os.WriteFile(filepath.Join(static, name), b, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "gen: %s: %d bytes, %d gzipped (%s)\n", filepath.Join(static, wasmFile), len(wasm), gz.Len(), version)
	return nil
}

// compare reports how the committed files differ from those built now.
func compare(static string, wasm, execJS []byte, build string) error {
	committedBuild, _ := os.ReadFile(filepath.Join(static, buildFile))
	var stale []string
	if got, err := readGzip(filepath.Join(static, wasmFile)); err != nil || !bytes.Equal(got, wasm) {
		stale = append(stale, wasmFile)
	}
	if got, err := os.ReadFile(filepath.Join(static, execFile)); err != nil || !bytes.Equal(got, execJS) {
		stale = append(stale, execFile)
	}
	if string(committedBuild) != build {
		stale = append(stale, buildFile)
	}
	if len(stale) == 0 {
		return nil
	}
	why := "the module's sources (examples/hub/ui/wasm, command, nem, …) changed since they were built"
	if string(committedBuild) != build {
		why = fmt.Sprintf("they were built by %q, this is %q", strings.TrimSpace(string(committedBuild)), strings.TrimSpace(build))
	}
	return fmt.Errorf("%w: %s in %s are not what this toolchain builds now: %s; run go generate ./examples/hub/ui and commit them",
		errStale, strings.Join(stale, ", "), static, why)
}

func readGzip(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}
