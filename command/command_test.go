package command

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nemiot/nemiot/command/internal/format"
	"github.com/nemiot/nemiot/nem"
)

var ctx = context.Background()

// TestRoundTrip seals commands in both suites, opens them, replies, and
// checks the reply, for a table of commands and results.
func TestRoundTrip(t *testing.T) {
	cases := []struct {
		name    string
		cmd     Command
		result  any
		err     error
		want    Reply // OK, Result, Error
		wantArg string
	}{
		{name: "no args", cmd: Command{Name: "status"}, result: map[string]bool{"light": true},
			want: Reply{OK: true, Result: json.RawMessage(`{"light":true}`)}},
		{name: "object args", cmd: Command{Name: "light", Args: json.RawMessage(`{"on": true}`)}, wantArg: `{"on":true}`,
			want: Reply{OK: true}},
		{name: "number args", cmd: Command{Name: "fan", Args: json.RawMessage(`3`)}, result: 3, wantArg: `3`,
			want: Reply{OK: true, Result: json.RawMessage(`3`)}},
		{name: "non-ASCII", cmd: Command{Name: "say", Args: json.RawMessage(`{"text":"héllo 日本 😀"}`)}, result: "ok ✓",
			wantArg: `{"text":"h\u00e9llo \u65e5\u672c \ud83d\ude00"}`, want: Reply{OK: true, Result: json.RawMessage(`"ok \u2713"`)}},
		{name: "device error", cmd: Command{Name: "fan", Args: json.RawMessage(`{"speed":9}`)}, result: "ignored",
			err: errors.New("speed 9 is out of range 0..3"), wantArg: `{"speed":9}`,
			want: Reply{OK: false, Error: "speed 9 is out of range 0..3"}},
		{name: "null args", cmd: Command{Name: "halt", Args: json.RawMessage(`null`)}, want: Reply{OK: true}},
	}
	seals := map[string]func(*nem.PrivateKey, nem.PublicKey, Command, time.Time) ([]byte, error){
		"GCM": func(k *nem.PrivateKey, d nem.PublicKey, c Command, at time.Time) ([]byte, error) {
			return Seal(nil, k, d, c, at)
		},
		"CBC": func(k *nem.PrivateKey, d nem.PublicKey, c Command, at time.Time) ([]byte, error) {
			return SealCBC(nil, k, d, c, at)
		},
	}
	for suite, sealFn := range seals {
		for _, tc := range cases {
			t.Run(suite+"/"+tc.name, func(t *testing.T) {
				f := newFixture(t)
				sent := t0.Add(-1500 * time.Millisecond)
				env, err := sealFn(f.owner, f.device.PublicKey(), tc.cmd, sent)
				if err != nil {
					t.Fatal(err)
				}
				req, err := f.opener.Open(ctx, env)
				if err != nil {
					t.Fatal(err)
				}
				if req.Command.Name != tc.cmd.Name || string(req.Command.Args) != tc.wantArg {
					t.Errorf("command = %q %s, want %q %s", req.Command.Name, req.Command.Args, tc.cmd.Name, tc.wantArg)
				}
				if req.Sender != f.owner.PublicKey() || !req.Time.Equal(sent) || req.Cosigners != nil {
					t.Errorf("request = sender %s time %v cosigners %v", req.Sender, req.Time, req.Cosigners)
				}
				if !bytes.Equal(req.Nonce[:], env[75:91]) {
					t.Errorf("nonce %x, header has %x", req.Nonce, env[75:91])
				}
				f.clock.Set(t0.Add(time.Second))
				rep, err := req.Reply(nil, tc.result, tc.err)
				if err != nil {
					t.Fatal(err)
				}
				if rep[2] != env[2] {
					t.Errorf("reply suite 0x%02x, command suite 0x%02x", rep[2], env[2])
				}
				got, err := OpenReply(f.owner, f.device.PublicKey(), env, rep, t0)
				if err != nil {
					t.Fatal(err)
				}
				want := tc.want
				want.Time = t0.Add(time.Second)
				if got.OK != want.OK || string(got.Result) != string(want.Result) || got.Error != want.Error || !got.Time.Equal(want.Time) {
					t.Errorf("reply = %+v (result %s), want %+v (result %s)", *got, got.Result, want, want.Result)
				}
			})
		}
	}
}

