// Command app is the owner's side: it sends one command to a device's hub
// and prints the device's verified reply.
//
// Usage:
//
//	go run ./examples/app -key owner.key -cmd light -args '{"on":true}'
//	NEMIOT_OWNER_KEY=… go run ./examples/app -hub http://192.168.1.20:8080 -cmd status
//
// Flags:
//
//	-key FILE    the owner's private key (hex, as examples/keygen -out
//	             writes it); without -key, the environment variable
//	             NEMIOT_OWNER_KEY holds it. The key never leaves this
//	             program: it signs the command and opens the reply.
//	-hub URL     the hub (default http://127.0.0.1:8080).
//	-device HEX  the device's public key. Without it the app asks the hub
//	             (GET /v1/device) and says so: pin the key examples/keygen
//	             showed at setup, so that a hub impostor cannot read your
//	             commands.
//	-cmd NAME    the command, e.g. light, fan, status (default status).
//	-args JSON   its arguments, e.g. '{"on":true}' or '{"speed":3}'.
//	-timeout D   how long to wait for the reply (default 30s).
//
// The command is sealed with command.Seal (signed by the owner, encrypted to
// the device, dated now, random nonce and padding) and POSTed to
// /v1/commands. The reply is accepted only if command.OpenReply verifies it:
// signed by the device, addressed to this owner, answering this command,
// dated within 30 s of this computer's clock. The device refuses commands
// dated more than 30 s off its own clock, so keep both clocks right.
//
// Exit status: 0 when the device carried the command out (ok true), 1 when
// it did not, when the hub refused the envelope (401: not an owner, stale,
// replayed, …; the reason is only in the device's log) or on any other
// failure, 2 on bad usage.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/examples/internal/hubclient"
	"github.com/nemiot/nemiot/examples/internal/keyfile"
	"github.com/nemiot/nemiot/nem"
)

// KeyEnv is the environment variable that holds the owner's key when -key
// is not given.
const KeyEnv = "NEMIOT_OWNER_KEY"

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("app", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyPath := fs.String("key", "", "`FILE` holding the owner's private key (else $"+KeyEnv+")")
	hubURL := fs.String("hub", "http://127.0.0.1:8080", "hub base `URL`")
	deviceHex := fs.String("device", "", "device public key (`HEX`); default: ask the hub")
	name := fs.String("cmd", "status", "command `NAME`")
	rawArgs := fs.String("args", "", "command arguments (`JSON`)")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for the reply")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "app: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	cmd := command.Command{Name: *name}
	if *rawArgs != "" {
		if !json.Valid([]byte(*rawArgs)) {
			fmt.Fprintln(stderr, "app: -args is not valid JSON")
			return 2
		}
		cmd.Args = json.RawMessage(*rawArgs)
	}
	key, err := keyfile.Load(*keyPath, KeyEnv)
	if err != nil {
		fmt.Fprintf(stderr, "app: %v\n", err)
		return 2
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	c := &hubclient.Client{Hub: *hubURL, Key: key}

	var device nem.PublicKey
	if *deviceHex != "" {
		if device, err = nem.ParsePublicKey(*deviceHex); err != nil {
			fmt.Fprintf(stderr, "app: -device: %v\n", err)
			return 2
		}
	} else {
		info, err := c.Device(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "app: %v\n", err)
			return 1
		}
		device = info.PublicKey
		fmt.Fprintf(stderr, "app: device %s (%s), as the hub says; pin it with -device\n", info.PublicKey, info.Address)
	}

	reply, _, err := c.Send(ctx, device, cmd)
	if errors.Is(err, hubclient.ErrRefused) {
		fmt.Fprintf(stderr, "app: %v: is %s an owner of the device, and are the clocks right?\n",
			err, key.PublicKey())
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "app: %v\n", err)
		return 1
	}
	printReply(stdout, cmd.Name, reply)
	if !reply.OK {
		return 1
	}
	return 0
}

// printReply shows a verified reply: its status, its date and its result
// or error.
func printReply(w io.Writer, name string, r *command.Reply) {
	status := "ok"
	if !r.OK {
		status = "failed"
	}
	fmt.Fprintf(w, "%s: %s (signed by the device at %s)\n", name, status, r.Time.UTC().Format(time.RFC3339Nano))
	if !r.OK {
		fmt.Fprintf(w, "error: %s\n", r.Error)
	}
	if len(r.Result) > 0 && string(r.Result) != "null" {
		var b bytes.Buffer
		if json.Indent(&b, r.Result, "", "  ") != nil {
			b.Reset()
			b.Write(r.Result)
		}
		fmt.Fprintf(w, "%s\n", b.String())
	}
}
