package nem

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nemiot/nemiot/nem/internal/testvectors"
)

// vectorDir holds the official NEM vectors, vendored gzip-compressed (see
// its README.md).
var vectorDir = filepath.Join("testdata", "vectors")

// readDat reads one of the official nis1-legacy .dat vector files: a '#'
// header, then lines ": a : b : …" (CRLF line endings). A file that does not
// load, or a line with the wrong number of fields, fails the test.
func readDat(t testing.TB, name string, fields int) [][]string {
	t.Helper()
	data := testvectors.Read(t, filepath.Join(vectorDir, "nis1-legacy", name+".gz"))
	var rows [][]string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(strings.TrimPrefix(line, ":"), " : ")
		for i := range parts {
			parts[i] = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(parts[i]), ","))
		}
		if len(parts) != fields {
			t.Fatalf("%s: line %d has %d fields, want %d", name, len(rows)+2, len(parts), fields)
		}
		rows = append(rows, parts)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no vectors", name)
	}
	return rows
}

// TestVectorsLoadOrFail: the vendored vectors load in any checkout, every
// case of them, and a vector file that does not load fails the test that
// reads it (the vectors used to be read from ../shared, and skipped when
// that folder was absent).
func TestVectorsLoadOrFail(t *testing.T) {
	for _, f := range []struct {
		name         string
		fields, rows int
	}{
		{"1.test-keys.dat", 4, 10000},
		{"2.test-sign.dat", 5, 10000},
		{"3.test-derive.dat", 5, 1000},
		{"4.test-cipher.dat", 6, 1000},
	} {
		var rows [][]string
		o := testvectors.Run(t, func(tb testing.TB) { rows = readDat(tb, f.name, f.fields) })
		if o != testvectors.Passed || len(rows) != f.rows {
			t.Errorf("%s: %s with %d rows, want passed with %d", f.name, o, len(rows), f.rows)
		}
	}
	if o := testvectors.Run(t, func(tb testing.TB) { readDat(tb, "0.no-such-file.dat", 4) }); o != testvectors.Failed {
		t.Errorf("a missing vector file: %s, want failed", o)
	}
	if o := testvectors.Run(t, func(tb testing.TB) { readDat(tb, "1.test-keys.dat", 5) }); o != testvectors.Failed {
		t.Errorf("a vector file of the wrong shape: %s, want failed", o)
	}
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex in vector: %v", err)
	}
	return b
}

func TestVectorsKeys(t *testing.T) {
	t.Parallel()
	rows := readDat(t, "1.test-keys.dat", 4)
	for i, r := range rows {
		for form, s := range []string{r[0], r[1], strings.ToUpper(r[0])} {
			k, err := ParsePrivateKey(s)
			if err != nil {
				t.Fatalf("row %d form %d: %v", i+1, form, err)
			}
			if got := k.PublicKey().String(); got != r[2] {
				t.Fatalf("row %d form %d: public key %s, want %s", i+1, form, got, r[2])
			}
			if k.Hex() != r[0] {
				t.Fatalf("row %d form %d: Hex() = %s, want %s", i+1, form, k.Hex(), r[0])
			}
		}
		k, _ := ParsePrivateKey(r[0])
		if got := k.Address(Mainnet).String(); got != r[3] {
			t.Fatalf("row %d: address %s, want %s", i+1, got, r[3])
		}
		a, err := ParseAddress(r[3])
		if err != nil || a != k.Address(Mainnet) {
			t.Fatalf("row %d: ParseAddress(%s) = %v, %v", i+1, r[3], a, err)
		}
	}
	t.Logf("%d key/address rows passed", len(rows))
}

func TestVectorsSign(t *testing.T) {
	t.Parallel()
	rows := readDat(t, "2.test-sign.dat", 5)
	for i, r := range rows {
		k, err := ParsePrivateKey(r[0])
		if err != nil {
			t.Fatalf("row %d: %v", i+1, err)
		}
		if k.PublicKey().String() != r[1] {
			t.Fatalf("row %d: public key %s, want %s", i+1, k.PublicKey(), r[1])
		}
		data := unhex(t, r[4])
		sig := k.Sign(data)
		if sig.String() != r[2] {
			t.Fatalf("row %d: signature %s, want %s", i+1, sig, r[2])
		}
		want, err := ParseSignature(r[2])
		if err != nil {
			t.Fatal(err)
		}
		if !k.PublicKey().Verify(data, want) {
			t.Fatalf("row %d: official signature does not verify", i+1)
		}
		// A flipped bit anywhere must fail (one position per row, cycling).
		bad := want
		bad[i%64] ^= 1 << (i % 8)
		if k.PublicKey().Verify(data, bad) {
			t.Fatalf("row %d: signature with byte %d flipped verifies", i+1, i%64)
		}
	}
	t.Logf("%d signature rows passed", len(rows))
}

