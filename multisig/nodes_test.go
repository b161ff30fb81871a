package multisig_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/nemiot/nemiot/multisig"
	"github.com/nemiot/nemiot/nem"
)

func TestDefaultNodes(t *testing.T) {
	for n, want := range map[nem.Network][]string{
		nem.Mainnet: multisig.MainnetNodes,
		nem.Testnet: multisig.TestnetNodes,
		nem.Mijin:   nil,
		0:           nil,
		0x42:        nil,
	} {
		got := multisig.DefaultNodes(n)
		if !slices.Equal(got, want) || (want == nil) != (got == nil) {
			t.Errorf("DefaultNodes(%v) = %d nodes, want %d", n, len(got), len(want))
		}
		if len(got) > 0 {
			first := want[0]
			got[0] = "http://changed.example:7890"
			if want[0] != first {
				t.Errorf("DefaultNodes(%v) returned the embedded list itself", n)
			}
		}
	}
}

func ExampleDefaultNodes() {
	for _, n := range []nem.Network{nem.Mainnet, nem.Testnet, nem.Mijin} {
		fmt.Printf("%s: %d nodes\n", n, len(multisig.DefaultNodes(n)))
	}
	// Output:
	// mainnet: 27 nodes
	// testnet: 12 nodes
	// mijin: 0 nodes
}
