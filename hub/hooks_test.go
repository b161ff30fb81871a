package hub_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/hub"
)

// TestMetricsHooks: OnReply sees every reply with its ok, OnBusy every
// 503, neither a refused envelope; InFlight counts the commands holding a
// slot.
func TestMetricsHooks(t *testing.T) {
	devKey, owner, stranger := testKey(t, "device"), testKey(t, "owner"), testKey(t, "stranger")
	opener := &command.Opener{Device: devKey, Owners: command.StaticOwners(owner.PublicKey())}
	b := &blocking{entered: make(chan string, 4), release: make(chan struct{})}
	d := hub.HandlerFunc(func(ctx context.Context, req *command.Request) (any, error) {
		if req.Command.Name == "bad" {
			return nil, errors.New("no such command")
		}
		return b.Handle(ctx, req)
	})
	var okReplies, failedReplies, busy atomic.Int64
	h := hub.New(opener, d, &hub.Options{
		MaxInFlight: 1, MaxWait: -1,
		OnReply: func(ok bool) {
			if ok {
				okReplies.Add(1)
			} else {
				failedReplies.Add(1)
			}
		},
		OnBusy: func() { busy.Add(1) },
	})
	inFlight := func() int {
		n, ok := hub.InFlight(h)
		if !ok {
			t.Fatal("InFlight: not a hub handler")
		}
		return n
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	srv := ts.URL
	seal := func(from, name string) []byte {
		k := owner
		if from == "stranger" {
			k = stranger
		}
		env, err := command.Seal(nil, k, devKey.PublicKey(), command.Command{Name: name}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return env
	}

	if n := inFlight(); n != 0 {
		t.Fatalf("in flight at rest: %d", n)
	}
	done := make(chan response, 1)
	go func() { done <- post(t, nil, srv, "", seal("owner", "first")) }()
	<-b.entered
	if n := inFlight(); n != 1 {
		t.Errorf("in flight while a command runs: %d, want 1", n)
	}
	if r := post(t, nil, srv, "", seal("owner", "second")); r.status != http.StatusServiceUnavailable {
		t.Fatalf("over the limit: %d", r.status)
	}
	if busy.Load() != 1 || okReplies.Load() != 0 {
		t.Errorf("after a 503: busy %d, replies %d; want 1, 0", busy.Load(), okReplies.Load())
	}
	close(b.release)
	if r := <-done; r.status != http.StatusOK {
		t.Fatalf("first: %d", r.status)
	}
	if r := post(t, nil, srv, "", seal("owner", "bad")); r.status != http.StatusOK {
		t.Fatalf("bad: %d", r.status)
	}
	checkRefused(t, "stranger", post(t, nil, srv, "", seal("stranger", "first")))
	if okReplies.Load() != 1 || failedReplies.Load() != 1 || busy.Load() != 1 {
		t.Errorf("replies ok %d, not ok %d, busy %d; want 1, 1, 1", okReplies.Load(), failedReplies.Load(), busy.Load())
	}
	if n := inFlight(); n != 0 {
		t.Errorf("in flight after: %d", n)
	}

	// A hub over a Halter is one too; other handlers are not.
	if _, ok := hub.InFlight(hub.New(opener, simDevice(), nil)); !ok {
		t.Error("InFlight of a hub over a device: not a hub handler")
	}
	if _, ok := hub.InFlight(http.NotFoundHandler()); ok {
		t.Error("InFlight of NotFoundHandler: ok")
	}
}
