package talk_test

import (
	"fmt"
	"strings"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/tx"
	"github.com/nemiot/nemiot/talk"
)

// The messenger key is derived from the device key and prints redacted.
// (Never hard-code a real key: load it from a key file.)
func ExampleDeriveMessenger() {
	device, _ := nem.ParsePrivateKey(strings.Repeat("0123456789abcdef", 4))
	msgr, _ := talk.DeriveMessenger(device)
	fmt.Println(msgr)
	fmt.Println(msgr.Address(nem.Testnet) != device.Address(nem.Testnet))
	// Output:
	// nem.PrivateKey(REDACTED)
	// true
}

// A message body is ASCII JSON; it must fit NIS's message limit once
// encrypted.
func ExampleBody_Marshal() {
	b := &talk.Body{Type: talk.TypeBid, Re: tx.Hash{0xab}, Text: "3 kWh à 2 XEM", Data: []byte(`{"kwh":3,"price":6000000}`)}
	js, err := b.Marshal()
	fmt.Println(string(js), err)

	big := &talk.Body{Type: talk.TypeText, Text: strings.Repeat("x", 1000)}
	_, err = big.Marshal()
	fmt.Println(err)
	// Output:
	// {"type":"bid","re":"ab00000000000000000000000000000000000000000000000000000000000000","text":"3 kWh \u00e0 2 XEM","data":{"kwh":3,"price":6000000}} <nil>
	// talk: message too large: 1088 bytes of payload, NIS takes at most 1024
}
