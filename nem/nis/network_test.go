package nis_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
)

// TestAccountByPublicKeyAddressCheck: an answer by key whose address is not
// the key's address on that address's network is made up, and is refused;
// a client told its network refuses answers of another one.
func TestAccountByPublicKeyAddressCheck(t *testing.T) {
	ctx := context.Background()
	k, err := nem.GeneratePrivateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := nem.GeneratePrivateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	pub := k.PublicKey()
	body := func(a nem.Address) []byte {
		return fmt.Appendf(nil, `{"meta":{"cosignatories":[],"cosignatoryOf":[],"status":"LOCKED","remoteStatus":"INACTIVE"},`+
			`"account":{"address":%q,"harvestedBlocks":0,"balance":0,"importance":0,"vestedBalance":0,"publicKey":%q,"label":null,"multisigInfo":{}}}`,
			a, pub)
	}
	for _, tc := range []struct {
		name    string
		addr    nem.Address
		network nem.Network
		ok      bool
	}{
		{"own testnet address", pub.Address(nem.Testnet), 0, true},
		{"own mainnet address", pub.Address(nem.Mainnet), 0, true},
		{"own address, network checked", pub.Address(nem.Testnet), nem.Testnet, true},
		{"another key's address", other.PublicKey().Address(nem.Testnet), 0, false},
		{"own address of another network", pub.Address(nem.Mainnet), nem.Testnet, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			node := newFakeNode(t, map[string]reply{"/account/get/from-public-key": {body: body(tc.addr)}})
			c := node.client()
			c.Network = tc.network
			acct, err := c.AccountByPublicKey(ctx, pub)
			switch {
			case tc.ok && (err != nil || acct.Address != tc.addr):
				t.Fatalf("got %+v, %v; want address %s", acct, err, tc.addr)
			case !tc.ok && !errors.Is(err, nis.ErrBadResponse):
				t.Fatalf("got %+v, %v; want ErrBadResponse", acct, err)
			}
		})
	}
}
