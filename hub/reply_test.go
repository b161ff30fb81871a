package hub_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/hub"
)

// panicJSON panics when encoded.
type panicJSON struct{}

func (panicJSON) MarshalJSON() ([]byte, error) { panic("MarshalJSON boom") }

// panicError panics when asked for its text.
type panicError struct{}

func (panicError) Error() string { panic("Error boom") }

// TestReplyEncodingPanics: a panic while the reply is encoded (a result's
// MarshalJSON, an error's Error method) does not cut the client off: the
// action has run, and the owner gets 200 with a signed ok:false reply. The
// hub keeps serving afterwards.
func TestReplyEncodingPanics(t *testing.T) {
	devKey, owner := testKey(t, "device"), testKey(t, "owner")
	opener := &command.Opener{Device: devKey, Owners: command.StaticOwners(owner.PublicKey())}
	logs := &logBuffer{}
	ran := make(chan string, 8)
	h := hub.New(opener, hub.HandlerFunc(func(ctx context.Context, req *command.Request) (any, error) {
		ran <- req.Command.Name
		switch req.Command.Name {
		case "marshal":
			return map[string]any{"state": panicJSON{}}, nil
		case "error":
			return nil, panicError{}
		}
		return "fine", nil
	}), &hub.Options{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, c := range []struct {
		name string
		ok   bool
		text string
	}{
		{"marshal", false, "command: the device's result could not be encoded"},
		{"error", false, "command: the device's result could not be encoded"},
		{"after", true, `"fine"`},
	} {
		rep, got := sendCommand(t, srv.URL, owner, devKey, c.name)
		if ran := <-ran; ran != c.name {
			t.Fatalf("handler ran %q, want %q", ran, c.name)
		}
		if rep.OK != c.ok || got != c.text {
			t.Errorf("%s: ok=%v %q, want ok=%v %q", c.name, rep.OK, got, c.ok, c.text)
		}
	}
	recs := logs.records(t)
	panics := 0
	for _, r := range recs {
		switch r["msg"] {
		case "hub: encoding the reply panicked":
			panics++
		case "hub request":
			if r["cmd"] == "marshal" || r["cmd"] == "error" {
				if reason, _ := r["reason"].(string); r["ok"] != false || !strings.Contains(reason, "panic") {
					t.Errorf("access record %v: want ok false and the panic as reason", r)
				}
			}
		}
	}
	if panics != 2 {
		t.Errorf("%d panics logged, want 2:\n%s", panics, logs)
	}
}
