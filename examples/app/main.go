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
//	-key FILE    the owner's private key, in the key file format of
//	             examples/keygen -owner -out owner.key (see go doc
//	             ./examples/keygen for where the owner's key comes from);
//	             without -key, the environment variable NEMIOT_OWNER_KEY
//	             holds it. A file others can read gets a warning. The key
//	             never leaves this program: it signs the command and opens
//	             the reply.
//	-hub URL     the hub (default http://127.0.0.1:8080); HOST:PORT without
//	             a scheme means http://HOST:PORT (envelopes are signed and
//	             encrypted end to end; give https:// for a TLS front).
//	-device HEX  the device's public key. Without it the app asks the hub
//	             (GET /v1/device) and says so: pin the key examples/keygen
//	             showed at setup, so that a hub impostor cannot read your
//	             commands.
//	-cmd NAME    the command, e.g. light, fan, status (default status).
//	-args JSON   its arguments, e.g. '{"on":true}' or '{"speed":3}'; only
//	             with -cmd. Invalid JSON is reported with its position.
//	-timeout D   how long to wait for the reply (default 30s).
//	-mqtt URL    send through an MQTT broker instead of to a hub (a device
//	             behind NAT, examples/hub -mqtt): tcp://HOST:1883 or
//	             ssl://HOST:8883; needs -device. -mqtt-ca FILE trusts
//	             that CA for the broker's TLS (-mqtt-cert and -mqtt-key
//	             add a client certificate); a username and password come
//	             only from $NEMIOT_MQTT_USERNAME and $NEMIOT_MQTT_PASSWORD.
//	             A device that refuses a command over MQTT says nothing:
//	             after -timeout the app says so, and the device's presence
//	             tells whether it was online (it refused) or not.
//
// The command is sealed with command.Seal (signed by the owner, encrypted to
// the device, dated now, random nonce and padding) and POSTed to
// /v1/commands. The reply is accepted only if command.OpenReply verifies it:
// signed by the device, addressed to this owner, answering this command,
// dated within 30 s of this computer's clock. The device refuses commands
// dated more than 30 s off its own clock, so keep both clocks right.
//
// "app approve" reads a payment the device proposes to its owners, and
// approves (-yes) or rejects it (see approveUsage in approve.go, and
// go run ./examples/app approve -h).
//
// "app owners" lists and changes the device's owners without NanoWallet:
// list (quorum and verified history), add, remove, transfer, min, pending
// and cosign, each announced to every -nodes node and followed until
// confirmed (see ownersUsage in owners.go, and go run ./examples/app owners).
//
// Exit status: 0 when the device carried the command out (ok true), 1 when
// it did not, when the hub refused the envelope (401: not an owner, stale,
// replayed, not for this device, …; the reason is only in the device's
// log, and with -device the app asks the hub which device it is, to tell a
// wrong -device key from a wrong owner) or on any other failure, 2 on bad
// usage (flags, key, command or arguments), found before anything is sent.
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
	"strings"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/hub/hubclient"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/keyfile"
)

