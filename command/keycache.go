package command

import (
	"sync"

	"github.com/nemiot/nemiot/nem"
)

// DefaultKeyCacheSize is the number of owners whose keys an Opener keeps
// ready when [Opener.KeyCacheSize] is zero.
const DefaultKeyCacheSize = 1024

// peer is what stays the same between one owner's envelopes: the decoded
// public key for verification, and the key agreement with the device
// (ECDH point for CBC, HKDF key and AES-GCM for GCM), computed on first use.
type peer struct {
	v    *nem.Verifier
	once sync.Once
	sk   *nem.SharedKey
	err  error
}

func (p *peer) shared(dev *nem.PrivateKey) (*nem.SharedKey, error) {
	p.once.Do(func() { p.sk, p.err = dev.SharedKey(p.v.PublicKey()) })
	return p.sk, p.err
}

// keyCache maps owners' public keys to their peer values. It is bounded;
// when full, adding a key drops an arbitrary other one. Only keys an
// OwnerSource confirmed go in, so its size is the number of owners in
// practice.
type keyCache struct {
	mu  sync.RWMutex
	max int
	m   map[nem.PublicKey]*peer
}

func newKeyCache(max int) *keyCache {
	return &keyCache{max: max, m: make(map[nem.PublicKey]*peer)}
}

// get returns k's peer, decoding k if it is not cached. It fails with
// nem.ErrInvalidKey if k is not a curve point.
func (c *keyCache) get(k nem.PublicKey) (*peer, error) {
	c.mu.RLock()
	p := c.m[k]
	c.mu.RUnlock()
	if p != nil {
		return p, nil
	}
	v, err := nem.NewVerifier(k)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.m[k]; p != nil {
		return p, nil
	}
	if len(c.m) >= c.max {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	p = &peer{v: v}
	c.m[k] = p
	return p, nil
}

func (c *keyCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
