package hub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/device"
	"github.com/nemiot/nemiot/device/devicetest"
	"github.com/nemiot/nemiot/hub"
	"github.com/nemiot/nemiot/nem"
)

// A device hub on loopback, and an owner's app switching its light on.
func ExampleNew() {
	// The device side. Real devices load their key from a file.
	deviceKey, _ := nem.GeneratePrivateKey(nil)
	ownerKey, _ := nem.GeneratePrivateKey(nil)
	opener := &command.Opener{
		Device: deviceKey,
		Owners: command.StaticOwners(ownerKey.PublicKey()),
	}
	// A light and a fan, on simulated pins (on a board: gpioreg.ByName
	// after host.Init).
	pins := devicetest.NewPins("GPIO17", "GPIO18")
	light, _ := device.NewSwitch(pins.ByName("GPIO17"), nil)
	fan, _ := device.NewLevel(pins.ByName("GPIO18"), &device.LevelOpts{Arg: "speed", Steps: 3})
	dev, err := device.New(map[string]device.Action{"light": light, "fan": fan}, nil)
	if err != nil {
		log.Fatal(err)
	}
	h := hub.New(opener, dev, nil) // a *device.Device is a hub.Handler
	srv := httptest.NewServer(h)
	defer srv.Close()

	// The app: seal a command, POST it, check the signed reply.
	send := func(name, args string) {
		env, err := command.Seal(nil, ownerKey, deviceKey.PublicKey(),
			command.Command{Name: name, Args: json.RawMessage(args)}, time.Now())
		if err != nil {
			log.Fatal(err)
		}
		resp, err := http.Post(srv.URL+hub.CommandsPath, "application/octet-stream", bytes.NewReader(env))
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			fmt.Println(resp.Status, string(body))
			return
		}
		reply, err := command.OpenReply(ownerKey, deviceKey.PublicKey(), env, body, time.Now())
		if err != nil {
			log.Fatal(err)
		}
		if reply.OK {
			fmt.Println("ok:", string(reply.Result))
		} else {
			fmt.Println("not ok:", reply.Error)
		}
	}
	send("light", `{"on":true}`)
	send("fan", `{"speed":7}`)
	// Output:
	// ok: {"level":"High","on":true,"pin":"GPIO17"}
	// not ok: device: "fan": bad args: field "speed" must be an integer from 0 to 3
}

// A hub as a long-running service: access logs on stderr, and on SIGINT or
// SIGTERM a graceful shutdown that lets commands in progress finish and
// then halts the device (all outputs to their safe level).
func ExampleNewServer() {
	key, err := nem.ParsePrivateKey(os.Getenv("DEVICE_KEY")) // never hard-code a key
	if err != nil {
		log.Fatal("DEVICE_KEY: ", err) // the error does not quote the key
	}
	owner, err := nem.ParsePublicKey(os.Getenv("OWNER_PUBLIC_KEY"))
	if err != nil {
		log.Fatal(err)
	}
	opener := &command.Opener{Device: key, Owners: command.StaticOwners(owner)}
	// On a board: host.Init, then gpioreg.ByName("GPIO17").
	light, err := device.NewSwitch(devicetest.NewPins("GPIO17").ByName("GPIO17"), nil)
	if err != nil {
		log.Fatal(err)
	}
	dev, err := device.New(map[string]device.Action{"light": light}, nil)
	if err != nil {
		log.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	h := hub.New(opener, dev, &hub.Options{Logger: logger, Network: nem.Testnet})
	srv := hub.NewServer(h, "127.0.0.1:8080", &hub.ServerOptions{Logger: logger})

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.ListenAndServe() }()
	select {
	case err := <-served: // could not listen
		log.Fatal(err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil { // returns after dev.Halt()
		logger.Error("shutdown", "err", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		logger.Error("serve", "err", err)
	}
}

// A hub in front of a devicetest.Recorder, as a test of an app would use:
// the recorder answers with canned results and keeps every command that
// reached it. Like a *device.Device, a Recorder is a Handler as it stands.
func ExampleNew_recorder() {
	deviceKey, _ := nem.GeneratePrivateKey(nil)
	ownerKey, _ := nem.GeneratePrivateKey(nil)
	opener := &command.Opener{Device: deviceKey, Owners: command.StaticOwners(ownerKey.PublicKey())}
	rec := &devicetest.Recorder{Results: map[string]any{"status": map[string]bool{"light": true}}}
	srv := httptest.NewServer(hub.New(opener, rec, nil))
	defer srv.Close()

	env, _ := command.Seal(nil, ownerKey, deviceKey.PublicKey(), command.Command{Name: "status"}, time.Now())
	resp, err := http.Post(srv.URL+hub.CommandsPath, "application/octet-stream", bytes.NewReader(env))
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	reply, err := command.OpenReply(ownerKey, deviceKey.PublicKey(), env, body, time.Now())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(reply.OK, string(reply.Result))
	for _, c := range rec.Calls() {
		fmt.Println("the device got:", c.Name)
	}
	// Output:
	// true {"light":true}
	// the device got: status
}
