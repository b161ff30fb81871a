// Package nistest runs a local NEM (NIS1) network for tests: N nodes on
// 127.0.0.1 that share one chain state and answer the NIS HTTP API with the
// JSON shapes and quirks of real NIS nodes. It is to NIS what
// net/http/httptest is to HTTP. Use it to test code that reads NEM (for
// example firmware that resolves its owners with package multisig) without
// the internet, and to make individual nodes lie, lag, hang or fail.
//
// # Where to start
//
// In a test, [NewNetwork] starts the nodes and closes them when the test
// ends; other programs call [Start] and [Network.Close]:
//
//	net := nistest.NewNetwork(t, 5, nil)          // 5 testnet nodes
//	device := net.NewAccount()                    // a funded account
//	a, b, c := net.NewAccount(), net.NewAccount(), net.NewAccount()
//	if _, err := net.ConvertToMultisig(device, 2, a.PublicKey(), b.PublicKey(), c.PublicKey()); err != nil {
//		t.Fatal(err)
//	}
//	client := nis.NewClient(net.URLs()[0], nil)   // any node, any client
//	acct, err := client.Account(ctx, device.Address(net.NetworkID()))
//
// # The chain
//
// The Network methods change the shared chain: [Network.NewAccount] and
// [Network.Fund] make funded accounts, [Network.ConvertToMultisig] and
// [Network.ModifyMultisig] change owners with properly signed multisig
// transactions, [Network.AddTransfer] and [Network.AddMultisigTransfer] add
// transfers (an Apostille is a transfer with the Apostille payload as a
// plain message), and [Network.AddTransaction] takes any signed transaction.
// Each confirms its transaction in a new block, after checking it as a NIS
// node would (signatures, deadlines, fees, balances, multisig rules); a
// refusal is an *nis.AnnounceError with the NIS validation code.
// [Network.Advance] adds empty blocks and moves network time; network time
// runs with Options.Clock from Options.Time ([Network.SetTime]).
//
// Clients can also write: POST /transaction/announce validates and confirms
// a transaction, and a multisig transaction waits in the unconfirmed pool
// (/account/unconfirmedTransactions) until enough cosignatures are
// announced.
//
// # Node behaviour
//
// Each [Node] has a [Behavior], switchable at run time with
// [Node.SetBehavior]: [Honest], [Lying] (another cosignatory set), [Lagging]
// (the height and state of some blocks ago), [Ahead] (claims a chain height
// higher than the truth), [TimeShifted] (a clock that is off), [Slow] (a
// delay; longer than the client's timeout, a hung node), [Down] (connection
// refused: the node really stops listening, and listens on the same port
// when switched back), [Malformed] (truncated JSON), [Oversized] (a 10 MiB
// body), [Error] (NIS error JSON with status 400, 500, 503, …),
// [HTMLError] (an HTML page, as from a reverse proxy whose NIS is down),
// [WrongNetwork] (a node of another NEM network), [TruncatedHistory] and
// [ForgedHistory] (a multisig history with changes hidden or forged, see
// [History]). Fields combine: a liar
// that is also Ahead tries to drag the median height.
//
// # Testing your own firmware
//
// Firmware (or an app) that asks NIS nodes who owns a device needs tests for
// the bad days too. A typical test:
//
//  1. Start a network of, say, 7 nodes with a fixed Options.Rand and
//     Options.Clock, so keys and times repeat from run to run.
//  2. Make the device account and its owners with [Network.NewAccount] and
//     [Network.ConvertToMultisig]; give the firmware [Network.URLs] as its
//     node list (in Go, e.g. multisig.Resolver.Nodes).
//  3. Check the happy path, then switch nodes with [Node.SetBehavior] and
//     check again: with two nodes [Lying] the device must still find the
//     real owners, or fail closed; with nodes [Down], [Slow] or in [Error]
//     it must answer within its deadline; right after
//     [Network.ModifyMultisig], a [Lagging] node still reports the old
//     owners.
//  4. Keep the device's clock honest with [Network.Advance] and
//     [Network.SetTime]: a command dated with network time must match what
//     the nodes say.
//
// Firmware not written in Go can use the same network: a small Go program
// calls [Start], prints [Network.URLs], and keeps running while the
// firmware's test suite talks to the nodes over HTTP on 127.0.0.1. The
// nodes speak plain NIS JSON, so nothing in the firmware needs to know it
// is talking to nistest.
//
// Nodes are meant for tests: they keep the whole chain in memory and
// answer from it without limits.
//
// # What the nodes answer
//
// GET /heartbeat, /status, /chain/height, /node/info, /node/extended-info,
// /time-sync/network-time, /account/get, /account/get/from-public-key,
// /account/transfers/incoming, /outgoing and /all (paged with id and
// pageSize), /account/unconfirmedTransactions and /transaction/get; POST
// /transaction/announce. As on NIS: cosignatory lists come in random order;
// an empty object is {} (multisigInfo of a plain account, innerHash of a
// plain transaction); publicKey is null until an account signs; lists are
// wrapped in {"data": […]}; an unknown but valid address is a zero account;
// an address of another network is 400 "address must be valid"; transaction
// ids differ between nodes; a hash older than Options.HashRetention is 400
// "Hash was not found in cache"; without the hash look-up feature
// /transaction/get is a 500; an unknown path is a 404 HTML page and a wrong
// method a 500; bodies of 1 KiB and more are gzipped when the client accepts
// it.
package nistest
