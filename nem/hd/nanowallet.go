package hd

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"golang.org/x/crypto/sha3"

	"github.com/nemiot/nemiot/nem"
)

// NanoWalletChild derives the secondary account number index that
// NanoWallet's "add account (BIP32)" creates from a wallet's primary key and
// the wallet password. NanoWallet also uses index 0 of an account for its
// delegated-harvesting ("remote") key.
//
// This is NanoWallet's own legacy scheme, unrelated to BIP39 mnemonics and to
// [Key]; it is needed only to restore accounts a NanoWallet wallet made:
//
//  1. h = Keccak-256 of the primary key's 64-character lower-case hex text;
//  2. I = HMAC-Keccak-512(key password, h); d = I[0:32] as a secp256k1
//     scalar, c = I[32:64];
//  3. J = HMAC-SHA256(key c, compressed secp256k1 public key of d ||
//     uint32be(index));
//  4. the child is (J + d) mod n, used as a NEM private key as is.
//
// The password is taken as UTF-8 bytes and must not be empty
// ([ErrEmptyPassword]). NanoWallet hashes the key text as it stored it,
// which for the keys it generates is lower-case hex as here. Should d or J
// not be a valid scalar (chance below 2^-126), the error is [ErrUnusableKey],
// as NanoWallet fails too.
func NanoWalletChild(primary *nem.PrivateKey, password string, index uint32) (*nem.PrivateKey, error) {
	if password == "" {
		return nil, ErrEmptyPassword
	}
	text := []byte(primary.Hex())
	h := nem.Keccak256(text)
	clear(text)

	mac := hmac.New(sha3.NewLegacyKeccak512, []byte(password))
	mac.Write(h[:])
	clear(h[:])
	i := mac.Sum(nil)
	defer clear(i)

	var d secp256k1.ModNScalar
	defer d.Zero()
	if overflow := d.SetByteSlice(i[:32]); overflow || d.IsZero() {
		return nil, fmt.Errorf("%w: root scalar out of range", ErrUnusableKey)
	}
	rootPriv := secp256k1.NewPrivateKey(&d)
	defer rootPriv.Zero()

	var data [33 + 4]byte
	copy(data[:33], rootPriv.PubKey().SerializeCompressed())
	binary.BigEndian.PutUint32(data[33:], index)
	mac = hmac.New(sha256.New, i[32:])
	mac.Write(data[:])
	j := mac.Sum(nil)
	defer clear(j)

	var child secp256k1.ModNScalar
	defer child.Zero()
	if overflow := child.SetByteSlice(j); overflow || child.IsZero() {
		return nil, fmt.Errorf("%w: child tweak out of range", ErrUnusableKey)
	}
	child.Add(&d)
	b := child.Bytes()
	defer clear(b[:])
	return nem.NewPrivateKey(b[:])
}