// KeyEnv is the environment variable that holds the owner's key when -key
// is not given.
const KeyEnv = "NEMIOT_OWNER_KEY"

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "approve" {
		return runApprove(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "owners" {
		return runOwners(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("app", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyPath := fs.String("key", "", "`FILE` holding the owner's private key (else $"+KeyEnv+")")
	hubFlag := fs.String("hub", "http://127.0.0.1:8080", "hub base `URL` (host:port means http://host:port)")
	deviceHex := fs.String("device", "", "device public key (`HEX`); default: ask the hub")
	name := fs.String("cmd", "status", "command `NAME`")
	rawArgs := fs.String("args", "", "command arguments (`JSON`); needs -cmd")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for the reply")
	mq := addMQTTFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "app: "+format+"\n", a...)
		return 2
	}
	if fs.NArg() > 0 {
		return usage("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	hubURL, err := hubclient.ParseURL(*hubFlag)
	if err != nil {
		return usage("-hub: %v", err)
	}
	if *name == "" {
		return usage("-cmd: empty command name")
	}
	if set["args"] && !set["cmd"] {
		return usage("-args needs -cmd: which command are they for? (status takes none)")
	}
	cmd := command.Command{Name: *name}
	if *rawArgs != "" {
		if err := checkJSON(*rawArgs); err != nil {
			return usage("-args: %v", err)
		}
		cmd.Args = json.RawMessage(*rawArgs)
	}
	kf, err := keyfile.LoadFile(*keyPath, KeyEnv)
	if err != nil {
		return usage("%v", err)
	}
	for _, w := range kf.Warnings {
		fmt.Fprintf(stderr, "app: warning: %v\n", w)
	}
	key := kf.Key
	var device nem.PublicKey
	if *deviceHex != "" {
		if device, err = nem.ParsePublicKey(*deviceHex); err != nil {
			return usage("-device: %v", err)
		}
	}
	if *mq.url != "" {
		if set["hub"] {
			return usage("-hub and -mqtt exclude each other")
		}
		if *deviceHex == "" {
			return usage("-mqtt needs -device: the broker cannot say which device is which")
		}
	} else if mq.anyTLS() {
		return usage("-mqtt-ca, -mqtt-cert and -mqtt-key need -mqtt")
	}
	c := &hubclient.Client{Hub: hubURL, Key: key}
	// Seal once before going to the network: a command or device key that
	// Seal refuses is bad usage. (Unpinned, the device is not known yet;
	// sealing to the owner's own key checks the command.)
	probe := device
	if *deviceHex == "" {
		probe = key.PublicKey()
	}
	if _, err := c.Seal(probe, cmd); err != nil {
		return usage("%v", err)
	}

	if *mq.url != "" {
		return sendMQTT(ctx, mq, key, device, cmd, *timeout, stdout, stderr)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if *deviceHex == "" {
		info, err := c.Device(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "app: %v\n", err)
			return 1
		}
		device = info.PublicKey
		fmt.Fprintf(stderr, "app: device %s (%s), as the hub says; pin it with -device\n", info.PublicKey, info.Address)
	}

	reply, _, err := c.Send(ctx, device, cmd)
	switch {
	case errors.Is(err, hubclient.ErrRefused):
		fmt.Fprintf(stderr, "app: %v: %s\n", err, refusalHint(ctx, c, device, *deviceHex != ""))
		return 1
	case errors.Is(err, command.ErrWrongSender):
		fmt.Fprintf(stderr, "app: %v: the reply is signed by another device key than %s; is -device right, and is %s the hub you meant?\n",
			err, device, hubURL)
		return 1
	}
	return finish(stdout, stderr, cmd.Name, reply, err)
}

// finish prints a verified reply, or err, and returns the exit status:
// 0 if the device carried the command out.
func finish(stdout, stderr io.Writer, name string, reply *command.Reply, err error) int {
	if err != nil {
		fmt.Fprintf(stderr, "app: %v\n", err)
		return 1
	}
	printReply(stdout, name, reply)
	if !reply.OK {
		return 1
	}
	return 0
}

// refusalHint says what most likely made the hub refuse a command sealed
// for device. With a pinned device key, a hub that is another device
// refuses every envelope (it is not the recipient), so the hub is asked
// which device it is; its word is used for this hint only.
func refusalHint(ctx context.Context, c *hubclient.Client, device nem.PublicKey, pinned bool) string {
	if pinned {
		if info, err := c.Device(ctx); err == nil && info.PublicKey != device {
			return fmt.Sprintf("the hub says it is device %s, not the -device key %s; check -device (or -hub)", info.PublicKey, device)
		}
	}
	return fmt.Sprintf("is %s an owner of the device, and are the clocks right?", c.Key.PublicKey())
}

// checkJSON reports whether s is one JSON value and, if not, where it
// goes wrong: byte offset, line and column (1-based, in bytes), so that a
// long -args can be fixed without guessing.
func checkJSON(s string) error {
	var v any
	err := json.Unmarshal([]byte(s), &v)
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return err
	}
	if se.Offset >= int64(len(s)) && strings.Contains(se.Error(), "end of JSON input") {
		return fmt.Errorf("invalid JSON: %v (at the end, after byte %d)", se, len(s))
	}
	// Offset counts the bytes read, the bad one included.
	at := max(int(se.Offset)-1, 0)
	line := 1 + strings.Count(s[:at], "\n")
	col := at - strings.LastIndex(s[:at], "\n")
	return fmt.Errorf("invalid JSON at byte %d (line %d, column %d): %v", at+1, line, col, se)
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
