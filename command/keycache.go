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
// when full, adding a key drops an arbitrary other one. Only keys whose
// signature verified, that are not of small order and that an OwnerSource
// confirmed go in, so its size is the number of owners in practice.
type keyCache struct {
	mu  sync.RWMutex
	max int
	m   map[nem.PublicKey]*peer
}

func newKeyCache(max int) *keyCache {
	return &keyCache{max: max, m: make(map[nem.PublicKey]*peer)}
}

// lookup returns k's cached peer, or nil.
func (c *keyCache) lookup(k nem.PublicKey) *peer {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[k]
}

// add caches p as k's peer, dropping an arbitrary other key when full, and
// returns the peer cached for k (another one if another goroutine added k
// first). Add only keys an OwnerSource confirmed.
func (c *keyCache) add(k nem.PublicKey, p *peer) *peer {
	c.mu.Lock()
	defer c.mu.Unlock()
	if q := c.m[k]; q != nil {
		return q
	}
	if len(c.m) >= c.max {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = p
	return p
}

func (c *keyCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