// TestLayout reads a sealed envelope with the DESIGN offsets and nem's
// primitives only, not with this package's parser.
func TestLayout(t *testing.T) {
	f := newFixture(t)
	for _, suite := range []byte{SuiteCBC, SuiteGCM} {
		env, err := seal(nil, f.owner, f.device.PublicKey(), Command{Name: "light", Args: json.RawMessage(`{"on":false}`)}, t0, suite)
		if err != nil {
			t.Fatal(err)
		}
		if env[0] != 1 || env[1] != 1 || env[2] != suite {
			t.Fatalf("version/kind/suite = % x", env[:3])
		}
		owner, dev := f.owner.PublicKey(), f.device.PublicKey()
		if !bytes.Equal(env[3:35], owner[:]) || !bytes.Equal(env[35:67], dev[:]) {
			t.Fatal("sender or recipient not at 3-34, 35-66")
		}
		if ms := binary.BigEndian.Uint64(env[67:75]); ms != uint64(t0.UnixMilli()) {
			t.Fatalf("time %d, want %d", ms, t0.UnixMilli())
		}
		n := int(binary.BigEndian.Uint32(env[91:95]))
		if 95+n+64 != len(env) {
			t.Fatalf("length field %d, envelope %d bytes", n, len(env))
		}
		var sig nem.Signature
		copy(sig[:], env[95+n:])
		if !f.owner.PublicKey().Verify(append([]byte("nemiot/envelope/v1"), env[:95+n]...), sig) {
			t.Fatal("signature does not verify over domain | header | ciphertext")
		}
		decrypt := nem.DecryptGCM
		if suite == SuiteCBC {
			decrypt = nem.DecryptCBC
		}
		body, err := decrypt(f.device, f.owner.PublicKey(), env[95:95+n])
		if err != nil {
			t.Fatal(err)
		}
		var b map[string]any
		if err := json.Unmarshal(body, &b); err != nil {
			t.Fatalf("body %q: %v", body, err)
		}
		pad, _ := b["pad"].(string)
		if b["cmd"] != "light" || !isLowerHex(pad) || len(pad) < format.MinPad || len(pad) > format.MaxPad || len(b) != 3 {
			t.Fatalf("body %s", body)
		}
	}
}

func TestSealErrors(t *testing.T) {
	f := newFixture(t)
	dev := f.device.PublicKey()
	for _, tc := range []struct {
		name string
		key  *nem.PrivateKey
		cmd  Command
		at   time.Time
	}{
		{"empty name", f.owner, Command{}, t0},
		{"bad args", f.owner, Command{Name: "x", Args: json.RawMessage(`{"on":`)}, t0},
		{"invalid UTF-8 args", f.owner, Command{Name: "x", Args: json.RawMessage("\"\xc3\"")}, t0},
		{"before 1970", f.owner, Command{Name: "x"}, time.Unix(-1, 0)},
		{"no key", nil, Command{Name: "x"}, t0},
	} {
		if _, err := Seal(nil, tc.key, dev, tc.cmd, tc.at); !errors.Is(err, ErrInvalidCommand) {
			t.Errorf("%s: err = %v, want ErrInvalidCommand", tc.name, err)
		}
	}
	if _, err := Seal(bytes.NewReader(make([]byte, 20)), f.owner, dev, Command{Name: "x"}, t0); err == nil {
		t.Error("short rand: no error")
	}
	if _, err := (&Request{}).Reply(nil, nil, nil); !errors.Is(err, ErrNotOpened) {
		t.Errorf("Reply on a bare Request: %v", err)
	}
}

// TestSealDeterministic: with the same rand, Seal gives the same bytes, and
// a different rand a different nonce.
func TestSealDeterministic(t *testing.T) {
	f := newFixture(t)
	a, _ := Seal(detRand("x"), f.owner, f.device.PublicKey(), Command{Name: "x"}, t0)
	b, _ := Seal(detRand("x"), f.owner, f.device.PublicKey(), Command{Name: "x"}, t0)
	c, _ := Seal(detRand("y"), f.owner, f.device.PublicKey(), Command{Name: "x"}, t0)
	if !bytes.Equal(a, b) || bytes.Equal(a[75:91], c[75:91]) {
		t.Error("Seal does not draw everything from rand")
	}
}

