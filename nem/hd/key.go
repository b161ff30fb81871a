package hd

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/internal/secret"
)

// Hardened is the bit that marks a hardened child index (written i' in a
// path). NEM's Ed25519 derivation has hardened children only.
const Hardened uint32 = 1 << 31

// MaxDepth is the most elements a derivation path may have (BIP32 stores the
// depth in one byte).
const MaxDepth = 255

// curveKey is the HMAC key of the master derivation: symbol-sdk's NEM curve
// name "ed25519-keccak" + " seed". (SLIP-10 Ed25519 uses "ed25519 seed", so
// its keys differ.)
const curveKey = "ed25519-keccak seed"

// Key is a node of the NEM derivation tree: a 32-byte key and a 32-byte
// chain code. It holds secrets, so no fmt verb prints them: it prints as a
// redacted placeholder or, where fmt prints no method's output (%p on a
// value, %w outside fmt.Errorf, a Key in an unexported struct field), as a
// memory address. [Key.PrivateKey] is the way to use it and [Key.ChainCode]
// exports half of it explicitly. A *Key is immutable and safe for concurrent
// use; copies of a Key value share their secret. The zero Key is not useful:
// start from [NewMaster].
type Key struct {
	s secret.Ref[node] // never printed: see package nem/internal/secret
}

// node is the material of a Key.
type node struct {
	key       [32]byte // IL: the Ed25519 seed of the account, in the order the hash gave it
	chainCode [32]byte // IR
}

// secret returns k's material; a zero Key has an all-zero key and chain code.
func (k *Key) secret() *node { return k.s.Get() }

// NewMaster returns the root of the derivation tree for seed, normally the
// 64 bytes from [Seed]: I = HMAC-SHA512(key "ed25519-keccak seed", seed),
// split into key I[0:32] and chain code I[32:64]. BIP32 calls for seeds of 16
// to 64 bytes; other lengths are accepted as they are.
func NewMaster(seed []byte) *Key {
	mac := hmac.New(sha512.New, []byte(curveKey))
	mac.Write(seed)
	return fromHMAC(mac.Sum(nil))
}

func fromHMAC(i []byte) *Key {
	k, m := newKey()
	copy(m.key[:], i[:32])
	copy(m.chainCode[:], i[32:])
	clear(i)
	return k
}

// newKey returns a Key and its material, zero, in one allocation.
func newKey() (*Key, *node) {
	return secret.New(func(k *Key, r secret.Ref[node]) { k.s = r })
}

// Derive returns the hardened child index' of k: I = HMAC-SHA512(key chain
// code, 0x00 || key || uint32be(index | Hardened)). index is the plain child
// number; the [Hardened] bit is set here, so Derive(5) and
// Derive(5|Hardened) are the same child (as in symbol-sdk, since hardened
// children are the only kind).
func (k *Key) Derive(index uint32) *Key {
	m := k.secret()
	var data [1 + 32 + 4]byte
	copy(data[1:33], m.key[:])
	binary.BigEndian.PutUint32(data[33:], index|Hardened)
	mac := hmac.New(sha512.New, m.chainCode[:])
	mac.Write(data[:])
	clear(data[:])
	return fromHMAC(mac.Sum(nil))
}

// DerivePath derives the key at path from k, which is taken as the root
// "m". A path is "m" followed by "/"-separated child numbers below 2^31, each
// marked hardened with ', h or H, as in "m/44'/43'/0'/0'/0'" (see [Path]).
// A non-hardened element is refused with [ErrNotHardened]; anything else
// malformed with [ErrInvalidPath]. "m" alone returns a copy of k.
func (k *Key) DerivePath(path string) (*Key, error) {
	indexes, err := ParsePath(path)
	if err != nil {
		return nil, err
	}
	if len(indexes) == 0 {
		c, m := newKey()
		*m = *k.secret()
		return c, nil
	}
	d := k
	for _, i := range indexes {
		next := d.Derive(i)
		if d != k { // an intermediate node nobody else holds
			m := d.secret()
			clear(m.key[:])
			clear(m.chainCode[:])
		}
		d = next
	}
	return d, nil
}

