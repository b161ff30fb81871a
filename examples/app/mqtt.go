package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/mqtt"
	"github.com/nemiot/nemiot/nem"
)

// mqttFlags are -mqtt, -mqtt-ca, -mqtt-cert and -mqtt-key.
type mqttFlags struct{ url, ca, cert, key *string }

func addMQTTFlags(fs *flag.FlagSet) *mqttFlags {
	return &mqttFlags{
		url:  fs.String("mqtt", "", "send through the MQTT broker at `URL` (tcp://HOST:1883, ssl://HOST:8883) instead of a hub; needs -device;\ncredentials come only from $"+mqtt.EnvUsername+" and $"+mqtt.EnvPassword),
		ca:   fs.String("mqtt-ca", "", "`FILE` of PEM CA certificates to trust for the broker's TLS"),
		cert: fs.String("mqtt-cert", "", "client certificate `FILE` (PEM) for the broker's TLS, with -mqtt-key"),
		key:  fs.String("mqtt-key", "", "`FILE` holding the key of -mqtt-cert (PEM)"),
	}
}

func (f *mqttFlags) anyTLS() bool { return *f.ca != "" || *f.cert != "" || *f.key != "" }

// sendMQTT sends cmd to device through the broker and prints the verified
// reply as the HTTP path does. It returns the exit status.
func sendMQTT(ctx context.Context, f *mqttFlags, key *nem.PrivateKey, device nem.PublicKey, cmd command.Command, timeout time.Duration, stdout, stderr io.Writer) int {
	cfg := mqtt.Config{Broker: *f.url, Credentials: mqtt.CredentialsFromEnv()}
	if f.anyTLS() {
		tc, err := mqtt.LoadTLS(*f.ca, *f.cert, *f.key)
		if err != nil {
			fmt.Fprintf(stderr, "app: %v\n", err)
			return 2
		}
		cfg.TLS = tc
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := mqtt.Dial(dctx, cfg, key, &mqtt.ClientOptions{Timeout: timeout})
	if err != nil {
		fmt.Fprintf(stderr, "app: %v\n", err)
		if errors.Is(err, mqtt.ErrConfig) {
			return 2
		}
		return 1
	}
	defer c.Close()
	reply, err := c.Send(ctx, device, cmd)
	var nr *mqtt.NoReplyError
	if errors.As(err, &nr) && nr.Presence != nil && nr.Presence.Online {
		defer fmt.Fprintf(stderr, "app: is %s an owner of the device, and are the clocks right?\n", key.PublicKey())
	}
	return finish(stdout, stderr, cmd.Name, reply, err)
}
