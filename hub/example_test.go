package hub_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/device"
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
	dev := device.NewSim() // light and fan on simulated pins
	h := hub.New(opener, hub.DeviceHandler(dev), nil)
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
