package multisig_test

import (
	"fmt"
	"strings"

	"github.com/nemiot/nemiot/multisig"
)

// How nodes are grouped by default: one vote per operator.
func ExampleNodeOperator() {
	for _, node := range []string{
		"http://hugealice.nem.ninja:7890",
		"http://alice7.nem.ninja:7890",
		"http://62.75.251.134:7890", // Alice2, listed by address
		"http://104.251.212.131:7890",
		"https://node.example.co.jp:7891",
		"http://127.0.0.1:7890", // loopback: each port its own
		"http://127.0.0.1:7891",
	} {
		fmt.Printf("%-32s %s\n", node, multisig.NodeOperator(node))
	}
	// Output:
	// http://hugealice.nem.ninja:7890  nem.ninja
	// http://alice7.nem.ninja:7890     nem.ninja
	// http://62.75.251.134:7890        nem.ninja
	// http://104.251.212.131:7890      104.251.212.0/24
	// https://node.example.co.jp:7891  example.co.jp
	// http://127.0.0.1:7890            127.0.0.1:7890
	// http://127.0.0.1:7891            127.0.0.1:7891
}

// A vendor ships its own node list and names the operators that names and
// addresses do not reveal; NodeOperator groups the rest.
func ExampleResolver_operator() {
	r := &multisig.Resolver{
		Nodes: []string{
			"https://nis1.vendor-a.example:7891",
			"https://nis.vendor-a-cloud.example:7891", // vendor A too
			"https://node.b.example:7891",
			"https://198.51.100.7:7891",
			"https://203.0.113.9:7891",
		},
		Operator: func(node string) string {
			if strings.Contains(node, "vendor-a") {
				return "vendor A"
			}
			return multisig.NodeOperator(node)
		},
	}
	for _, n := range r.Nodes {
		fmt.Println(r.Operator(n))
	}
	// Output:
	// vendor A
	// vendor A
	// b.example
	// 198.51.100.0/24
	// 203.0.113.0/24
}
