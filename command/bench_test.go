package command

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/nemiot/nemiot/command/internal/format"
	"github.com/nemiot/nemiot/nem"
)

// The benchmarks' yardstick is BenchmarkEd25519Verify, one crypto/ed25519
// verification of a message the size of a typical envelope's signed bytes:
// the key cache should make BenchmarkOpen cost about one (NIS1)
// verification.

var benchCmd = Command{Name: "light", Args: json.RawMessage(`{"on":true,"level":80}`)}

var benchSuites = []struct {
	name  string
	suite byte
}{{"GCM", SuiteGCM}, {"CBC", SuiteCBC}}

func BenchmarkEd25519Verify(b *testing.B) {
	pub, priv, err := ed25519.GenerateKey(detRand("bench ed25519"))
	if err != nil {
		b.Fatal(err)
	}
	f := newFixture(b)
	msg := format.SignedBytes(f.seal(b, benchCmd, t0))
	msg = msg[:len(msg)-nem.SignatureSize]
	sig := ed25519.Sign(priv, msg)
	b.ReportAllocs()
	for b.Loop() {
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("does not verify")
		}
	}
}

// BenchmarkNISVerify is one NIS1 verification (Keccak-512) of the same
// message: nem.PublicKey.Verify decodes the key each time, nem.Verifier
// (what the key cache keeps) does not.
func BenchmarkNISVerify(b *testing.B) {
	f := newFixture(b)
	env := f.seal(b, benchCmd, t0)
	e, err := parseEnvelope(env)
	if err != nil {
		b.Fatal(err)
	}
	msg := e.SignedMessage()
	b.Run("PublicKey", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !e.Sender.Verify(msg, e.Sig) {
				b.Fatal("does not verify")
			}
		}
	})
	b.Run("Verifier", func(b *testing.B) {
		v, err := nem.NewVerifier(e.Sender)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if !v.Verify(msg, e.Sig) {
				b.Fatal("does not verify")
			}
		}
	})
}

func BenchmarkSeal(b *testing.B) {
	f := newFixture(b)
	dev := f.device.PublicKey()
	for _, s := range benchSuites {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := seal(nil, f.owner, dev, benchCmd, t0, s.suite); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOpen opens distinct envelopes of one owner, as a device does:
// the key cache is warm, the replay cache takes every nonce. Every
// len(pool) openings the replay cache is emptied, off the clock, so the
// pool can be opened again.
func BenchmarkOpen(b *testing.B) {
	for _, s := range benchSuites {
		b.Run(s.name, func(b *testing.B) {
			f := newFixture(b)
			pool := make([][]byte, 512)
			for i := range pool {
				env, err := seal(nil, f.owner, f.device.PublicKey(), benchCmd, t0, s.suite)
				if err != nil {
					b.Fatal(err)
				}
				pool[i] = env
			}
			if _, err := f.opener.Open(ctx, pool[0]); err != nil { // warm the key cache
				b.Fatal(err)
			}
			st := f.opener.st.Load()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if i%len(pool) == 0 {
					b.StopTimer()
					st.replay.Reset()
					b.StartTimer()
				}
				if _, err := f.opener.Open(ctx, pool[i%len(pool)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// opened returns a fixture and a Request it opened from an envelope of the
// given suite.
func opened(b *testing.B, suite byte) (*fixture, []byte, *Request) {
	f := newFixture(b)
	env, err := seal(nil, f.owner, f.device.PublicKey(), benchCmd, t0, suite)
	if err != nil {
		b.Fatal(err)
	}
	req, err := f.opener.Open(ctx, env)
	if err != nil {
		b.Fatal(err)
	}
	return f, env, req
}

var benchResult = map[string]any{"light": true, "level": 80}

func BenchmarkReply(b *testing.B) {
	for _, s := range benchSuites {
		b.Run(s.name, func(b *testing.B) {
			_, _, req := opened(b, s.suite)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := req.Reply(nil, benchResult, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkOpenReply(b *testing.B) {
	for _, s := range benchSuites {
		b.Run(s.name, func(b *testing.B) {
			f, env, req := opened(b, s.suite)
			rep, err := req.Reply(nil, benchResult, nil)
			if err != nil {
				b.Fatal(err)
			}
			dev := f.device.PublicKey()
			now := t0.Add(time.Second)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := OpenReply(f.owner, dev, env, rep, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkApp compares the app side's functions (api=func: Seal and
// OpenReply, a key agreement each) with a Sender's methods (api=Sender,
// the key agreement made once). Compare with benchstat -col /api.
func BenchmarkApp(b *testing.B) {
	for _, s := range benchSuites {
		f, env, req := opened(b, s.suite)
		rep, err := req.Reply(nil, benchResult, nil)
		if err != nil {
			b.Fatal(err)
		}
		dev := f.device.PublicKey()
		snd, err := NewSender(f.owner, dev)
		if err != nil {
			b.Fatal(err)
		}
		now := t0.Add(time.Second)
		ops := []struct {
			op, api string
			run     func() error
		}{
			{"Seal", "func", func() error { _, err := seal(nil, f.owner, dev, benchCmd, t0, s.suite); return err }},
			{"Seal", "Sender", func() error { _, err := snd.seal(nil, benchCmd, t0, s.suite); return err }},
			{"OpenReply", "func", func() error { _, err := OpenReply(f.owner, dev, env, rep, now); return err }},
			{"OpenReply", "Sender", func() error { _, err := snd.OpenReply(env, rep, now); return err }},
		}
		for _, o := range ops {
			b.Run(fmt.Sprintf("op=%s/suite=%s/api=%s", o.op, s.name, o.api), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := o.run(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkNewSender(b *testing.B) {
	f := newFixture(b)
	dev := f.device.PublicKey()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewSender(f.owner, dev); err != nil {
			b.Fatal(err)
		}
	}
}
