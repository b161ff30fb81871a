package command

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nemiot/nemiot/command/internal/format"
	"github.com/nemiot/nemiot/command/internal/replay"
	"github.com/nemiot/nemiot/nem"
)

var cryptoRand = rand.Reader

// processStart is when this process started (package initialization).
// Without a ReplayStore an Opener refuses envelopes dated before it: they
// may have been accepted by an earlier run whose replay cache is gone.
var processStart = time.Now()

// Opener is the device side: it checks command envelopes and opens those its
// owners sent. Set the fields and use it; the zero values of the optional
// fields are sensible defaults, and internal state (replay cache, key cache)
// is made on the first Open. An Opener is safe for concurrent use. Do not
// copy it or change its fields after the first Open, and keep one Opener per
// device key per process: each has its own replay cache.
type Opener struct {
	// Device is the device's private key. Required.
	Device *nem.PrivateKey
	// Owners says whose commands the device obeys. Required.
	Owners OwnerSource
	// Window is how far an envelope's date may be from Clock, either way.
	// 0 (or less) means DefaultWindow, 30 s.
	Window time.Duration
	// Clock is the device's clock; nil means time.Now.
	Clock func() time.Time
	// ClockReady, if set, says whether Clock can be trusted yet: while it
	// returns an error, every envelope is refused with [ErrClock] (wrapping
	// that error) before its date is judged. A device without a real-time
	// clock sets it until the network has told it the time
	// (multisig.NetworkClock.Ready), so it never judges dates, nor accepts
	// anything, by a guessed clock.
	ClockReady func() error

	// MinSignatures is how many distinct owners must sign each command: 2
	// or more accepts only co-signed envelopes (KindCosigned) with that
	// many owner signatures, sender included. 0 means: ask Owners if it
	// implements Threshold, else 1. A single-signer envelope satisfies 1.
	MinSignatures int

	// Replay, when set, makes the replay cache persistent (see
	// ReplayStore and FileStore).
	Replay ReplayStore
	// ReplayCapacity is the most live entries the replay cache holds; 0
	// means DefaultReplayCapacity (100,000). When full, envelopes are
	// refused with ErrReplayFull until entries expire.
	ReplayCapacity int
	// NotBefore refuses (ErrStale) envelopes dated before it. Zero means,
	// when Replay is nil, the instant this process started as Clock reads
	// it now: at every Open, Clock's reading less the monotonic time
	// elapsed since package initialization (which no change of the wall
	// clock moves). A restarted device, its replay cache empty, then
	// cannot be made to accept an envelope it took before the restart,
	// even if its clock was behind at the first Open and was set right
	// later; the bound is as right as the clock is when the envelope
	// comes (see "Replays, clocks and restarts" in the package
	// documentation). With Replay set, zero means no such bound. An
	// injected Clock is read the same way, so a test's fake clock far from
	// the process start (or one stepped forward more than real time
	// passed) needs NotBefore or Replay set.
	NotBefore time.Time
	// KeyCacheSize bounds the owners whose decoded key and key agreement
	// the Opener keeps; 0 means DefaultKeyCacheSize.
	KeyCacheSize int
	// OnOpen, if set, is called after every Open with its result (for
	// metrics and logs: err is a [*RefusedError]). It runs on Open's
	// goroutine, so it must be fast and safe for concurrent use.
	OnOpen func(req *Request, err error)

	mu sync.Mutex
	st atomic.Pointer[openerState]
}

type openerState struct {
	dev       *nem.PrivateKey
	devPub    nem.PublicKey
	clock     func() time.Time
	windowMs  int64
	notBefore int64 // Unix ms; math.MinInt64 for none
	// sinceStart: the bound is the process start, as Clock reads it at
	// each Open (notBefore is then unused).
	sinceStart bool
	replay     *replay.Cache
	keys       *keyCache
	store      ReplayStore
}