// TestTamper flips every byte (all bits, then one bit) of envelopes of each
// kind: each must be refused, and the untouched envelope still opens after.
func TestTamper(t *testing.T) {
	f := newFixture(t)
	cosigner := testKey(t, "cosigner")
	f.opener.Owners = StaticOwners(f.owner.PublicKey(), cosigner.PublicKey())
	gcm := f.seal(t, Command{Name: "light", Args: json.RawMessage(`{"on":true}`)}, t0)
	cbc, _ := SealCBC(nil, f.owner, f.device.PublicKey(), Command{Name: "light"}, t0)
	p, _ := Propose(nil, f.owner, f.device.PublicKey(), Command{Name: "unlock"}, t0)
	if err := p.Cosign(cosigner); err != nil {
		t.Fatal(err)
	}
	for name, env := range map[string][]byte{"GCM": gcm, "CBC": cbc, "co-signed": p.Envelope} {
		t.Run(name, func(t *testing.T) {
			for i := range env {
				for _, mask := range []byte{0xff, 1 << (i % 8)} {
					bad := bytes.Clone(env)
					bad[i] ^= mask
					if req, err := f.opener.Open(ctx, bad); err == nil || !isKnownRefusal(err) {
						t.Fatalf("byte %d ^ %#x: Open = %v, %v", i, mask, req, err)
					}
				}
			}
			for n := range len(env) {
				if _, err := f.opener.Open(ctx, env[:n]); !isKnownRefusal(err) {
					t.Fatalf("truncated to %d: %v", n, err)
				}
			}
			if _, err := f.opener.Open(ctx, append(bytes.Clone(env), 0)); !isKnownRefusal(err) {
				t.Fatalf("extended: %v", err)
			}
			if _, err := f.opener.Open(ctx, env); err != nil {
				t.Fatalf("original after tampering: %v", err)
			}
		})
	}
}

