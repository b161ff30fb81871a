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
	// it (Clock's reading at the first Open, less the monotonic time
	// elapsed since package initialization): a restarted device, its
	// replay cache empty, cannot be made to accept an envelope it took
	// before the restart. With Replay set, zero means no such bound. Tests
	// with a fake clock far from the wall clock may need to set it.
	NotBefore time.Time
	// KeyCacheSize bounds the owners whose decoded key and key agreement
	// the Opener keeps; 0 means DefaultKeyCacheSize.
	KeyCacheSize int

	mu sync.Mutex
	st atomic.Pointer[openerState]
}

type openerState struct {
	dev       *nem.PrivateKey
	devPub    nem.PublicKey
	clock     func() time.Time
	windowMs  int64
	notBefore int64 // Unix ms; math.MinInt64 for none
	replay    *replayCache
	keys      *keyCache
	store     ReplayStore
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
	st.replay = newReplayCacheWindow(capacity, st.windowMs)
	size := o.KeyCacheSize
	if size <= 0 {
		size = DefaultKeyCacheSize
	}
	st.keys = newKeyCache(size)
	now := st.clock()
	switch {
	case !o.NotBefore.IsZero():
		st.notBefore = o.NotBefore.UnixMilli()
	case o.Replay == nil:
		st.notBefore = now.Add(-time.Since(processStart)).UnixMilli()
	}
	if o.Replay != nil {
		entries, err := o.Replay.Load(ctx, now)
		if err != nil {
			return nil, refuseCause(ErrReplayStore, err, "loading")
		}
		st.replay.load(entries, now.UnixMilli())
	}
	o.st.Store(st)
	return st, nil
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
//  3. the sender and every cosigner are owners (Owners), and at least
//     MinSignatures distinct owners signed;
//  4. the date is within ±Window of Clock (and not before NotBefore);
//  5. every signature verifies;
//  6. the sender's nonce is not in the replay cache (it is then added, and
//     saved to Replay if set);
//  7. the body decrypts (and, co-signed, matches its signed digest);
//  8. the body is a JSON command.
//
// Everything up to step 5 is read from the clear header, and step 5 covers
// all of it, so nothing is decrypted that the sender did not sign. Every
// error is a [*RefusedError]: log it, and send remote callers only
// [Opaque] of it. ctx is passed to Owners and Replay.
func (o *Opener) Open(ctx context.Context, envelope []byte) (*Request, error) {
	st, err := o.state(ctx)
	if err != nil {
		return nil, err
	}
	e, err := parseEnvelope(envelope)
	if err != nil {
		return nil, err
	}
	if e.kind == KindReply {
		return nil, refuse(ErrUnsupported, "a reply is not a command")
	}
	if e.recipient != st.devPub {
		return nil, refuse(ErrWrongRecipient, "envelope is for %s", e.recipient)
	}

	if err := o.checkOwner(ctx, e.sender, "sender"); err != nil {
		return nil, err
	}
	for _, c := range e.cosigs {
		if err := o.checkOwner(ctx, c.key, "cosigner"); err != nil {
			return nil, err
		}
	}
	need, err := o.required(ctx)
	if err != nil {
		return nil, err
	}
	if have := 1 + len(e.cosigs); have < need {
		return nil, refuse(ErrTooFewSignatures, "%d of %d", have, need)
	}

	now := st.clock().UnixMilli()
	if e.timeMs > math.MaxInt64 {
		return nil, refuse(ErrFuture, "time %d ms", e.timeMs)
	}
	t := int64(e.timeMs)
	switch {
	case t < now-st.windowMs:
		return nil, refuse(ErrStale, "dated %d ms before now", now-t)
	case t > now+st.windowMs:
		return nil, refuse(ErrFuture, "dated %d ms after now", t-now)
	case t < st.notBefore:
		return nil, refuse(ErrStale, "dated before this process started (%d ms)", st.notBefore-t)
	}

	p, err := st.keys.get(e.sender)
	if err != nil {
		return nil, refuse(ErrBadSignature, "sender key is not a curve point")
	}
	msg := e.signedMessage()
	if !p.v.Verify(msg, e.sig) {
		return nil, refuse(ErrBadSignature, "sender signature")
	}
	for i, c := range e.cosigs {
		cp, err := st.keys.get(c.key)
		if err != nil || !cp.v.Verify(msg, c.sig) {
			return nil, refuse(ErrBadSignature, "cosignature %d", i)
		}
	}

	exp := t + st.windowMs
	if err := st.replay.add(replayKey{sender: e.sender, nonce: e.nonce}, exp, now); err != nil {
		if err == ErrStale {
			return nil, refuse(err, "dated before entries the replay cache let go (the clock stepped back)")
		}
		return nil, refuse(err, "nonce %x", e.nonce)
	}
	if st.store != nil {
		entry := ReplayEntry{Sender: e.sender, Nonce: e.nonce, Expires: time.UnixMilli(exp)}
		if err := st.store.Save(ctx, entry, time.UnixMilli(now)); err != nil {
			return nil, refuseCause(ErrReplayStore, err, "saving")
		}
	}

	sk, err := p.shared(st.dev)
	if err != nil {
		return nil, refuse(ErrDecrypt, "no key agreement with the sender")
	}
	body, err := decrypt(sk, e.suite, e.ct)
	if err != nil {
		return nil, refuse(ErrDecrypt, "suite 0x%02x", e.suite)
	}
	if e.kind == KindCosigned {
		d := bodyDigest(body)
		if subtle.ConstantTimeCompare(d[:], e.digest) != 1 {
			return nil, refuse(ErrBadSignature, "body does not match the signed digest")
		}
	}
	cmd, err := parseCommandBody(body)
	if err != nil {
		return nil, err
	}
	req := &Request{
		Command: cmd,
		Sender:  e.sender,
		Time:    time.UnixMilli(t),
		Nonce:   e.nonce,
		dev:     st.dev,
		peer:    p,
		suite:   e.suite,
		clock:   st.clock,
	}
	for _, c := range e.cosigs {
		req.Cosigners = append(req.Cosigners, c.key)
	}
	return req, nil
}

func (o *Opener) checkOwner(ctx context.Context, k nem.PublicKey, role string) error {
	ok, err := o.Owners.IsOwner(ctx, k)
	if err != nil {
		return refuseCause(ErrOwnerLookup, err, "%s %s", role, k)
	}
	if !ok {
		return refuse(ErrNotOwner, "%s %s", role, k)
	}
	return nil
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
	nonce, pad, rerr := readNonceAndPad(rand)
	if rerr != nil {
		return nil, rerr
	}
	body, berr := replyBody(&r.Nonce, err == nil, resultJSON, errText, pad)
	if berr != nil {
		return nil, berr
	}
	sk, kerr := r.peer.shared(r.dev)
	if kerr != nil {
		return nil, fmt.Errorf("command: key agreement with the sender: %w", kerr)
	}
	return build(rand, r.dev, sk, r.Sender, KindReply, r.suite, ms, &nonce, body)
}
