// Package command carries commands from a device's owners to the device, and
// the device's replies back, as sealed envelopes: encrypted with NEM message
// encryption and signed with NIS1 keys, so that any NEM wallet key can
// command a device and any NEM SDK can build the envelopes.
//
// # Where to start
//
// The app (an owner) calls [Seal] to make an envelope, sends it to the
// device (package hub serves them over HTTP), and checks the answer with
// [OpenReply]. An app that sends a device more than one command keeps a
// [Sender] for it ([NewSender]) and calls its [Sender.Seal] and
// [Sender.OpenReply]: the same envelopes, without a key agreement per call.
// The device keeps one [Opener] (its key, an [OwnerSource] such
// as [StaticOwners] or the multisig owner cache, and a clock) and calls
// [Opener.Open] on each envelope; it acts on the returned [Request] and
// answers with [Request.Reply].
//
//	env, err := command.Seal(nil, ownerKey, devicePub, command.Command{Name: "light", Args: json.RawMessage(`{"on":true}`)}, time.Now())
//	// … on the device:
//	opener := &command.Opener{Device: deviceKey, Owners: command.StaticOwners(ownerPub)}
//	req, err := opener.Open(ctx, env)
//	if err != nil {
//		log.Print(err)               // the reason, for local logs
//		return command.Opaque(err)   // all a remote caller learns: "refused"
//	}
//	reply, err := req.Reply(nil, result, actionErr)
//
// # Envelope format
//
// Encrypt-then-sign: everything the device checks before it decrypts is in a
// clear header that the sender signs. All integers are big-endian.
//
//	envelope   = header (95) | ciphertext | signature (64)
//	header     = version 0x01 (1) | kind (1) | suite (1)
//	             | sender public key (32) | recipient public key (32)
//	             | time (8, Unix milliseconds) | nonce (16, random)
//	             | ciphertext length (4)
//	kind       = 0x01 command, 0x02 reply, 0x03 co-signed command
//	suite      = 0x01 CBC: nem.EncryptCBC (salt 32 | iv 16 | AES-256-CBC)
//	             0x02 GCM: nem.EncryptGCM (tag 16 | iv 12 | AES-256-GCM); Seal uses it
//	ciphertext = the suite's encryption of body, from sender to recipient
//	signature  = sender's NIS1 signature of "nemiot/envelope/v1" | header | ciphertext
//	body       = JSON in ASCII, non-ASCII text as \uXXXX escapes:
//	             command {"cmd": string, "args": any, "pad": hex}
//	             reply   {"re": hex nonce of the command, "ok": bool,
//	                      "result": any, "error": string, "pad": hex}
//	pad        = random lowercase hex characters, as many as make the body
//	             as long as a length drawn uniformly from the 128 that start
//	             at the first multiple of 64 at least 32 beyond the body's
//	             length with an empty pad (32..222 characters, odd or even)
//
// The pad hides a body's length: every body whose length with an empty pad
// rounds to the same 64 has the same distribution of padded lengths, so a
// command such as {"on":true} and its {"on":false}, or the replies that
// report either state, cannot be told apart by their size; bodies whose
// lengths round to neighbouring multiples share half their padded lengths.
// A device ignores the pad, so any pad a sender writes is
// accepted; examples/js-app pads by the same rule.
//
// Header offsets: version 0, kind 1, suite 2, sender 3-34, recipient 35-66,
// time 67-74, nonce 75-90, ciphertext length 91-94. Bodies are read
// strictly, so that every JSON parser reads one alike: a single object,
// member names matched exactly and none twice in any object (args and
// result included), "cmd", "re" and "error" strings, "ok" a boolean;
// unknown members are ignored. A reply is encrypted in
// the suite of the command it answers, so an app that can only do CBC
// (nem-sdk) can read it. The JavaScript program in examples/js-app builds
// envelopes with nem-sdk (CBC) or symbol-sdk 3 (GCM) alone.
//
// # What the device checks
//
// [Opener.Open] refuses an envelope at the first failed check, in this order:
// known version, kind and suite, and exact lengths; recipient is the device;
// date within ±[Opener.Window] (default 30 s) of [Opener.Clock], and not
// before the process started; the sender's signature, under a key that is
// not of small order, and then whether the sender is an owner; the same for
// each cosigner, and enough owners signed; nonce not seen before from this
// sender; decryption; JSON. Each refusal is a [*RefusedError] whose Reason
// ([ErrStale], [ErrReplay], [ErrNotOwner], [ErrBadSignature], …) is for
// local code and logs; remote callers get only [ErrRefused], via [Opaque],
// so that a sender learns nothing about why.
//
// The [OwnerSource] is asked about a key only after a signature by that key
// verified. An envelope that claims an owner's key without its signature is
// refused as one that claims a stranger's is: the same reason
// ([ErrBadSignature]) after the same work, one signature verification, so
// neither the refusal nor its timing tells whether a key is an owner. What
// still differs: an owner whose commands Open took lately has its key kept
// decoded, which saves a small part of the verification (a few percent:
// BenchmarkOpenRefuseNonOwner and BenchmarkOpenRefuseBadSig, an owner's
// key, measure the two; BENCHMARKS.md at the repository root has the
// figures); and once a signature verifies, the owner check costs what the
// OwnerSource takes, which only the holder of that key can bring about.
//
// # Weak keys
//
// A public key that is a point of small order (eight points, the all-zero
// key among them) has no private key anyone needs: a signature under it can
// be forged, and what is encrypted to it can be read by all. Open refuses
// such a sender or cosigner ([ErrWeakKey]) even if its OwnerSource lists
// it, [StaticOwners] never counts one as an owner ([NewStaticOwners]
// refuses it), [Proposal.Inspect] refuses such a signer, and [Seal],
// [SealCBC], [Propose], [NewSender] and [OpenReply] refuse such a device
// key with an error wrapping [nem.ErrWeakKey]. Chain transactions keep
// NIS's own rule ([nem.PublicKey.Verify]).
//
// # Replays, clocks and restarts
//
// The device remembers each accepted (sender, nonce) until the envelope's
// date leaves the window; a second envelope with the same pair is
// [ErrReplay]. The cache holds [DefaultReplayCapacity] live entries unless
// set otherwise; it never evicts a live entry, so when full it refuses
// ([ErrReplayFull]) until entries expire. If the clock steps back, an
// envelope whose entry the cache has already let go is refused as
// [ErrStale] rather than taken as new. A restarted device would have an
// empty cache, so by default an Opener also refuses envelopes dated before
// its process started: a reboot cannot reopen the window. Give it a
// [ReplayStore] ([FileStore]) to keep the cache across restarts instead.
//
// That instant is worked out at every Open, as the clock's reading less the
// monotonic time since the process started, so it is as right as the clock
// is when the envelope comes: a device that boots with its clock behind
// and sets it from the network later refuses, from then on, what it took
// before the restart, however early someone made it open something. While
// the clock is wrong, though, so is the bound. A device whose clock can be
// behind at boot by more than the window (a Raspberry Pi without a
// real-time clock restores the time it shut down at) must therefore either
// keep a [FileStore], so that the replay cache itself survives the restart,
// or not open envelopes until its clock is set
// from network time (NTP, or the owner quorum's network time in package
// multisig). The same holds where someone may set the clock back (a forged
// time source): use a FileStore.
//
// The caller's obligations: the device's clock must be right to within the
// window (a device without a real-time clock can use the owner quorum's
// network time, see package multisig); nonces come from rand, so pass a
// cryptographic source or nil; keep one Opener per device key per process.
//
// # Co-signed commands (m of n owners)
//
// A device owned by a NEM multisig account can demand, like the chain, that
// several owners approve a command: set [Opener.MinSignatures], or let the
// OwnerSource say it (the [Threshold] interface). Such commands travel in a
// co-signed envelope, kind 0x03, which only adds fields; single-signer
// envelopes are unchanged:
//
//	envelope     = header (kind 0x03) | ciphertext | digest (32) | signature (64)
//	               | count (1, 1..32) | cosignature × count
//	digest       = SHA-256("nemiot/body/v1" | body)
//	cosignature  = cosigner public key (32) | cosigner's signature (64)
//	signed bytes = "nemiot/envelope/v1" | header | ciphertext | digest,
//	               the same for the sender and every cosigner
//
// Cosigners must be distinct and differ from the sender; the header's kind
// is signed, so cosignatures cannot be stripped to make a single-signer
// envelope, and the sender's nonce is what the replay cache keeps, so one
// command cannot run twice with two sets of cosigners. Only the sender can
// decrypt the ciphertext (besides the device), so the cosigners approve the
// plaintext body instead: the sender gives it to them with the envelope (a
// [Proposal], from [Propose]), each checks it against the signed digest and
// adds a signature ([Proposal.Inspect], [Proposal.Cosign]), and the device
// checks every signature before decrypting and the digest after. A sender
// who shows cosigners one command and encrypts another is refused. The body's
// random pad keeps the digest from revealing a guessable command.
//
// # Costs
//
// The device keeps, per owner, the decoded public key and the result of the
// key agreement (the ECDH point for CBC, the HKDF key for GCM), so opening an
// envelope costs about one signature verification. That cache is bounded
// ([Opener.KeyCacheSize]) and holds only keys the OwnerSource accepted. The
// replay cache takes a few tens of bytes per live entry, about a third of
// what a Go map of the same keys would, so the default capacity of 100,000
// fits in a few megabytes, and it allocates nothing per envelope once warm.
// BENCHMARKS.md at the repository root has the measured costs (Seal, Open,
// OpenReply, the replay cache's bytes per entry) and the commands that
// reproduce them.
//
// On the app side, [Seal] and [OpenReply] each make a key agreement with the
// device (a scalar multiplication, most of their cost) and decode its key;
// a [Sender] makes both once, so that its Seal costs about one signature
// and its OpenReply about one verification.
//
// # Source layout
//
// The public API is this package. The wire format (header layout, parsing,
// the JSON bodies and their pad) is in internal/format, the replay cache's
// table in internal/replay; neither holds a key or does cryptography.
package command
