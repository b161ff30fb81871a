package talk

import (
	"fmt"

	"github.com/nemiot/nemiot/nem"
)

// messengerDomain separates the messenger derivation from every other use
// of a hash of the device key.
const messengerDomain = "nemiot/messenger/v1"

// DeriveMessenger returns the messenger key of a device: the ordinary NEM
// account through which the device talks on chain, since its own (multisig)
// account cannot sign transactions. The derivation is
//
//	messenger = Keccak-256("nemiot/messenger/v1" ‖ device key's 32 bytes)
//
// taken as a NEM private key (the bytes in the order its hex form shows
// them). It is deterministic, so the device needs to store nothing more;
// it is one-way, so the messenger key (which has to sign and spend) reveals
// nothing about the device key; and the domain string keeps it apart from
// any other hash of the key. Owners learn the messenger's public key from
// the messages it sends (a proposal also carries the device's own
// signature, see [Proposal]). Like every key it prints redacted.
func DeriveMessenger(device *nem.PrivateKey) (*nem.PrivateKey, error) {
	if device == nil {
		return nil, fmt.Errorf("talk: no device key")
	}
	secret := device.Bytes()
	seed := nem.Keccak256([]byte(messengerDomain), secret)
	clear(secret)
	k, err := nem.NewPrivateKey(seed[:])
	clear(seed[:])
	if err != nil {
		return nil, fmt.Errorf("talk: deriving the messenger key: %w", err)
	}
	return k, nil
}
