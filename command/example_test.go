package command_test

import (
	"context"
	crypto_rand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/nem"
)

// newKey makes a fresh key for the examples; a real app or device loads its
// key from a file or the environment.
func newKey() *nem.PrivateKey {
	k, err := nem.GeneratePrivateKey(crypto_rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	return k
}

// An owner's app seals a command for the device; the device opens it, acts,
// and replies; the app checks the reply against the command it sent.
func Example() {
	owner, device := newKey(), newKey()
	ctx := context.Background()

	// The app.
	cmd := command.Command{Name: "light", Args: json.RawMessage(`{"on":true}`)}
	env, err := command.Seal(nil, owner, device.PublicKey(), cmd, time.Now())
	if err != nil {
		log.Fatal(err)
	}

	// The device, with one Opener for its lifetime.
	opener := &command.Opener{Device: device, Owners: command.StaticOwners(owner.PublicKey())}
	req, err := opener.Open(ctx, env)
	if err != nil {
		log.Print(err)            // the reason, for the device's log
		err = command.Opaque(err) // all the sender may learn
		log.Fatal(err)
	}
	fmt.Printf("device runs %s %s from its owner: %v\n", req.Command.Name, req.Command.Args, req.Sender == owner.PublicKey())
	reply, err := req.Reply(nil, map[string]bool{"on": true}, nil)
	if err != nil {
		log.Fatal(err)
	}

	// The same envelope again is a replay.
	_, err = opener.Open(ctx, env)
	fmt.Println("again:", errors.Is(err, command.ErrReplay), command.Opaque(err))

	// The app.
	r, err := command.OpenReply(owner, device.PublicKey(), env, reply, time.Now())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("app reads ok=%v result=%s\n", r.OK, r.Result)
	// Output:
	// device runs light {"on":true} from its owner: true
	// again: true command: refused
	// app reads ok=true result={"on":true}
}

// An app that talks to one device again and again keeps a Sender for it:
// the key agreement with the device is made once, in NewSender, instead of
// in every Seal and OpenReply.
func ExampleSender() {
	owner, device := newKey(), newKey()
	opener := &command.Opener{Device: device, Owners: command.StaticOwners(owner.PublicKey())}

	s, err := command.NewSender(owner, device.PublicKey())
	if err != nil {
		log.Fatal(err) // device is not a valid public key
	}
	for _, level := range []int{20, 80} {
		cmd := command.Command{Name: "dim", Args: json.RawMessage(fmt.Sprintf(`{"level":%d}`, level))}
		env, err := s.Seal(nil, cmd, time.Now())
		if err != nil {
			log.Fatal(err)
		}

		// The device.
		req, err := opener.Open(context.Background(), env)
		if err != nil {
			log.Fatal(command.Opaque(err))
		}
		reply, err := req.Reply(nil, map[string]any{"level": level}, nil)
		if err != nil {
			log.Fatal(err)
		}

		// The app checks the reply against what it sent.
		r, err := s.OpenReply(env, reply, time.Now())
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: ok=%v result=%s\n", req.Command.Args, r.OK, r.Result)
	}
	// Output:
	// {"level":20}: ok=true result={"level":20}
	// {"level":80}: ok=true result={"level":80}
}

// A device that two of its three owners must command together: the sender
// proposes, a second owner inspects and cosigns, the device opens.
func ExamplePropose() {
	alice, bob, carol, device := newKey(), newKey(), newKey(), newKey()
	opener := &command.Opener{
		Device:        device,
		Owners:        command.StaticOwners(alice.PublicKey(), bob.PublicKey(), carol.PublicKey()),
		MinSignatures: 2,
	}
	p, err := command.Propose(nil, alice, device.PublicKey(), command.Command{Name: "unlock"}, time.Now())
	if err != nil {
		log.Fatal(err)
	}
	if _, err := opener.Open(context.Background(), p.Envelope); err != nil {
		fmt.Println("alone:", errors.Is(err, command.ErrMalformed)) // no cosignature yet
	}

	// Bob reads what he is asked to approve, then signs.
	info, err := p.Inspect()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("bob approves", info.Command.Name, "from alice:", info.Sender == alice.PublicKey())
	if err := p.Cosign(bob); err != nil {
		log.Fatal(err)
	}

	req, err := opener.Open(context.Background(), p.Envelope)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("device runs", req.Command.Name, "with", 1+len(req.Cosigners), "signatures")
	// Output:
	// alone: true
	// bob approves unlock from alice: true
	// device runs unlock with 2 signatures
}

// Refusals carry a typed reason for local code; Opaque is what goes back
// over the network.
func ExampleOpaque() {
	owner, stranger, device := newKey(), newKey(), newKey()
	opener := &command.Opener{Device: device, Owners: command.StaticOwners(owner.PublicKey())}
	env, err := command.Seal(nil, stranger, device.PublicKey(), command.Command{Name: "light"}, time.Now())
	if err != nil {
		log.Fatal(err)
	}
	_, err = opener.Open(context.Background(), env)
	var refused *command.RefusedError
	fmt.Println(errors.As(err, &refused), errors.Is(err, command.ErrNotOwner))
	fmt.Println(command.Opaque(err))
	// Output:
	// true true
	// command: refused
}