// TestTamperReply flips every byte of a reply: OpenReply refuses each.
func TestTamperReply(t *testing.T) {
	f := newFixture(t)
	env := f.seal(t, Command{Name: "status"}, t0)
	req, err := f.opener.Open(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := req.Reply(nil, map[string]int{"fan": 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rep {
		for _, mask := range []byte{0xff, 1 << (i % 8)} {
			bad := bytes.Clone(rep)
			bad[i] ^= mask
			if r, err := OpenReply(f.owner, f.device.PublicKey(), env, bad, t0); err == nil || !isKnownRefusal(err) {
				t.Fatalf("byte %d ^ %#x: OpenReply = %v, %v", i, mask, r, err)
			}
		}
	}
	if _, err := OpenReply(f.owner, f.device.PublicKey(), env, rep, t0); err != nil {
		t.Fatal(err)
	}
}

// withHeader rewrites one header byte range (the signature then fails, but
// the checks before it come first).
func withHeader(env []byte, off int, b ...byte) []byte {
	out := bytes.Clone(env)
	copy(out[off:], b)
	return out
}

// TestRefusals checks the reason for each kind of bad envelope, and that
// the checks run in the documented order.
func TestRefusals(t *testing.T) {
	f := newFixture(t)
	stranger := testKey(t, "stranger")
	other := testKey(t, "other device")
	good := func() []byte { return f.seal(t, Command{Name: "x"}, t0) }
	fromStranger, _ := Seal(nil, stranger, f.device.PublicKey(), Command{Name: "x"}, t0)
	toOther, _ := Seal(nil, f.owner, other.PublicKey(), Command{Name: "x"}, t0)
	w := DefaultWindow
	cases := []struct {
		name   string
		env    []byte
		reason error
	}{
		{"empty", nil, ErrMalformed},
		{"version 2", withHeader(good(), 0, 2), ErrUnsupported},
		{"version 0", withHeader(good(), 0, 0), ErrUnsupported},
		{"kind 0", withHeader(good(), 1, 0), ErrUnsupported},
		{"kind 4", withHeader(good(), 1, 4), ErrUnsupported},
		{"reply kind", withHeader(good(), 1, KindReply), ErrUnsupported},
		{"suite 3", withHeader(good(), 2, 3), ErrUnsupported},
		{"unknown version before wrong recipient", withHeader(toOther, 0, 9), ErrUnsupported},
		{"length too big", withHeader(good(), 91, 0xff, 0, 0, 0), ErrMalformed},
		{"wrong recipient", toOther, ErrWrongRecipient},
		{"wrong recipient before owner", withHeader(fromStranger, 35, pubBytes(other)...), ErrWrongRecipient},
		{"not an owner", fromStranger, ErrNotOwner},
		{"stale before not an owner", f.sealAs(t, stranger, t0.Add(-time.Hour)), ErrStale},
		{"bad signature before not an owner", zeroSig(fromStranger), ErrBadSignature},
		{"stale", f.seal(t, Command{Name: "x"}, t0.Add(-w-time.Millisecond)), ErrStale},
		{"future", f.seal(t, Command{Name: "x"}, t0.Add(w+time.Millisecond)), ErrFuture},
		{"far future", withHeader(good(), 67, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), ErrFuture},
		{"stale before signature", withHeader(good(), 67, 0, 0, 0, 0, 0, 0, 0, 1), ErrStale},
		{"bad signature", withHeader(good(), 80, 0x55), ErrBadSignature},
		{"zero signature", zeroSig(good()), ErrBadSignature},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.opener.Open(ctx, tc.env)
			wantRefused(t, err, tc.reason)
		})
	}
	for _, d := range []time.Duration{-w, w, 0} {
		if _, err := f.opener.Open(ctx, f.seal(t, Command{Name: "x"}, t0.Add(d))); err != nil {
			t.Errorf("dated now%+v (window edge): %v", d, err)
		}
	}
}

func (f *fixture) sealAs(t testing.TB, k *nem.PrivateKey, at time.Time) []byte {
	t.Helper()
	env, err := Seal(nil, k, f.device.PublicKey(), Command{Name: "x"}, at)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func zeroSig(env []byte) []byte {
	out := bytes.Clone(env)
	clear(out[len(out)-64:])
	return out
}

func TestWindowAndClock(t *testing.T) {
	f := newFixture(t)
	f.opener.Window = 5 * time.Second
	if _, err := f.opener.Open(ctx, f.seal(t, Command{Name: "x"}, t0.Add(-6*time.Second))); !errors.Is(err, ErrStale) {
		t.Errorf("6 s old with a 5 s window: %v", err)
	}
	if _, err := f.opener.Open(ctx, f.seal(t, Command{Name: "x"}, t0.Add(-4*time.Second))); err != nil {
		t.Errorf("4 s old with a 5 s window: %v", err)
	}
	f.clock.Set(t0.Add(time.Minute))
	if _, err := f.opener.Open(ctx, f.seal(t, Command{Name: "x"}, t0.Add(time.Minute+4*time.Second))); err != nil {
		t.Errorf("after the clock moved: %v", err)
	}
}

func TestReplay(t *testing.T) {
	f := newFixture(t)
	env := f.seal(t, Command{Name: "x"}, t0)
	if _, err := f.opener.Open(ctx, env); err != nil {
		t.Fatal(err)
	}
	_, err := f.opener.Open(ctx, env)
	wantRefused(t, err, ErrReplay)
	// The same nonce from another owner is another entry.
	second := testKey(t, "second owner")
	f2 := newFixture(t)
	f2.opener.Owners = StaticOwners(f.owner.PublicKey(), second.PublicKey())
	a, _ := Seal(detRand("same"), f.owner, f.device.PublicKey(), Command{Name: "x"}, t0)
	b, _ := Seal(detRand("same"), second, f.device.PublicKey(), Command{Name: "x"}, t0)
	if !bytes.Equal(a[75:91], b[75:91]) {
		t.Fatal("test setup: nonces differ")
	}
	for _, env := range [][]byte{a, b} {
		if _, err := f2.opener.Open(ctx, env); err != nil {
			t.Errorf("same nonce, other sender: %v", err)
		}
	}
}

// TestReplayConcurrent opens the same envelope from many goroutines: exactly
// one succeeds. Distinct envelopes all succeed.
func TestReplayConcurrent(t *testing.T) {
	f := newFixture(t)
	dup := f.seal(t, Command{Name: "dup"}, t0)
	var envs [][]byte
	for i := range 16 {
		envs = append(envs, f.seal(t, Command{Name: fmt.Sprint("c", i)}, t0))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	okDup, okOther, replays := 0, 0, 0
	for i := range 16 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := f.opener.Open(ctx, dup)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				okDup++
			case errors.Is(err, ErrReplay):
				replays++
			default:
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			_, err := f.opener.Open(ctx, envs[i])
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Error(err)
			}
			okOther++
		}()
	}
	wg.Wait()
	if okDup != 1 || replays != 15 || okOther != 16 {
		t.Errorf("dup accepted %d, replays %d, others %d", okDup, replays, okOther)
	}
}

