package command

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestClockReadyRefusesUntilSet: while ClockReady fails, an owner's
// well-formed, well-dated command is refused with ErrClock wrapping the
// cause, and nothing enters the replay cache; once the clock is set the
// same envelope is accepted. OnOpen sees every result, and ReplayLen
// counts the accepted nonce.
func TestClockReadyRefusesUntilSet(t *testing.T) {
	f := newFixture(t)
	notSet := errors.New("no network time yet")
	clockErr := notSet
	f.opener.ClockReady = func() error { return clockErr }
	var results []error
	f.opener.OnOpen = func(req *Request, err error) {
		if (req == nil) == (err == nil) {
			t.Errorf("OnOpen(%v, %v): want exactly one of them", req, err)
		}
		results = append(results, err)
	}
	env := f.seal(t, Command{Name: "light"}, t0)
	for range 2 {
		_, err := f.opener.Open(context.Background(), env)
		wantRefused(t, err, ErrClock)
		if !errors.Is(err, notSet) {
			t.Errorf("refusal %v does not wrap the clock's error", err)
		}
	}
	if n := f.opener.ReplayLen(); n != 0 {
		t.Errorf("ReplayLen = %d after refusals, want 0", n)
	}
	clockErr = nil
	if _, err := f.opener.Open(context.Background(), env); err != nil {
		t.Fatalf("with the clock set: %v", err)
	}
	if n := f.opener.ReplayLen(); n != 1 {
		t.Errorf("ReplayLen = %d after one accepted command, want 1", n)
	}
	if len(results) != 3 || results[2] != nil {
		t.Errorf("OnOpen saw %v", results)
	}
}

// TestClockReadyBeforeReplayLoad: a persistent replay store is not loaded
// (and its entries not judged expired) by a clock that is not set yet.
func TestClockReadyBeforeReplayLoad(t *testing.T) {
	f := newFixture(t)
	store := &countingStore{}
	f.opener.Replay = store
	f.opener.ClockReady = func() error { return errors.New("not yet") }
	_, err := f.opener.Open(context.Background(), f.seal(t, Command{Name: "light"}, t0))
	wantRefused(t, err, ErrClock)
	if store.loads != 0 {
		t.Errorf("the replay store was loaded %d times before the clock was set", store.loads)
	}
}

// countingStore is a ReplayStore that counts loads.
type countingStore struct{ loads int }

func (s *countingStore) Load(context.Context, time.Time) ([]ReplayEntry, error) {
	s.loads++
	return nil, nil
}

func (s *countingStore) Save(context.Context, ReplayEntry, time.Time) error { return nil }