// state returns the Opener's internal state, making it on first use. A
// failing ReplayStore.Load is retried on the next call.
func (o *Opener) state(ctx context.Context) (*openerState, error) {
	if st := o.st.Load(); st != nil {
		return st, nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if st := o.st.Load(); st != nil {
		return st, nil
	}
	if o.Device == nil {
		return nil, refuse(ErrConfig, "no Device key")
	}
	if o.Owners == nil {
		return nil, refuse(ErrConfig, "no Owners")
	}
	st := &openerState{
		dev:       o.Device,
		devPub:    o.Device.PublicKey(),
		clock:     o.Clock,
		notBefore: math.MinInt64,
		store:     o.Replay,
	}
	if st.clock == nil {
		st.clock = time.Now
	}
	w := o.Window
	if w <= 0 {
		w = DefaultWindow
	}
	st.windowMs = w.Milliseconds()
	capacity := o.ReplayCapacity
	if capacity <= 0 {
		capacity = DefaultReplayCapacity
	}
	st.replay = replay.New(capacity, st.windowMs)
	size := o.KeyCacheSize
	if size <= 0 {
		size = DefaultKeyCacheSize
	}
	st.keys = newKeyCache(size)
	switch {
	case !o.NotBefore.IsZero():
		st.notBefore = o.NotBefore.UnixMilli()
	case o.Replay == nil:
		st.sinceStart = true
	}
	if o.Replay != nil {
		now := st.clock()
		entries, err := o.Replay.Load(ctx, now)
		if err != nil {
			return nil, refuseCause(ErrReplayStore, err, "loading")
		}
		loaded := make([]replay.Entry, len(entries))
		for i, e := range entries {
			loaded[i] = replay.Entry{Key: replay.Key{Sender: e.Sender, Nonce: e.Nonce}, Expires: e.Expires.UnixMilli()}
		}
		st.replay.Load(loaded, now.UnixMilli())
	}
	o.st.Store(st)
	return st, nil
}

// bound returns the earliest envelope date (Unix ms) accepted when Clock
// reads now.
func (st *openerState) bound(now time.Time) int64 {
	if !st.sinceStart {
		return st.notBefore
	}
	// The process start as the clock reads it now: the monotonic time since
	// then is not moved by a step of the wall clock (a device setting its
	// clock from the network after boot), so the bound moves with the clock.
	return now.Add(-time.Since(processStart)).UnixMilli()
}

// Request is a command that Open accepted: who sent it, when, and what it
// asks. Answer it with [Request.Reply].
type Request struct {
	Command Command
	Sender  nem.PublicKey
	Time    time.Time
	Nonce   [16]byte
	// Cosigners are the owners who cosigned a co-signed command, besides
	// Sender; nil for a single-signer command.
	Cosigners []nem.PublicKey

	dev   *nem.PrivateKey
	peer  *peer
	suite byte
	clock func() time.Time
}

// Open checks envelope and, if the device must obey it, returns the command.
// The checks run in this order, and the first failure refuses the envelope:
//
//  1. version, kind (a command, single-signer or co-signed) and suite are
//     known, and the lengths add up;
//  2. the recipient is Device's public key;
//  3. ClockReady (if set) says the clock is set, and the date is within
//     ±Window of Clock (and not before NotBefore, or before this process
//     started);
//  4. the sender's signature verifies, under a key that is not of small
//     order ([ErrWeakKey]), and then the sender is an owner (Owners);
//  5. likewise each cosigner in turn: its signature, its key, and then
//     whether it is an owner; then at least MinSignatures distinct owners
//     signed;
//  6. the sender's nonce is not in the replay cache (it is then added, and
//     saved to Replay if set);
//  7. the body decrypts (and, co-signed, matches its signed digest);
//  8. the body is a JSON command.
//
// Everything up to step 5 is read from the clear header, and the
// signatures cover all of it, so nothing is decrypted that the sender did
// not sign. Owners is asked about a key only once a signature by that key
// has verified, so an envelope that claims an owner's key but was not
// signed with it costs the device what one from a stranger costs (one
// verification) and is refused for the same reason, [ErrBadSignature]:
// neither the answer nor its timing tells whether a key is an owner. What
// remains: an owner's key that Open has seen lately is kept decoded (see
// [Opener.KeyCacheSize]), which saves a few percent of a refusal's work
// (BENCHMARKS.md at the repository root), and a key's owner check costs
// what Owners takes once a signature by that key verifies, which only the
// key's holder can bring about.
//
// Every error is a [*RefusedError]: log it, and send remote callers only
// [Opaque] of it. ctx is passed to Owners and Replay.
func (o *Opener) Open(ctx context.Context, envelope []byte) (*Request, error) {
	req, err := o.open(ctx, envelope)
	if o.OnOpen != nil {
		o.OnOpen(req, err)
	}
	return req, err
}

// ReplayLen returns how many entries the replay cache holds (live or not
// yet swept); 0 before the first Open.
func (o *Opener) ReplayLen() int {
	st := o.st.Load()
	if st == nil {
		return 0
	}
	return st.replay.Len()
}

func (o *Opener) open(ctx context.Context, envelope []byte) (*Request, error) {
	// Before the state too: a ReplayStore is loaded, and its expired
	// entries dropped, by the clock, which must be set by then.
	if o.ClockReady != nil {
		if err := o.ClockReady(); err != nil {
			return nil, refuseCause(ErrClock, err, "dates are not judged")
		}
	}
	st, err := o.state(ctx)
	if err != nil {
		return nil, err
	}
	e, err := parseEnvelope(envelope)
	if err != nil {
		return nil, err
	}
	if e.Kind == KindReply {
		return nil, refuse(ErrUnsupported, "a reply is not a command")
	}
	if e.Recipient != st.devPub {
		return nil, refuse(ErrWrongRecipient, "envelope is for %s", e.Recipient)
	}

	clock := st.clock()
	now := clock.UnixMilli()
	notBefore := st.bound(clock)
	if e.Time > math.MaxInt64 {
		return nil, refuse(ErrFuture, "time %d ms", e.Time)
	}
	t := int64(e.Time)
	switch {
	case t < now-st.windowMs:
		return nil, refuse(ErrStale, "dated %d ms before now", now-t)
	case t > now+st.windowMs:
		return nil, refuse(ErrFuture, "dated %d ms after now", t-now)
	case t < notBefore:
		return nil, refuse(ErrStale, "dated before this process started (%d ms)", notBefore-t)
	}

	msg := e.SignedMessage()
	p, err := o.signer(ctx, st, e.Sender, msg, &e.Sig, -1)
	if err != nil {
		return nil, err
	}
	for i := range e.Cosigs {
		c := &e.Cosigs[i]
		if _, err := o.signer(ctx, st, c.Key, msg, &c.Sig, i); err != nil {
			return nil, err
		}
	}
	need, err := o.required(ctx)
	if err != nil {
		return nil, err
	}
	if have := 1 + len(e.Cosigs); have < need {
		return nil, refuse(ErrTooFewSignatures, "%d of %d", have, need)
	}

	exp := t + st.windowMs
	switch err := st.replay.Add(replay.Key{Sender: e.Sender, Nonce: e.Nonce}, exp, now); err {
	case nil:
	case replay.ErrForgotten:
		return nil, refuse(ErrStale, "dated before entries the replay cache let go (the clock stepped back)")
	case replay.ErrFull:
		return nil, refuse(ErrReplayFull, "nonce %x", e.Nonce)
	default:
		return nil, refuse(ErrReplay, "nonce %x", e.Nonce)
	}
	if st.store != nil {
		entry := ReplayEntry{Sender: e.Sender, Nonce: e.Nonce, Expires: time.UnixMilli(exp)}
		if err := st.store.Save(ctx, entry, time.UnixMilli(now)); err != nil {
			return nil, refuseCause(ErrReplayStore, err, "saving")
		}
	}

	sk, err := p.shared(st.dev)
	if err != nil {
		return nil, refuse(ErrDecrypt, "no key agreement with the sender")
	}
	body, err := decrypt(sk, e.Suite, e.Ciphertext)
	if err != nil {
		return nil, refuse(ErrDecrypt, "suite 0x%02x", e.Suite)
	}
	if e.Kind == KindCosigned {
		d := format.BodyDigest(body)
		if subtle.ConstantTimeCompare(d[:], e.Digest) != 1 {
			return nil, refuse(ErrBadSignature, "body does not match the signed digest")
		}
	}
	cmd, err := parseCommand(body)
	if err != nil {
		return nil, err
	}
	req := &Request{
		Command: cmd,
		Sender:  e.Sender,
		Time:    time.UnixMilli(t),
		Nonce:   e.Nonce,
		dev:     st.dev,
		peer:    p,
		suite:   e.Suite,
		clock:   st.clock,
	}
	for _, c := range e.Cosigs {
		req.Cosigners = append(req.Cosigners, c.Key)
	}
	return req, nil
}

// signer checks one signer of an envelope: sig must be key's signature of
// msg, key must not be of small order, and only then is Owners asked
// whether key is an owner. It returns key's peer, cached once key passed.
// cosigner is the cosigner's index, or -1 for the sender.
func (o *Opener) signer(ctx context.Context, st *openerState, key nem.PublicKey, msg []byte, sig *nem.Signature, cosigner int) (*peer, error) {
	p := st.keys.lookup(key)
	var verified bool
	if p != nil {
		verified = p.v.Verify(msg, *sig)
	} else {
		verified = key.Verify(msg, *sig) // decodes key, allocating nothing
	}
	if !verified {
		return nil, refuse(ErrBadSignature, "%s signature", role(cosigner))
	}
	if p == nil {
		// The cache holds only keys that passed this check.
		if err := key.Validate(); err != nil {
			return nil, refuseCause(ErrWeakKey, err, "%s", role(cosigner))
		}
	}
	ok, err := o.Owners.IsOwner(ctx, key)
	if err != nil {
		return nil, refuseCause(ErrOwnerLookup, err, "%s %s", role(cosigner), key)
	}
	if !ok {
		return nil, refuse(ErrNotOwner, "%s %s", role(cosigner), key)
	}
	if p == nil {
		v, err := nem.NewVerifier(key)
		if err != nil { // cannot happen: a signature verified under key
			return nil, refuse(ErrBadSignature, "%s key is not a curve point", role(cosigner))
		}
		p = st.keys.add(key, &peer{v: v})
	}
	return p, nil
}

// role names a signer in refusal details.
func role(cosigner int) string {
	if cosigner < 0 {
		return "sender"
	}
	return fmt.Sprintf("cosigner %d", cosigner)
}

// required returns how many distinct owners must sign.
func (o *Opener) required(ctx context.Context) (int, error) {
	if o.MinSignatures > 0 {
		return o.MinSignatures, nil
	}
	t, ok := o.Owners.(Threshold)
	if !ok {
		return 1, nil
	}
	n, err := t.MinSignatures(ctx)
	if err != nil {
		return 0, refuseCause(ErrOwnerLookup, err, "signature threshold")
	}
	if n < 1 {
		// Fail closed: a raw minCosignatories of 0 means all owners, and
		// must never be read as one.
		return 0, refuse(ErrOwnerLookup, "signature threshold %d", n)
	}
	return n, nil
}

// Reply seals the device's answer to r for its sender: a reply envelope
// signed by the device, dated by the Opener's clock, encrypted in the
// command's suite, whose body carries "re" = r's nonce. With err == nil it
// says ok with result (any JSON-encodable value; nil leaves it out); with
// err != nil it says not ok with err.Error() and no result, so err must not
// hold anything the sender may not read. It reads from rand (nil means
// crypto/rand) as [Seal] does.
func (r *Request) Reply(rand io.Reader, result any, err error) ([]byte, error) {
	if r == nil || r.dev == nil || r.peer == nil {
		return nil, ErrNotOpened
	}
	if rand == nil {
		rand = cryptoRand
	}
	var resultJSON []byte
	var errText string
	if err != nil {
		errText = err.Error()
	} else if result != nil {
		b, merr := json.Marshal(result)
		if merr != nil {
			return nil, fmt.Errorf("command: encoding the result: %w", merr)
		}
		resultJSON = b
	}
	ms, terr := envelopeTime(r.clock())
	if terr != nil {
		return nil, terr
	}
	nonce, rerr := readNonce(rand)
	if rerr != nil {
		return nil, rerr
	}
	body, berr := format.MarshalReply(&r.Nonce, err == nil, resultJSON, errText)
	if berr != nil {
		return nil, invalidBody(berr)
	}
	if body, berr = format.Pad(rand, body); berr != nil {
		return nil, berr
	}
	sk, kerr := r.peer.shared(r.dev)
	if kerr != nil {
		return nil, fmt.Errorf("command: key agreement with the sender: %w", kerr)
	}
	return build(rand, r.dev, sk, r.Sender, KindReply, r.suite, ms, &nonce, body)
}
