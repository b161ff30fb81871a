package nem

import (
	"fmt"
	"strings"
)

// Network identifies a NEM network. Its value is the first byte of every
// address on that network and the high byte of a transaction's version.
type Network byte

// The NEM networks.
const (
	Mainnet Network = 0x68 // addresses start with N
	Testnet Network = 0x98 // addresses start with T
	Mijin   Network = 0x60 // addresses start with M
)

// String returns "mainnet", "testnet" or "mijin", or a hex form for an
// unknown byte.
func (n Network) String() string {
	switch n {
	case Mainnet:
		return "mainnet"
	case Testnet:
		return "testnet"
	case Mijin:
		return "mijin"
	}
	return fmt.Sprintf("network(0x%02x)", byte(n))
}

// Valid reports whether n is one of the known networks.
func (n Network) Valid() bool {
	return n == Mainnet || n == Testnet || n == Mijin
}

// Version returns the value of a NIS transaction's "version" field for
// transaction version v on this network: the network byte in the high byte.
func (n Network) Version(v byte) int32 {
	return int32(uint32(n)<<24 | uint32(v))
}

// ParseNetwork reads a network name: "mainnet", "testnet" or "mijin", in any
// case.
func ParseNetwork(s string) (Network, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "mainnet":
		return Mainnet, nil
	case "testnet":
		return Testnet, nil
	case "mijin":
		return Mijin, nil
	}
	return 0, fmt.Errorf("%w: %q", ErrUnknownNetwork, s)
}

// MarshalText encodes the network as its name.
func (n Network) MarshalText() ([]byte, error) {
	if !n.Valid() {
		return nil, fmt.Errorf("%w: 0x%02x", ErrUnknownNetwork, byte(n))
	}
	return []byte(n.String()), nil
}

// UnmarshalText decodes a network name, as [ParseNetwork].
func (n *Network) UnmarshalText(b []byte) error {
	v, err := ParseNetwork(string(b))
	if err != nil {
		return err
	}
	*n = v
	return nil
}
