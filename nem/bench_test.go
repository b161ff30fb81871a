package nem

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"
)

// The benchmarks run each NIS1 operation beside its crypto/ed25519
// counterpart, so one run (and benchstat) shows the ratio on this machine.

var benchMsg = make([]byte, 200) // about a command envelope's signed bytes

func BenchmarkSign(b *testing.B) {
	b.Run("impl=nem", func(b *testing.B) {
		k, _ := GeneratePrivateKey(nil)
		b.ReportAllocs()
		for b.Loop() {
			k.Sign(benchMsg)
		}
	})
	b.Run("impl=ed25519", func(b *testing.B) {
		_, k, _ := ed25519.GenerateKey(nil)
		b.ReportAllocs()
		for b.Loop() {
			ed25519.Sign(k, benchMsg)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	b.Run("impl=nem", func(b *testing.B) {
		k, _ := GeneratePrivateKey(nil)
		sig, pub := k.Sign(benchMsg), k.PublicKey()
		b.ReportAllocs()
		for b.Loop() {
			if !pub.Verify(benchMsg, sig) {
				b.Fatal("verify failed")
			}
		}
	})
	b.Run("impl=nem-verifier", func(b *testing.B) {
		k, _ := GeneratePrivateKey(nil)
		sig := k.Sign(benchMsg)
		v, _ := NewVerifier(k.PublicKey())
		b.ReportAllocs()
		for b.Loop() {
			if !v.Verify(benchMsg, sig) {
				b.Fatal("verify failed")
			}
		}
	})
	b.Run("impl=ed25519", func(b *testing.B) {
		pub, k, _ := ed25519.GenerateKey(nil)
		sig := ed25519.Sign(k, benchMsg)
		b.ReportAllocs()
		for b.Loop() {
			if !ed25519.Verify(pub, benchMsg, sig) {
				b.Fatal("verify failed")
			}
		}
	})
}

func BenchmarkGenerateKey(b *testing.B) {
	b.Run("impl=nem", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := GeneratePrivateKey(rand.Reader); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=ed25519", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := ed25519.GenerateKey(rand.Reader); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSharedKey(b *testing.B) {
	alice, _ := GeneratePrivateKey(nil)
	bob, _ := GeneratePrivateKey(nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := alice.SharedKey(bob.PublicKey()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncrypt(b *testing.B) {
	alice, _ := GeneratePrivateKey(nil)
	bob, _ := GeneratePrivateKey(nil)
	s, _ := alice.SharedKey(bob.PublicKey())
	b.Run("format=CBC", func(b *testing.B) {
		for b.Loop() {
			EncryptCBC(nil, alice, bob.PublicKey(), benchMsg)
		}
	})
	b.Run("format=GCM", func(b *testing.B) {
		for b.Loop() {
			EncryptGCM(nil, alice, bob.PublicKey(), benchMsg)
		}
	})
	b.Run("format=GCM/shared", func(b *testing.B) {
		for b.Loop() {
			s.EncryptGCM(nil, benchMsg)
		}
	})
}

func BenchmarkDecrypt(b *testing.B) {
	alice, _ := GeneratePrivateKey(nil)
	bob, _ := GeneratePrivateKey(nil)
	s, _ := bob.SharedKey(alice.PublicKey())
	cbc, _ := EncryptCBC(nil, alice, bob.PublicKey(), benchMsg)
	gcm, _ := EncryptGCM(nil, alice, bob.PublicKey(), benchMsg)
	b.Run("format=CBC", func(b *testing.B) {
		for b.Loop() {
			DecryptCBC(bob, alice.PublicKey(), cbc)
		}
	})
	b.Run("format=GCM", func(b *testing.B) {
		for b.Loop() {
			DecryptGCM(bob, alice.PublicKey(), gcm)
		}
	})
	b.Run("format=CBC/shared", func(b *testing.B) {
		for b.Loop() {
			s.DecryptCBC(cbc)
		}
	})
	b.Run("format=GCM/shared", func(b *testing.B) {
		for b.Loop() {
			s.DecryptGCM(gcm)
		}
	})
}

func BenchmarkParseAddress(b *testing.B) {
	for b.Loop() {
		ParseAddress(vecAddr)
	}
}
