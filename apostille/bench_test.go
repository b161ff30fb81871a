package apostille

import (
	"bytes"
	"testing"
)

// BenchmarkParse parses sample archives: one private apostille, the batch of
// five with strangers' records, and two hostile ones that must be refused
// early.
func BenchmarkParse(b *testing.B) {
	m := loadManifest(b)
	for _, name := range []string{"private-sha256.zip", "batch.zip", "hostile-bomb.zip", "hostile-declares-4gib.zip"} {
		var data []byte
		var ok bool
		for _, a := range m.Archives {
			if a.File == name {
				data, ok = a.read(b), a.Expect == "ok"
			}
		}
		if data == nil {
			b.Fatalf("no sample %s", name)
		}
		b.Run(name, func(b *testing.B) {
			r := bytes.NewReader(data)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(r, int64(len(data))); (err == nil) != ok {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDedicatedKey(b *testing.B) {
	owner := testKey(b, 1)
	for b.Loop() {
		DedicatedKey(owner, "device-7.cfg")
	}
}
