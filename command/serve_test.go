package command

import (
	"context"
	"errors"
	"testing"
	"time"
)

// handlerFunc adapts a function to a Handler in this package's tests.
type handlerFunc func(ctx context.Context, req *Request) (any, error)

func (f handlerFunc) Handle(ctx context.Context, req *Request) (any, error) { return f(ctx, req) }

// unencodable panics when encoded.
type unencodable struct{}

func (unencodable) MarshalJSON() ([]byte, error) { panic("boom") }

// TestServe: Serve refuses what Open refuses (no Outcome), and for an
// accepted command replies with the Handler's result, its error, or the
// failure the Handler could not report: a panic, an unencodable result, a
// missed deadline.
func TestServe(t *testing.T) {
	f := newFixture(t)
	ran := 0
	h := handlerFunc(func(ctx context.Context, req *Request) (any, error) {
		ran++
		switch req.Command.Name {
		case "panic":
			panic("boom")
		case "chan":
			return make(chan int), nil
		case "marshal":
			return unencodable{}, nil
		case "fail":
			return nil, errors.New("the fan is jammed")
		case "slow":
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return map[string]string{"echo": req.Command.Name}, nil
	})
	opts := &ServeOptions{Rand: detRand("serve"), Timeout: time.Millisecond}
	for _, c := range []struct {
		name, want, fault string
		ok                bool
	}{
		{"hello", "", "", true},
		{"fail", "the fan is jammed", "", false},
		{"panic", ErrDeviceFailed.Error(), "the handler panicked", false},
		{"chan", ErrUnencodable.Error(), "encoding the reply: ", false},
		{"marshal", ErrUnencodable.Error(), "encoding the reply panicked", false},
		{"slow", context.DeadlineExceeded.Error(), "", false},
	} {
		env := f.seal(t, Command{Name: c.name}, t0)
		out, err := Serve(context.Background(), f.opener, h, env, opts)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if out.Request.Command.Name != c.name || out.Request.Sender != f.owner.PublicKey() {
			t.Errorf("%s: request %+v", c.name, out.Request)
		}
		if len(c.fault) == 0 && out.Fault != "" || len(out.Fault) < len(c.fault) || out.Fault[:len(c.fault)] != c.fault {
			t.Errorf("%s: fault %q, want %q", c.name, out.Fault, c.fault)
		}
		rep, err := OpenReply(f.owner, f.device.PublicKey(), env, out.Reply, t0)
		if err != nil {
			t.Fatalf("%s: reply: %v", c.name, err)
		}
		if rep.OK != c.ok || rep.Error != c.want {
			t.Errorf("%s: reply ok=%v %q, want ok=%v %q", c.name, rep.OK, rep.Error, c.ok, c.want)
		}
		if (out.Err == nil) != c.ok {
			t.Errorf("%s: Outcome.Err = %v", c.name, out.Err)
		}
		// The same envelope again is a replay: refused, the Handler not called.
		before := ran
		out, err = Serve(context.Background(), f.opener, h, env, opts)
		if out != nil {
			t.Errorf("%s: replay served: %+v", c.name, out)
		}
		wantRefused(t, err, ErrReplay)
		if ran != before {
			t.Errorf("%s: the Handler ran for a replay", c.name)
		}
	}
	if _, err := Serve(context.Background(), f.opener, nil, nil, nil); !errors.Is(err, ErrConfig) {
		t.Errorf("nil Handler: %v, want ErrConfig", err)
	}
}
