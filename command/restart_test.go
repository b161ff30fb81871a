package command

import (
	"testing"
	"time"
)

// TestNotBeforeAfterClockCorrection: a device boots with its clock an hour
// behind, someone sends junk (the first Open), then the clock is set right.
// An envelope the device may have taken before it restarted (dated before
// this process started, by the corrected clock) is refused, and one dated
// now is taken (issue 10, item 5: the bound used to be fixed from the clock
// at the first Open).
//
// The process started uptime before the test began, so an envelope dated
// t0 - uptime - 10 min is before the start by the corrected clock whatever
// the test's own running time, short of ten minutes. The window is an hour
// wide so that such an envelope is inside it.
func TestNotBeforeAfterClockCorrection(t *testing.T) {
	uptime := time.Since(processStart)
	f := newFixture(t)
	f.opener.NotBefore = time.Time{}
	f.opener.Window = time.Hour
	f.clock.Set(t0.Add(-time.Hour)) // booted behind
	_, err := f.opener.Open(ctx, []byte("junk"))
	wantRefused(t, err, ErrUnsupported)

	f.clock.Set(t0) // the network time arrives
	old := f.seal(t, Command{Name: "x"}, t0.Add(-uptime-10*time.Minute))
	_, err = f.opener.Open(ctx, old)
	wantRefused(t, err, ErrStale)
	if _, err := f.opener.Open(ctx, f.seal(t, Command{Name: "x"}, t0)); err != nil {
		t.Errorf("dated now: %v", err)
	}

	// The other way: booted ahead, then set back. The bound follows the
	// clock back, so the owner is not locked out until the false time.
	g := newFixture(t)
	g.opener.NotBefore = time.Time{}
	g.clock.Set(t0.Add(time.Hour))
	_, err = g.opener.Open(ctx, []byte("junk"))
	wantRefused(t, err, ErrUnsupported)
	g.clock.Set(t0)
	if _, err := g.opener.Open(ctx, g.seal(t, Command{Name: "x"}, t0)); err != nil {
		t.Errorf("after the clock was set back, dated now: %v", err)
	}
}
