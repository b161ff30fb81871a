package multisig

import (
	"slices"

	"github.com/nemiot/nemiot/nem"
)

// DefaultNodes returns a copy of the embedded node list of network n:
// [MainnetNodes] for nem.Mainnet, [TestnetNodes] for nem.Testnet, and nil
// for a network without one (mijin, whose nodes are private, and any
// invalid value). It is what a program shows or starts from when its user
// names no nodes; the copy is the caller's to change.
func DefaultNodes(n nem.Network) []string {
	switch n {
	case nem.Mainnet:
		return slices.Clone(MainnetNodes)
	case nem.Testnet:
		return slices.Clone(TestnetNodes)
	}
	return nil
}

// MainnetNodes is the embedded default list of NIS1 mainnet nodes: the
// nem.ninja nodes run for the NEM core team and foundation (several of them
// enrolled supernodes), the search nodes of nem-sdk and NanoWallet, and
// registry-listed supernodes, all on the plain NIS port 7890: the 27
// distinct mainnet hosts that the SDK and wallet lists of the project's
// research name (fewer than the 30 to 40 a device should carry).
//
// They are few operators: by [NodeOperator], 19 of the 27 are nem.ninja
// (17 by name; 62.75.251.134 and 108.61.168.86 by the registries' records
// of Alice2 and Alice6) and the rest make 7 more groups (dusanjp.com runs
// two). A [Resolver] draws across those 8 operators and counts each once,
// so a quorum of 3 needs 3 of them to agree.
//
// These are defaults a vendor should refresh. Node lists age: hosts go away,
// change hands or stop being supernodes, and a list everyone ships is a list
// an attacker can study. Ship a vetted list of your own in firmware (30 to 40
// nodes run by distinct operators, HTTPS where possible) in Resolver.Nodes,
// set Resolver.Operator where names and addresses do not tell operators
// apart, and update the list only through a channel you trust.
var MainnetNodes = []string{
	"http://hugealice.nem.ninja:7890",
	"http://hugealice2.nem.ninja:7890",
	"http://hugealice3.nem.ninja:7890",
	"http://hugealice4.nem.ninja:7890",
	"http://bigalice3.nem.ninja:7890",
	"http://san.nem.ninja:7890",
	"http://go.nem.ninja:7890",
	"http://hachi.nem.ninja:7890",
	"http://jusan.nem.ninja:7890",
	"http://nijuichi.nem.ninja:7890",
	"http://alice2.nem.ninja:7890",
	"http://alice3.nem.ninja:7890",
	"http://alice4.nem.ninja:7890",
	"http://alice5.nem.ninja:7890",
	"http://alice6.nem.ninja:7890",
	"http://alice7.nem.ninja:7890",
	"http://alice8.nem.ninja:7890",
	"http://62.75.171.41:7890",
	"http://104.251.212.131:7890",
	"http://45.124.65.125:7890",
	"http://185.53.131.101:7890",
	"http://sz.nemchina.com:7890",
	"http://62.75.251.134:7890",
	"http://108.61.168.86:7890",
	"http://portobelo.nemmain.net:7890",
	"http://1n.dusanjp.com:7890",
	"http://2n.dusanjp.com:7890",
}

// TestnetNodes is the embedded default list of NIS1 testnet nodes. Like
// [MainnetNodes], it is a default to refresh, not a list to trust forever.
var TestnetNodes = []string{
	"http://hugetestalice.nem.ninja:7890",
	"http://hugetestalice2.nem.ninja:7890",
	"http://medalice2.nem.ninja:7890",
	"http://bigalice2.nem.ninja:7890",
	"http://104.128.226.60:7890",
	"http://23.228.67.85:7890",
	"http://192.3.61.243:7890",
	"http://50.3.87.123:7890",
	"http://libertalia.nemtest.net:7890",
	"http://ocracoke.nemtest.net:7890",
	"http://tortuga.nemtest.net:7890",
	"http://ntn1.dusanjp.com:7890",
}
