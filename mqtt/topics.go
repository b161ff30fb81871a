package mqtt

import (
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/nemiot/nemiot/nem"
)

// DefaultPrefix is the first part of every topic unless a Prefix is set.
const DefaultPrefix = "nemiot/v1"

// CommandsTopic is where owners publish command envelopes for dev:
// PREFIX/DEV/commands, DEV in lower-case hex.
func CommandsTopic(prefix string, dev nem.PublicKey) string {
	return withPrefix(prefix) + "/" + dev.String() + "/commands"
}

// RepliesTopic is where dev publishes its reply envelopes for sender:
// PREFIX/DEV/replies/SENDER.
func RepliesTopic(prefix string, dev, sender nem.PublicKey) string {
	return withPrefix(prefix) + "/" + dev.String() + "/replies/" + sender.String()
}

// StatusTopic is where dev's retained presence lives: PREFIX/DEV/status.
func StatusTopic(prefix string, dev nem.PublicKey) string {
	return withPrefix(prefix) + "/" + dev.String() + "/status"
}

func withPrefix(p string) string {
	if p == "" {
		return DefaultPrefix
	}
	return strings.TrimSuffix(p, "/")
}

// deviceOfTopic returns DEV of PREFIX/DEV/…, if the topic has that shape.
func deviceOfTopic(prefix, topic string) (nem.PublicKey, bool) {
	var k nem.PublicKey
	rest, ok := strings.CutPrefix(topic, withPrefix(prefix)+"/")
	if !ok || len(rest) < 2*len(k) || (len(rest) > 2*len(k) && rest[2*len(k)] != '/') {
		return k, false
	}
	if _, err := hex.Decode(k[:], []byte(rest[:2*len(k)])); err != nil {
		return k, false
	}
	return k, true
}

// Presence is a device's retained status message: online once it is
// subscribed to its commands (and so ready), offline when it shut down or
// the broker lost it (its last will). The broker relays it as it got it,
// unsigned: it is a hint for apps, never a reason to trust anything.
type Presence struct {
	Online    bool   `json:"online"`
	PublicKey string `json:"publicKey"`
	Address   string `json:"address"`
	Network   string `json:"network"`
}

// presenceJSON returns dev's presence message.
func presenceJSON(online bool, dev nem.PublicKey, n nem.Network) []byte {
	b, _ := json.Marshal(Presence{Online: online, PublicKey: dev.String(), Address: dev.Address(n).String(), Network: n.String()})
	return b
}
