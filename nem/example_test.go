package nem_test

import (
	"fmt"
	"log"

	"github.com/nemiot/nemiot/nem"
)

// The keys below are from the official NEM test vectors: public test data,
// never used on a real network. Real programs load keys from a file or the
// environment, never from source code.

func ExampleParsePrivateKey() {
	k, err := nem.ParsePrivateKey("575dbb3062267eff57c970a336ebbc8fbcfe12c5bd3ed7bc11eb0481d7704ced")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(k) // redacted: a key never prints
	fmt.Println(k.PublicKey())
	fmt.Println(k.Address(nem.Mainnet))
	fmt.Println(k.Address(nem.Testnet).Pretty())
	// Output:
	// nem.PrivateKey(REDACTED)
	// c5f54ba980fcbb657dbaaa42700539b207873e134d2375efeab5f1ab52f87844
	// NDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5JFXJ4R4
	// TDD2CT-6LQLIY-Q56KIX-I3ENTM-6EK3D4-4P5KZP-FMK2
}

func ExampleParseAddress() {
	a, err := nem.ParseAddress("tdd2ct-6lqliy-q56kix-i3entm-6ek3d4-4p5kzp-fmk2")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(a, a.Network())

	_, err = nem.ParseAddress("TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK3")
	fmt.Println(err)
	// Output:
	// TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK2 testnet
	// nem: address checksum mismatch: "TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK3"
}

func ExamplePrivateKey_Sign() {
	k, _ := nem.ParsePrivateKey("abf4cf55a2b3f742d7543d9cc17f50447b969e6e06f5ea9195d428ab12b7318d")
	msg := []byte("turn the light on")
	sig := k.Sign(msg)
	fmt.Println(k.PublicKey().Verify(msg, sig))
	fmt.Println(k.PublicKey().Verify([]byte("turn the light off"), sig))
	// Output:
	// true
	// false
}

func ExampleEncryptGCM() {
	owner, _ := nem.GeneratePrivateKey(nil)
	device, _ := nem.GeneratePrivateKey(nil)

	payload, err := nem.EncryptGCM(nil, owner, device.PublicKey(), []byte("fan speed 3"))
	if err != nil {
		log.Fatal(err)
	}
	plain, err := nem.DecryptGCM(device, owner.PublicKey(), payload)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s (%d bytes on the wire)\n", plain, len(payload))
	// Output: fan speed 3 (39 bytes on the wire)
}

func ExampleTimestampOf() {
	ts := nem.TimestampOf(nem.Epoch.Add(90 * 60e9))
	fmt.Println(ts, ts.Time())
	// Output: 5400 2015-03-29 01:36:25 +0000 UTC
}
