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
// [Resolver.Owners]. A device puts an [OwnerCache] in front of it, which
// satisfies command.OwnerSource: run [OwnerCache.Run] in a goroutine for
// background refreshes and call [OwnerCache.Close] at shutdown. A device
// without a real-time clock dates commands with [Resolver.Clock] (or
// [Resolver.NetworkTime]).
//
// # The quorum rule
//
// Owners asks Sample nodes (default 5), picked with an unpredictable random
// source, all at once. Two answers agree only when they name the same
// cosignatory set (NIS lists cosignatories in any order) and the same
// minCosignatories. An answer counts only if it passes strict validation (the
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
// Node list entries naming the same host and port count once; list one node
// per operator, since a quorum is only as good as the independence of the
// nodes in it.
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
// distinct operators, and on plain-HTTP traffic not being rewritten on the
// device's own network path (a man in the middle can answer for every node;
// prefer HTTPS nodes). The embedded lists are defaults to refresh.
package multisig
