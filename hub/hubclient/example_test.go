package hubclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/device/devicetest"
	"github.com/nemiot/nemiot/hub"
	"github.com/nemiot/nemiot/hub/hubclient"
	"github.com/nemiot/nemiot/nem"
)

// An owner's app commanding a device through its hub. The hub here runs on
// loopback in front of a test device; a real app knows only the hub's
// address, its own key and the device's public key from setup.
func Example() {
	deviceKey, _ := nem.GeneratePrivateKey(nil)
	ownerKey, _ := nem.GeneratePrivateKey(nil)
	opener := &command.Opener{Device: deviceKey, Owners: command.StaticOwners(ownerKey.PublicKey())}
	dev := &devicetest.Recorder{Results: map[string]any{"light": map[string]bool{"on": true}}}
	srv := httptest.NewServer(hub.New(opener, dev, nil))
	defer srv.Close()
	devicePub := deviceKey.PublicKey() // from setup, e.g. read off the device's screen

	// The app.
	ctx := context.Background()
	c := &hubclient.Client{Hub: srv.URL, Key: ownerKey}
	info, err := c.Device(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("the hub serves the device from setup:", info.PublicKey == devicePub, "on", info.Network)

	reply, _, err := c.Send(ctx, devicePub, command.Command{Name: "light", Args: json.RawMessage(`{"on":true}`)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("ok:", reply.OK, string(reply.Result))

	// Someone who is not an owner gets a 401 and nothing else.
	strangerKey, _ := nem.GeneratePrivateKey(nil)
	stranger := &hubclient.Client{Hub: srv.URL, Key: strangerKey}
	_, _, err = stranger.Send(ctx, devicePub, command.Command{Name: "light", Args: json.RawMessage(`{"on":false}`)})
	fmt.Println("stranger refused:", errors.Is(err, hubclient.ErrRefused))
	// Output:
	// the hub serves the device from setup: true on testnet
	// ok: true {"on":true}
	// stranger refused: true
}

// Hub addresses as users type them.
func ExampleParseURL() {
	for _, s := range []string{"192.168.1.20:8080", "https://hub.example/garage", "ftp://hub.example"} {
		u, err := hubclient.ParseURL(s)
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Println(u)
	}
	// Output:
	// http://192.168.1.20:8080
	// https://hub.example/garage
	// error: bad hub URL "ftp://hub.example": scheme "ftp", want http or https
}