func TestVectorsDerive(t *testing.T) {
	t.Parallel()
	rows := readDat(t, "3.test-derive.dat", 5)
	for i, r := range rows {
		k, err := ParsePrivateKey(r[1])
		if err != nil {
			t.Fatal(err)
		}
		pub, err := ParsePublicKey(r[2])
		if err != nil {
			t.Fatal(err)
		}
		s, err := k.SharedKey(pub)
		if err != nil {
			t.Fatalf("row %d: %v", i+1, err)
		}
		if got := hex.EncodeToString(s.secret().point[:]); got != r[3] {
			t.Fatalf("row %d: ECDH point %s, want %s", i+1, got, r[3])
		}
		if got := hex.EncodeToString(cbcKey(s.secret().point[:], unhex(t, r[0]))); got != r[4] {
			t.Fatalf("row %d: salted key %s, want %s", i+1, got, r[4])
		}
	}
	t.Logf("%d key-derivation rows passed", len(rows))
}

// fixedRand hands out the given bytes, in order, then fails.
type fixedRand struct{ b []byte }

func (r *fixedRand) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, os.ErrClosed
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func TestVectorsCipher(t *testing.T) {
	t.Parallel()
	rows := readDat(t, "4.test-cipher.dat", 6)
	for i, r := range rows {
		sender, err := ParsePrivateKey(r[0])
		if err != nil {
			t.Fatal(err)
		}
		recipient, err := ParsePublicKey(r[1])
		if err != nil {
			t.Fatal(err)
		}
		salt, iv, plain, want := unhex(t, r[2]), unhex(t, r[3]), unhex(t, r[4]), unhex(t, r[5])
		payload, err := EncryptCBC(&fixedRand{append(append([]byte{}, salt...), iv...)}, sender, recipient, plain)
		if err != nil {
			t.Fatalf("row %d: %v", i+1, err)
		}
		if !bytes.Equal(payload[48:], want) || !bytes.Equal(payload[:32], salt) || !bytes.Equal(payload[32:48], iv) {
			t.Fatalf("row %d: ciphertext %x, want %x", i+1, payload[48:], want)
		}
		// The sender can read its own message back (the key agreement is symmetric).
		got, err := DecryptCBC(sender, recipient, payload)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("row %d: decrypt = %x, %v", i+1, got, err)
		}
	}
	t.Logf("%d cipher rows passed", len(rows))
}

// TestVectorsNIS1JSON checks nis1/1.test-address.json: the mainnet, testnet
// and Mijin addresses of 10,000 public keys. (nis1/1.test-keys.json is not
// vendored: its 10,000 key pairs are those of 1.test-keys.dat, which
// TestVectorsKeys checks in lower and upper case.)
func TestVectorsNIS1JSON(t *testing.T) {
	t.Parallel()
	var addrs []struct {
		PublicKey string
		Public    string `json:"address_Public"`
		Test      string `json:"address_PublicTest"`
		Mijin     string `json:"address_Mijin"`
	}
	const name = "1.test-address.json"
	if err := json.Unmarshal(testvectors.Read(t, filepath.Join(vectorDir, "nis1", name+".gz")), &addrs); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(addrs) != 10000 {
		t.Fatalf("%s: %d vectors, want 10000", name, len(addrs))
	}
	for i, c := range addrs {
		p, err := ParsePublicKey(c.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		for n, want := range map[Network]string{Mainnet: c.Public, Testnet: c.Test, Mijin: c.Mijin} {
			if got := p.Address(n).String(); got != want {
				t.Fatalf("address %d on %s: %s, want %s", i, n, got, want)
			}
			a, err := ParseAddressOn(strings.ToLower(want), n)
			if err != nil || a.String() != want {
				t.Fatalf("address %d: ParseAddressOn(%s) = %v, %v", i, want, a, err)
			}
		}
	}
	t.Logf("%d×3 addresses passed", len(addrs))
}