func TestReplayCapacity(t *testing.T) {
	f := newFixture(t)
	f.opener.ReplayCapacity = 3
	for i := range 3 {
		if _, err := f.opener.Open(ctx, f.seal(t, Command{Name: "x"}, t0.Add(time.Duration(i)*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.opener.Open(ctx, f.seal(t, Command{Name: "x"}, t0))
	wantRefused(t, err, ErrReplayFull)
	// The first entry (dated t0) expires at t0+30 s; the others live on.
	f.clock.Set(t0.Add(DefaultWindow + time.Millisecond))
	if _, err := f.opener.Open(ctx, f.seal(t, Command{Name: "x"}, f.clock.Now())); err != nil {
		t.Fatalf("after one entry expired: %v", err)
	}
	if _, err := f.opener.Open(ctx, f.seal(t, Command{Name: "x"}, f.clock.Now())); !errors.Is(err, ErrReplayFull) {
		t.Fatalf("full again: %v", err)
	}
	if n := f.opener.st.Load().replay.Len(); n != 3 {
		t.Errorf("cache holds %d entries, want 3", n)
	}
}

// TestProcessStart: with no store and no NotBefore, an envelope dated before
// the process started is refused even inside the window; with a store it
// is not.
func TestProcessStart(t *testing.T) {
	f := newFixture(t)
	f.opener.NotBefore = time.Time{}
	f.opener.Window = time.Hour
	uptime := time.Since(processStart)
	before := f.seal(t, Command{Name: "x"}, t0.Add(-uptime-time.Second))
	_, err := f.opener.Open(ctx, before)
	wantRefused(t, err, ErrStale)
	if !strings.Contains(err.Error(), "process started") {
		t.Errorf("error %q does not say why", err)
	}
	if _, err := f.opener.Open(ctx, f.seal(t, Command{Name: "x"}, t0)); err != nil {
		t.Errorf("dated now: %v", err)
	}

	// The real clock: an envelope from before package init. A second, not a
	// millisecond: the bound is the wall clock less the monotonic uptime, and
	// the two clocks may drift apart by milliseconds (NTP slewing) on a busy
	// machine while the test runs.
	real := &Opener{Device: f.device, Owners: f.opener.Owners}
	_, err = real.Open(ctx, f.seal(t, Command{Name: "x"}, processStart.Add(-time.Second)))
	wantRefused(t, err, ErrStale)
	if _, err := real.Open(ctx, f.seal(t, Command{Name: "x"}, time.Now())); err != nil {
		t.Errorf("real clock, dated now: %v", err)
	}

	g := newFixture(t)
	g.opener.NotBefore = time.Time{}
	g.opener.Window = time.Hour
	g.opener.Replay = &memStore{}
	if _, err := g.opener.Open(ctx, before); err != nil {
		t.Errorf("with a store, before process start: %v", err)
	}
}

// memStore is an in-memory ReplayStore.
type memStore struct {
	mu      sync.Mutex
	entries []ReplayEntry
	loadErr error
	saveErr error
	loads   int
}

func (m *memStore) Load(context.Context, time.Time) ([]ReplayEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.loads++
	return append([]ReplayEntry(nil), m.entries...), m.loadErr
}

func (m *memStore) Save(_ context.Context, e ReplayEntry, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.saveErr != nil {
		return m.saveErr
	}
	m.entries = append(m.entries, e)
	return nil
}

func TestReplayStoreErrors(t *testing.T) {
	f := newFixture(t)
	boom := errors.New("disk on fire")
	st := &memStore{loadErr: boom}
	f.opener.Replay = st
	env := f.seal(t, Command{Name: "x"}, t0)
	_, err := f.opener.Open(ctx, env)
	wantRefused(t, err, ErrReplayStore)
	if !errors.Is(err, boom) {
		t.Errorf("cause lost: %v", err)
	}
	st.mu.Lock()
	st.loadErr, st.saveErr = nil, boom
	st.mu.Unlock()
	_, err = f.opener.Open(ctx, env)
	wantRefused(t, err, ErrReplayStore)
	if st.loads != 2 {
		t.Errorf("Load called %d times, want a retry after the failure", st.loads)
	}
	// The nonce stays burned in memory after a failed save: refusing is safe.
	st.mu.Lock()
	st.saveErr = nil
	st.mu.Unlock()
	_, err = f.opener.Open(ctx, env)
	wantRefused(t, err, ErrReplay)
}

func TestOwnerSourceErrors(t *testing.T) {
	f := newFixture(t)
	boom := errors.New("no quorum")
	f.opener.Owners = errOwners{boom}
	_, err := f.opener.Open(ctx, f.seal(t, Command{Name: "x"}, t0))
	wantRefused(t, err, ErrOwnerLookup)
	if !errors.Is(err, boom) {
		t.Errorf("cause lost: %v", err)
	}
	g := newFixture(t)
	g.opener.Owners = thresholdOwners{OwnerSource: StaticOwners(g.owner.PublicKey()), err: boom}
	_, err = g.opener.Open(ctx, g.seal(t, Command{Name: "x"}, t0))
	wantRefused(t, err, ErrOwnerLookup)
}

func TestConfigErrors(t *testing.T) {
	f := newFixture(t)
	env := f.seal(t, Command{Name: "x"}, t0)
	for _, o := range []*Opener{{Owners: StaticOwners()}, {Device: f.device}} {
		_, err := o.Open(ctx, env)
		wantRefused(t, err, ErrConfig)
	}
	_, err := OpenReply(nil, f.device.PublicKey(), env, env, t0)
	wantRefused(t, err, ErrConfig)
}

// TestKeyCache: the fast-path cache holds only owners and stays bounded.
func TestKeyCache(t *testing.T) {
	f := newFixture(t)
	var owners []nem.PublicKey
	var keys []*nem.PrivateKey
	for i := range 5 {
		k := testKey(t, fmt.Sprint("owner ", i))
		keys = append(keys, k)
		owners = append(owners, k.PublicKey())
	}
	f.opener.Owners = StaticOwners(owners...)
	f.opener.KeyCacheSize = 3
	stranger := testKey(t, "stranger")
	if _, err := f.opener.Open(ctx, f.sealAs(t, stranger, t0)); !errors.Is(err, ErrNotOwner) {
		t.Fatal(err)
	}
	if n := f.opener.st.Load().keys.len(); n != 0 {
		t.Fatalf("a non-owner's key was cached (%d entries)", n)
	}
	for round := range 2 {
		for _, k := range keys {
			req, err := f.opener.Open(ctx, f.sealAs(t, k, t0))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := req.Reply(nil, round, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := f.opener.st.Load().keys.len(); n != 3 {
		t.Fatalf("key cache holds %d, want its bound 3", n)
	}
	// A cached shared key matches a fresh key agreement.
	p := f.opener.st.Load().keys.lookup(keys[len(keys)-1].PublicKey())
	if p == nil {
		t.Fatal("the last owner to send is not cached")
	}
	sk, _ := p.shared(f.device)
	ct, _ := sk.EncryptGCM(nil, []byte("hi"))
	if pt, err := nem.DecryptGCM(keys[len(keys)-1], f.device.PublicKey(), ct); err != nil || string(pt) != "hi" {
		t.Fatalf("cached key agreement is wrong: %q %v", pt, err)
	}
}

// TestReplyBinding: a reply answers one command only, from one device to
// one app, within the app's window.
func TestReplyBinding(t *testing.T) {
	f := newFixture(t)
	dev := f.device.PublicKey()
	a := f.seal(t, Command{Name: "a"}, t0)
	b := f.seal(t, Command{Name: "b"}, t0)
	reqA, err := f.opener.Open(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.opener.Open(ctx, b); err != nil {
		t.Fatal(err)
	}
	repA, err := reqA.Reply(nil, "done", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenReply(f.owner, dev, a, repA, t0); err != nil {
		t.Fatal(err)
	}
	_, err = OpenReply(f.owner, dev, b, repA, t0)
	wantRefused(t, err, ErrWrongCommand)

	// Another device signing a reply with the right "re".
	g := newFixture(t)
	g.device = testKey(t, "impostor")
	g.opener.Device = g.device
	toImpostor, _ := Seal(detRand("n"), f.owner, g.device.PublicKey(), Command{Name: "a"}, t0)
	reqI, err := g.opener.Open(ctx, toImpostor)
	if err != nil {
		t.Fatal(err)
	}
	repI, _ := reqI.Reply(nil, "done", nil)
	_, err = OpenReply(f.owner, dev, a, repI, t0)
	wantRefused(t, err, ErrWrongSender)

	// The reply to another app.
	other := testKey(t, "other app")
	f.opener.Owners = StaticOwners(f.owner.PublicKey(), other.PublicKey())
	c := f.sealAs(t, other, t0)
	reqC, err := f.opener.Open(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	repC, _ := reqC.Reply(nil, nil, nil)
	_, err = OpenReply(f.owner, dev, a, repC, t0)
	wantRefused(t, err, ErrWrongRecipient)

	for _, tc := range []struct {
		name   string
		sent   []byte
		reply  []byte
		now    time.Time
		reason error
	}{
		{"stale reply", a, repA, t0.Add(DefaultWindow + time.Second), ErrStale},
		{"future reply", a, repA, t0.Add(-DefaultWindow - time.Second), ErrFuture},
		{"a command as reply", a, b, t0, ErrUnsupported},
		{"a reply as sent", repA, repA, t0, ErrUnsupported},
		{"sent by someone else", c, repA, t0, ErrWrongSender},
		{"sent to another device", toImpostor, repA, t0, ErrWrongRecipient},
		{"short sent", []byte{1, 1, 2}, repA, t0, ErrMalformed},
	} {
		_, err := OpenReply(f.owner, dev, tc.sent, tc.reply, tc.now)
		if !errors.Is(err, tc.reason) || !isKnownRefusal(err) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.reason)
		}
	}
}

func TestOpaque(t *testing.T) {
	if Opaque(nil) != nil {
		t.Error("Opaque(nil) != nil")
	}
	f := newFixture(t)
	_, err := f.opener.Open(ctx, []byte{1})
	if Opaque(err) != ErrRefused || Opaque(errors.New("x")) != ErrRefused {
		t.Error("Opaque does not hide the reason")
	}
	if ErrRefused.Error() != "command: refused" {
		t.Errorf("ErrRefused says %q", ErrRefused)
	}
	// The detail never holds key material.
	secret := f.device.Hex()
	for _, env := range [][]byte{nil, f.seal(t, Command{Name: "x"}, t0.Add(time.Hour))} {
		if _, err := f.opener.Open(ctx, env); strings.Contains(err.Error(), secret) {
			t.Error("error text holds the device key")
		}
	}
}

func pubBytes(k *nem.PrivateKey) []byte {
	p := k.PublicKey()
	return p[:]
}

// TestReplayClockStepsBack: once the cache has let an entry go, a clock that
// steps back into that entry's window must not make the envelope new again.
func TestReplayClockStepsBack(t *testing.T) {
	f := newFixture(t)
	env := f.seal(t, Command{Name: "x"}, t0)
	if _, err := f.opener.Open(ctx, env); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(t0.Add(DefaultWindow + time.Second))
	if _, err := f.opener.Open(ctx, f.seal(t, Command{Name: "y"}, f.clock.Now())); err != nil {
		t.Fatal(err)
	}
	if n := f.opener.st.Load().replay.Len(); n != 1 {
		t.Fatalf("cache holds %d entries, want 1 (the first expired)", n)
	}
	f.clock.Set(t0.Add(5 * time.Second))
	_, err := f.opener.Open(ctx, env)
	wantRefused(t, err, ErrStale)
	// A fresh envelope dated at the stepped-back clock still opens: its
	// entry expires after the horizon.
	if _, err := f.opener.Open(ctx, f.seal(t, Command{Name: "z"}, f.clock.Now())); err != nil {
		t.Errorf("fresh envelope after the step back: %v", err)
	}
}

// TestShortUnknown: the version, kind and suite bytes are judged as far as
// they are present, so a truncated envelope of another version is
// ErrUnsupported, not ErrMalformed.
func TestShortUnknown(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		env    []byte
		reason error
	}{
		{[]byte{2}, ErrUnsupported},
		{[]byte{1, 9}, ErrUnsupported},
		{[]byte{1, 1, 7}, ErrUnsupported},
		{[]byte{1}, ErrMalformed},
		{[]byte{1, 1, 2}, ErrMalformed},
	} {
		_, err := f.opener.Open(ctx, tc.env)
		if !errors.Is(err, tc.reason) || !isKnownRefusal(err) {
			t.Errorf("% x: %v, want %v", tc.env, err, tc.reason)
		}
	}
	env := f.seal(t, Command{Name: "x"}, t0)
	req, err := f.opener.Open(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := req.Reply(nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []byte{0, 2, 0xff} {
		_, err := OpenReply(f.owner, f.device.PublicKey(), env, withHeader(rep, 0, v), t0)
		wantRefused(t, err, ErrUnsupported)
	}
}

// TestCheckOrderAfterSignature: the checks after the header's come in the
// documented order too: the window before the signature, the signature
// before the replay cache (a forged copy of an accepted envelope is a bad
// signature, not a replay), and the replay cache before decryption.
func TestCheckOrderAfterSignature(t *testing.T) {
	f := newFixture(t)
	env := f.seal(t, Command{Name: "x"}, t0)
	if _, err := f.opener.Open(ctx, env); err != nil {
		t.Fatal(err)
	}
	forged := bytes.Clone(env)
	forged[len(forged)-1] ^= 1
	_, err := f.opener.Open(ctx, forged)
	wantRefused(t, err, ErrBadSignature)

	// A ciphertext the owner signed but that does not decrypt: the nonce is
	// taken first, so the second try is a replay.
	sk, err := f.owner.SharedKey(f.device.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	nonce := [NonceSize]byte{1, 2, 3}
	junk, err := build(detRand("junk"), f.owner, sk, f.device.PublicKey(), KindCommand, SuiteGCM, uint64(t0.UnixMilli()), &nonce, []byte(`{"cmd":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	ctEnd := len(junk) - nem.SignatureSize
	junk[ctEnd-1] ^= 1 // break the GCM tag's ciphertext, then sign again
	sig := f.owner.Sign(format.SignedBytes(junk[:ctEnd]))
	copy(junk[ctEnd:], sig[:])
	_, err = f.opener.Open(ctx, junk)
	wantRefused(t, err, ErrDecrypt)
	_, err = f.opener.Open(ctx, junk)
	wantRefused(t, err, ErrReplay)

	// Once out of the window, the replay is stale before it is a replay.
	f.clock.Set(t0.Add(DefaultWindow + time.Millisecond))
	_, err = f.opener.Open(ctx, env)
	wantRefused(t, err, ErrStale)
}

// TestDefaults pins the defaults DESIGN §5 prescribes.
func TestDefaults(t *testing.T) {
	if DefaultWindow != 30*time.Second {
		t.Errorf("DefaultWindow = %v", DefaultWindow)
	}
	if DefaultReplayCapacity < 100_000 {
		t.Errorf("DefaultReplayCapacity = %d", DefaultReplayCapacity)
	}
	f := newFixture(t)
	f.opener.Window, f.opener.ReplayCapacity, f.opener.KeyCacheSize = 0, 0, 0
	if _, err := f.opener.Open(ctx, f.seal(t, Command{Name: "x"}, t0)); err != nil {
		t.Fatal(err)
	}
	st := f.opener.st.Load()
	if st.windowMs != 30_000 || st.replay.Cap() != DefaultReplayCapacity || st.keys.max != DefaultKeyCacheSize {
		t.Errorf("window %d ms, replay capacity %d, key cache %d", st.windowMs, st.replay.Cap(), st.keys.max)
	}
	g := &Opener{Device: f.device, Owners: f.opener.Owners}
	if _, err := g.Open(ctx, nil); !errors.Is(err, ErrMalformed) {
		t.Fatal(err)
	}
	// The bound is the clock's reading less the monotonic uptime. Judge it
	// with a fixed reading and the uptime taken on both sides, so that no
	// wall-clock drift on a busy machine can fail the check.
	at := time.UnixMilli(1_700_000_000_000)
	up1 := time.Since(processStart)
	nb := g.st.Load().bound(at)
	up2 := time.Since(processStart)
	if lo, hi := at.Add(-up2).UnixMilli()-1, at.Add(-up1).UnixMilli()+1; nb < lo || nb > hi {
		t.Errorf("a plain Opener's NotBefore at %d is %d ms, want within [%d, %d] (clock less uptime)", at.UnixMilli(), nb, lo, hi)
	}
}

// TestFormatConstants: the exported wire constants are internal/format's.
func TestFormatConstants(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"Version", int(Version), int(format.Version)},
		{"KindCommand", int(KindCommand), int(format.KindCommand)},
		{"KindReply", int(KindReply), int(format.KindReply)},
		{"KindCosigned", int(KindCosigned), int(format.KindCosigned)},
		{"SuiteCBC", int(SuiteCBC), int(format.SuiteCBC)},
		{"SuiteGCM", int(SuiteGCM), int(format.SuiteGCM)},
		{"HeaderSize", HeaderSize, format.HeaderSize},
		{"NonceSize", NonceSize, format.NonceSize},
		{"DigestSize", DigestSize, format.DigestSize},
		{"CosignatureSize", CosignatureSize, format.CosignatureSize},
		{"MaxCosigners", MaxCosigners, format.MaxCosigners},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, format's %d", c.name, c.got, c.want)
		}
	}
}
