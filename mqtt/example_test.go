package mqtt_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/mqtt"
	"github.com/nemiot/nemiot/nem"
)

// A device behind NAT dials out to a broker over TLS and serves its owners'
// commands until it shuts down. (It needs a broker, so it only compiles
// here; see TestRoundTrip for one that runs against mosquitto.)
func ExampleStart() {
	var deviceKey *nem.PrivateKey // from the device's key file (nem/keyfile)
	var owner nem.PublicKey       // the owner's public key
	handler := command.Handler(nil)

	tlsConfig, err := mqtt.LoadTLS("ca.pem", "", "") // the broker's CA
	if err != nil {
		log.Fatal(err)
	}
	cfg := mqtt.Config{
		Broker:      "ssl://broker.example:8883",
		TLS:         tlsConfig,
		Credentials: mqtt.CredentialsFromEnv(), // NEMIOT_MQTT_USERNAME, NEMIOT_MQTT_PASSWORD
	}
	opener := &command.Opener{Device: deviceKey, Owners: command.StaticOwners(owner)}
	dev, err := mqtt.Start(cfg, opener, handler, nil) // handler: a *device.Device, say
	if err != nil {
		log.Fatal(err)
	}
	// … until SIGTERM:
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := dev.Shutdown(ctx); err != nil { // offline, finish, halt, disconnect
		log.Print(err)
	}
}

// An owner's app sends a command through the broker and gets the device's
// verified reply; silence means the device refused it or is offline, and
// the error's presence tells which.
func ExampleClient_Send() {
	var ownerKey *nem.PrivateKey // from the owner's key file
	var device nem.PublicKey     // pinned when the device was set up

	ctx := context.Background()
	app, err := mqtt.Dial(ctx, mqtt.Config{Broker: "tcp://127.0.0.1:1883"}, ownerKey, &mqtt.ClientOptions{Timeout: 5 * time.Second})
	if err != nil {
		log.Fatal(err)
	}
	defer app.Close()
	reply, err := app.Send(ctx, device, command.Command{Name: "fan", Args: json.RawMessage(`{"speed":3}`)})
	var silence *mqtt.NoReplyError
	switch {
	case errors.As(err, &silence):
		fmt.Println(err) // "… no reply within 5s; the device refused it or is offline (its presence says …)"
	case err != nil:
		log.Fatal(err)
	case reply.OK:
		fmt.Printf("ok: %s\n", reply.Result)
	default:
		fmt.Printf("the device refused to act: %s\n", reply.Error)
	}
}

// Topics are per device: any broker, clustered or not, carries them as
// they are.
func ExampleCommandsTopic() {
	var dev nem.PublicKey // the device's public key
	dev[0] = 0xab
	fmt.Println(mqtt.CommandsTopic("", dev)[:12])
	fmt.Println(mqtt.ClientID(dev))
	// Output:
	// nemiot/v1/ab
	// nemiot-ab00000000000000
}
