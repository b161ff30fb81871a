package command

import (
	"testing"
)

// benchRefuse opens env, which Open must refuse, over and over.
func benchRefuse(b *testing.B, f *fixture, env []byte) {
	b.Helper()
	if _, err := f.opener.Open(ctx, env); err == nil {
		b.Fatal("accepted")
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.opener.Open(ctx, env); err == nil {
			b.Fatal("accepted")
		}
	}
}

// BenchmarkOpenRefuseNonOwner is the refusal of an envelope that claims a
// sender who is not an owner and carries a signature its sender did not
// make: what someone without keys sends to learn whether a key is an owner.
// Compare it with BenchmarkOpenRefuseBadSig, the same forgery claiming an
// owner: the two cost the same signature verification.
func BenchmarkOpenRefuseNonOwner(b *testing.B) {
	f := newFixture(b)
	warmOwner(b, f)
	env := f.sealAs(b, testKey(b, "stranger"), t0)
	env[len(env)-1] ^= 1
	benchRefuse(b, f, env)
}

// BenchmarkOpenRefuseBadSig is the refusal of an envelope that claims an
// owner (one who has sent commands, so its key is cached) and carries a bad
// signature.
func BenchmarkOpenRefuseBadSig(b *testing.B) {
	f := newFixture(b)
	warmOwner(b, f)
	env := f.seal(b, Command{Name: "x"}, t0)
	env[len(env)-1] ^= 1
	benchRefuse(b, f, env)
}

// warmOwner has f's owner send one command, as an active owner has.
func warmOwner(b *testing.B, f *fixture) {
	b.Helper()
	if _, err := f.opener.Open(ctx, f.seal(b, Command{Name: "warm"}, t0)); err != nil {
		b.Fatal(err)
	}
}
