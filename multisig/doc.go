// Package multisig answers the question a device asks before it obeys
// anyone: who owns me? The owners of a device are the cosignatories of its
// NEM multisig account, and this package learns them from a quorum of
// randomly chosen NIS nodes, so that no single node can hand the device to
// an attacker.
//
// # Where to start
//
// Make a [Resolver] with the node list the device ships (nil Nodes means the
// embedded [MainnetNodes], or [TestnetNodes] for a testnet account) and call
// [Resolver.Owners]: the owner set a quorum of nodes agrees on and the
// account's verified history leads to. A device puts an [OwnerCache] in front of it, which
// satisfies command.OwnerSource: run [OwnerCache.Run] in a goroutine for
// background refreshes and call [OwnerCache.Close] at shutdown. A device
// without a real-time clock dates commands with [Resolver.Clock] (or
// [Resolver.NetworkTime]).
//
// # The quorum rule
//
// Owners asks Sample nodes (default 5), drawn across operators (see "Node
// lists") with an unpredictable random source, all at once. Two answers
// agree only when they name the same cosignatory set (NIS lists
// cosignatories in any order) and the same minCosignatories. An answer
// counts only if it passes strict validation (the
// account asked about, consistent counts, every cosignatory's address derived
// from its key, no duplicates) and comes from a node whose chain height is
// within MaxLag blocks of the median of the answers. An answer wins as soon
// as Quorum (default 3) counted answers agree, they outnumber all counted
// answers that differ, and none of those reports a higher chain height than
// the lowest of the agreeing answers (their group's height, which becomes
// [Owners.Height]): two liars repeating an old owner set at the current
// height cannot win with a lagging honest node that still sees that set.
// While that cannot happen with the answers still
// expected — nodes failed, lag, disagree or hang — the search widens to
// further random nodes from the list, until a decision, the end of the list
// or the end of the context. A hung node never holds up an answer: the
// search returns as soon as a quorum exists, and starts a replacement for a
// node that stays silent for StallAfter.
//
// With Quorum > Sample/2, fewer than Quorum lying nodes — even colluding on
// the same lie — can never produce an answer: the result is the true owners
// or [ErrNoQuorum]. What the nodes said is in the returned [*QuorumError].
// "Lying nodes" means lying operators: one node, and one operator, is one
// vote, as the next section says.
//
// # Custody
//
// A quorum alone can be captured: a colluding majority of the nodes asked
// could name an attacker's key. So every answer also carries the node's
// history of the account (its multisig modifications), which the device
// verifies itself with [Custody]: from its own conversion, signed by its
// own key, through every later modification, each a multisig transaction
// whose signatures meet the owners and minimum of that moment. An answer
// counts only if the node's verified history leads to the owner set the
// node reports, and answers agree only if their histories end with the
// same modification. Lying nodes, however many, can then hide recent
// changes (serve a truncated history) but never make the device obey a key
// its real owners did not add: the result is the true owners (or an older
// set of them) or [ErrNoQuorum], whose report marks forged answers with
// [ErrCustody].
//
// Histories are read in pages, newest first. [OwnerCache] keeps the
// verified history of its last answer ([Owners.Custody]) and refreshes
// with [Resolver.OwnersSince]: nodes are asked only for what is newer (one
// request per node when nothing changed), and a node whose history lacks a
// modification the cache has verified does not count, so a change the
// device has seen cannot be undone. Write owner changes with [Client].
// [Resolver.SkipCustody] turns this off, for nodes that serve no
// histories.
//
// # Node lists
//
// A vendor sets the list its devices use in [Resolver.Nodes]: base URLs
// such as "https://node.example.org:7891" (http or https; a URL without a
// port means 80 or 443, as for any HTTP client, so write NIS's 7890 or 7891
// out). Nil Nodes means the embedded [MainnetNodes] or [TestnetNodes]. One
// node is one vote, however often the list names it:
//
//   - Entries naming one endpoint count once: scheme, case, path and IP
//     spelling aside (127.0.0.1 and [::ffff:127.0.0.1] are one address).
//   - Before asking a node, its host name is resolved with
//     [Resolver.LookupIP] (the resolver its HTTP client dials with), and a
//     node whose address and port another node of the round already holds
//     is not asked: localhost and 127.0.0.1, two names of one machine, or
//     127.1 where the system resolver reads it as 127.0.0.1.
//   - With its answer each node is asked, at the same time, for its
//     /node/info identity key: answers under one key count once. If they
//     disagree, none of them counts, so a node claiming another's key
//     cancels its own vote with the one it hides. A node that does not tell
//     its key counts by its address and operator alone.
//
// Nodes are grouped by operator with [Resolver.Operator] (default
// [NodeOperator]: the registrable domain of a host name, so
// alice2.nem.ninja and hugealice.nem.ninja are one operator; the /24 of an
// IPv4 address and the /48 of an IPv6 one; loopback nodes by address and
// port, so a local test network of many ports works). The draw takes one
// node of each operator, in random order, before a second node of any; the
// answers of one operator count as one vote (none if they disagree); and a
// list must hold at least Quorum operators, else Owners returns
// [ErrConfig]. Of the 27 embedded mainnet nodes 19 belong to nem.ninja (17
// by name, 2 by address), so a uniform sample of 5 would hold 3 of them
// with probability 0.86; drawn across the 8 operators, never. A vendor who
// knows the operators better (registry operator keys, several domains of
// one company, nodes on one LAN) sets Operator, and may fall back to
// NodeOperator for the rest. Each answer of a node that did not count says
// why in [QuorumError.Answers] (wrapping [ErrDuplicate]).
//
// # The caller's obligations
//
// Ship and refresh a vetted node list (see [MainnetNodes]); give every
// call a context with a deadline; keep one [OwnerCache] per device account
// and choose its TTL and MaxStale knowingly: MaxStale is how long an owner
// removed on chain can still command a device that cannot reach the nodes.
//
// # Caveats
//
// NIS answers carry no proofs. Security rests on the list holding nodes of
// distinct operators (the grouping above merges only what names, addresses
// and claimed identity keys reveal), and on plain-HTTP traffic not being
// rewritten on the device's own network path (a man in the middle can
// answer for every node; prefer HTTPS nodes). The embedded lists are
// defaults to refresh.
package multisig
