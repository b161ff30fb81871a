package command

import (
	"context"
	"fmt"

	"github.com/nemiot/nemiot/nem"
)

// OwnerSource says who owns a device: whose commands it obeys. The
// quorum-backed owner cache in package multisig implements it for a device
// whose owners are the cosignatories of a NEM multisig account;
// [StaticOwners] is a fixed list. Implementations must be safe for
// concurrent use and should answer from memory: Open asks for every signer
// of every envelope.
type OwnerSource interface {
	IsOwner(ctx context.Context, key nem.PublicKey) (bool, error)
}

// Threshold is an optional interface of an [OwnerSource]: how many distinct
// owners must sign each command, as the on-chain multisig rule says. A NEM
// account's minCosignatories of 0 means all of them, so an implementation
// must resolve it to the number of cosignatories (multisig.OwnerCache
// does). When [Opener.MinSignatures] is zero and Owners implements
// Threshold, Open asks it for every envelope; an answer below 1 refuses the
// envelope ([ErrOwnerLookup]) rather than read it as "one signature".
type Threshold interface {
	MinSignatures(ctx context.Context) (int, error)
}

// StaticOwners returns an [OwnerSource] whose owners are exactly keys,
// less any key that fails [nem.PublicKey.Validate]: a key that is not a
// curve point, or a point of small order (the all-zero key among them),
// under which anyone could forge a command, is never an owner. Use
// [NewStaticOwners] to be told about such keys instead.
func StaticOwners(keys ...nem.PublicKey) OwnerSource {
	s := make(staticOwners, len(keys))
	for _, k := range keys {
		if k.Validate() == nil {
			s[k] = struct{}{}
		}
	}
	return s
}

// NewStaticOwners is [StaticOwners] for keys read from configuration: it
// fails, naming the first bad key by its position, with an error
// wrapping [nem.ErrWeakKey] for a point of small order (the all-zero key
// among them) and [nem.ErrInvalidKey] for bytes that are not a curve point.
func NewStaticOwners(keys ...nem.PublicKey) (OwnerSource, error) {
	for i, k := range keys {
		if err := k.Validate(); err != nil {
			return nil, fmt.Errorf("command: owner %d: %w", i, err)
		}
	}
	return StaticOwners(keys...), nil
}

type staticOwners map[nem.PublicKey]struct{}

func (s staticOwners) IsOwner(_ context.Context, key nem.PublicKey) (bool, error) {
	_, ok := s[key]
	return ok, nil
}
