// Package mqtt carries sealed commands and replies through an MQTT broker,
// for devices that cannot take inbound connections (home NAT, carrier-grade
// NAT, mobile data): the device dials out to the broker, as it would to AWS
// IoT, Azure IoT Hub or ThingsBoard, but the broker is an untrusted relay.
// It sees only envelopes (package command): encrypted end to end, signed,
// dated and never accepted twice, so it learns no command and can forge,
// replay or alter none.
//
// # Where to start
//
// A device calls [Start] with the same [command.Opener] and
// [command.Handler] it gives package hub (a *device.Device is a Handler),
// waits for [Device.Ready] if it cares, and calls [Device.Shutdown] on
// its way out:
//
//	cfg := mqtt.Config{Broker: "ssl://broker.example:8883", Credentials: mqtt.CredentialsFromEnv()}
//	cfg.TLS, err = mqtt.LoadTLS("ca.pem", "", "")
//	dev, err := mqtt.Start(cfg, opener, handler, nil)
//	// … on SIGTERM:
//	dev.Shutdown(ctx) // offline, finish what was taken, halt, disconnect
//
// The same Opener may serve HTTP (hub) at the same time: it has one replay
// cache, so an envelope taken over one transport is a replay on the other.
//
// An owner's app calls [Dial] with its key, then [Client.Send] for each
// command; the reply it returns has been verified. A [Fleet] hosts many
// device identities, one key each, in one process.
//
// # Topics
//
// DEV and SENDER are public keys in lower-case hex; the prefix nemiot/v1
// can be changed ([DeviceOptions.Prefix], [ClientOptions.Prefix]).
//
//   - nemiot/v1/DEV/commands: command envelopes for DEV, QoS 1.
//   - nemiot/v1/DEV/replies/SENDER: DEV's signed replies to SENDER, QoS 1.
//   - nemiot/v1/DEV/status: DEV's retained [Presence], JSON
//     {"online":true,"publicKey":…,"address":…,"network":…}, published
//     only once the commands subscription is in place (online means
//     ready), with a retained last will saying online false.
//
// An envelope the device refuses, for whatever reason, gets no message at
// all: subscribers learn nothing, and the reason goes to the device's log
// ([Config.Logger]) only. A command the device refuses to act on (unknown,
// bad args, a hardware error) still gets a signed reply with ok false, as
// over HTTP. So an app that hears nothing cannot tell a refusal from an
// absent device by the reply; [Client.Send]'s [NoReplyError] carries the
// presence, which can.
//
// # Sessions, reconnection and queued commands
//
// A device's session is persistent (clean session off) under a client id
// made from its public key ([ClientID]), and its commands are QoS 1, so the
// broker queues commands while the device is offline and delivers them
// when it is back; each is still judged by the Opener's time window (±30
// s by default) at that moment, so a command queued too long is refused,
// and one delivered twice (after a lost acknowledgement) runs once. The
// device subscribes again on every connection (a broker restarted without
// persistence has forgotten the session) and reconnects by itself with
// exponential backoff and full jitter ([Config.MinBackoff],
// [Config.MaxBackoff], at most 2 minutes), so a fleet does not stampede a
// broker coming back.
//
// Work is bounded: a look at the clear header drops what is not an
// envelope for this device before it is queued; the rest waits in a fair
// queue, one line per sender key, served in turn by a fixed number of
// workers ([FleetOptions]), so a flood of junk from one key is dropped in
// its own line while owners' commands go on. Keys made up by the flood
// each get a line, and the queue's bound then drops arrivals until the
// workers catch up; give the broker ACLs so that only owners may publish
// to a device's commands topic.
//
// # Security
//
// TLS (ssl://, tls://, mqtts://) with a CA file and an optional client
// certificate ([LoadTLS]); a username and password come only from the
// environment ([CredentialsFromEnv]: NEMIOT_MQTT_USERNAME,
// NEMIOT_MQTT_PASSWORD), never from a URL or a flag, and never print. The
// client id is public (the key's first 16 hex digits): a broker must stop
// others from taking a device's session (ACLs, client certificates), or
// they can knock it offline, though never command it. Presence is
// unsigned: it is a hint, as a broker shows it.
//
// # Fleets and clustered brokers
//
// Nothing in the device depends on which broker it reaches: a fleet grows
// from one mosquitto to a cluster (EMQX, HiveMQ, VerneMQ) by changing the
// URL, since every topic is per device and no message needs another.
package mqtt