// ParsePath parses a derivation path as [Key.DerivePath] accepts it and
// returns its child indexes with the [Hardened] bit set; "m" gives an empty
// slice. Errors quote the offending element (paths are not secret).
func ParsePath(path string) ([]uint32, error) {
	rest, ok := strings.CutPrefix(path, "m")
	if !ok {
		return nil, fmt.Errorf("%w: %s does not start with \"m\"", ErrInvalidPath, quote(path))
	}
	if rest == "" {
		return []uint32{}, nil
	}
	rest, ok = strings.CutPrefix(rest, "/")
	if !ok {
		return nil, fmt.Errorf("%w: %s: \"m\" must be followed by \"/\"", ErrInvalidPath, quote(path))
	}
	var out []uint32
	for pos := 1; ; pos++ {
		elem, tail, more := strings.Cut(rest, "/")
		if pos > MaxDepth {
			return nil, fmt.Errorf("%w: more than %d elements", ErrInvalidPath, MaxDepth)
		}
		i, why, kind := parseElement(elem)
		if kind != nil {
			return nil, fmt.Errorf("%w: element %d (%s): %s", kind, pos, quote(elem), why)
		}
		out = append(out, i)
		if !more {
			return out, nil
		}
		rest = tail
	}
}

// parseElement parses one path element: decimal digits below 2^31 and a
// hardened mark. On failure it returns the sentinel and the reason.
func parseElement(elem string) (index uint32, why string, kind error) {
	num := strings.TrimRight(elem, "'hH")
	marks := len(elem) - len(num)
	if num == "" || len(num) > 10 || strings.TrimLeft(num, "0123456789") != "" {
		return 0, "want a child number and a hardened mark, like 44'", ErrInvalidPath
	}
	v, err := strconv.ParseUint(num, 10, 32)
	if err != nil || uint32(v) >= Hardened {
		return 0, "child number must be below 2^31", ErrInvalidPath
	}
	switch marks {
	case 0:
		return 0, "write " + num + "' (NEM derivation is hardened only)", ErrNotHardened
	case 1:
		return uint32(v) | Hardened, "", nil
	}
	return 0, "more than one hardened mark", ErrInvalidPath
}

// quote quotes s for an error message, shortened if long.
func quote(s string) string {
	const max = 40
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…"
	}
	return strconv.Quote(s)
}

// Path returns the standard NEM account path m/44'/coin'/account'/0'/0',
// with coin type 43 on [nem.Mainnet] and 1 on every other network (as
// symbol-sdk's NEM facade does). account must be below 2^31, or
// [Key.DerivePath] refuses the path.
func Path(n nem.Network, account uint32) string {
	coin := 1
	if n == nem.Mainnet {
		coin = 43
	}
	return "m/44'/" + strconv.Itoa(coin) + "'/" + strconv.FormatUint(uint64(account), 10) + "'/0'/0'"
}

// ChainCode returns a copy of k's 32-byte chain code. Together with the key
// it is enough to derive every descendant: keep it secret.
func (k *Key) ChainCode() []byte {
	return append([]byte(nil), k.secret().chainCode[:]...)
}

// PrivateKey returns the NEM account key of this node. By the NEM
// convention (symbol-sdk's NemFacade.bip32NodeToKeyPair) the node's 32 key
// bytes are reversed to give the private key's canonical bytes, so that the
// Ed25519 seed NEM signs with is the node key itself.
func (k *Key) PrivateKey() *nem.PrivateKey {
	var b [32]byte
	for i, v := range k.secret().key {
		b[31-i] = v
	}
	p, err := nem.NewPrivateKey(b[:])
	clear(b[:])
	if err != nil {
		panic("hd: " + err.Error()) // 32 bytes always make a key
	}
	return p
}

const redacted = "hd.Key(REDACTED)"

// String returns a redacted placeholder, never the key.
func (Key) String() string { return redacted }

// GoString returns a redacted placeholder, never the key.
func (Key) GoString() string { return redacted }

// Format prints a redacted placeholder under every verb, never the key.
func (Key) Format(f fmt.State, _ rune) { io.WriteString(f, redacted) }

// LogValue makes [log/slog] log a redacted placeholder, never the key.
func (Key) LogValue() slog.Value { return slog.StringValue(redacted) }
