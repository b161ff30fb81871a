package hub_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/hub"
	"github.com/nemiot/nemiot/multisig"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis/nistest"
)

// Issue 10 item 3: strangers must not hold the hub's in-flight slots while
// the owner cache refreshes from slow nodes. A hub with 8 slots in front of
// an owner cache over hung nodes gets 8 concurrent envelopes from random
// (valid) keys that are not owners, and then the owner's command: the
// strangers are refused at once from what the cache knows, and the owner's
// command gets 200, not 503.
func TestStrangersDuringOwnerRefresh(t *testing.T) {
	const slots = 8
	net := nistest.NewNetwork(t, 5, nil)
	devKey, owner := net.NewAccount(), net.NewAccount()
	if _, err := net.ConvertToMultisig(devKey, 1, owner.PublicKey()); err != nil {
		t.Fatal(err)
	}
	cache := &multisig.OwnerCache{
		Resolver: &multisig.Resolver{Nodes: net.URLs(), HTTP: &http.Client{Timeout: time.Minute}},
		Account:  devKey.Address(net.NetworkID()),
		// Any unknown key may start a refresh: the old cache made each
		// one wait for it.
		RecheckEvery: time.Nanosecond,
	}
	t.Cleanup(func() { cache.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if ok, err := cache.IsOwner(ctx, owner.PublicKey()); !ok || err != nil {
		t.Fatalf("owner before the nodes hang: %v, %v", ok, err)
	}
	// The nodes hang from now on.
	for _, nd := range net.Nodes() {
		if err := nd.SetBehavior(nistest.Slow(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}

	owners := &enteredOwners{OwnerCache: cache, entered: make(chan struct{}, 2*slots)}
	opener := &command.Opener{Device: devKey, Owners: owners}
	h := hub.New(opener, hub.HandlerFunc(func(context.Context, *command.Request) (any, error) { return "done", nil }),
		&hub.Options{MaxInFlight: slots, MaxWait: 5 * time.Second, Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	devPub := devKey.PublicKey()

	type result struct {
		status int
		err    error
	}
	junk := make(chan result, slots)
	for range slots {
		stranger, err := nem.GeneratePrivateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		env := sealFor(t, stranger, devPub)
		go func() {
			status, _, err := postEnvelope(ctx, srv.URL, env)
			junk <- result{status, err}
		}()
	}
	// Every stranger's envelope has reached the owner look-up, in a slot.
	for range slots {
		select {
		case <-owners.entered:
		case <-ctx.Done():
			t.Fatal("the strangers' envelopes never reached the owner look-up")
		}
	}

	env := sealFor(t, owner, devPub)
	status, body, err := postEnvelope(ctx, srv.URL, env)
	if err != nil || status != http.StatusOK {
		t.Fatalf("owner's command while %d strangers knock: %d %q, %v; want 200", slots, status, body, err)
	}
	rep, err := command.OpenReply(owner, devPub, env, body, time.Now())
	if err != nil || !rep.OK {
		t.Fatalf("owner's reply: %+v, %v", rep, err)
	}
	for range slots {
		r := <-junk
		if r.err != nil || r.status != http.StatusUnauthorized {
			t.Errorf("stranger: %d, %v; want 401", r.status, r.err)
		}
	}
}

// enteredOwners is the owner cache, telling on entered each time the hub
// looks a key up.
type enteredOwners struct {
	*multisig.OwnerCache
	entered chan struct{}
}

func (o *enteredOwners) IsOwner(ctx context.Context, key nem.PublicKey) (bool, error) {
	o.entered <- struct{}{}
	return o.OwnerCache.IsOwner(ctx, key)
}

// sealFor seals a command from sender to the device, dated now.
func sealFor(t *testing.T, sender *nem.PrivateKey, device nem.PublicKey) []byte {
	t.Helper()
	env, err := command.Seal(nil, sender, device, command.Command{Name: "status"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// postEnvelope posts env to the hub at url, and returns the status and body.
func postEnvelope(ctx context.Context, url string, env []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+hub.CommandsPath, bytes.NewReader(env))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}
