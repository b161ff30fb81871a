package hubclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/device/devicetest"
	"github.com/nemiot/nemiot/hub"
	"github.com/nemiot/nemiot/nem"
)

func key(t *testing.T) *nem.PrivateKey {
	t.Helper()
	k, err := nem.GeneratePrivateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// A hub that answers every request with status and body.
func fake(t *testing.T, status int, body string) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return &Client{Hub: srv.URL + "/", Key: key(t)}
}

func TestPostStatuses(t *testing.T) {
	ctx := context.Background()
	dev := key(t).PublicKey()
	for _, tc := range []struct {
		status int
		body   string
		check  func(error) bool
	}{
		{401, `{"error":"refused"}`, func(err error) bool { return errors.Is(err, ErrRefused) }},
		{413, "too large", func(err error) bool {
			var se *StatusError
			return errors.As(err, &se) && se.Code == 413 && se.Body == "too large"
		}},
		{503, strings.Repeat("x", 1000), func(err error) bool {
			var se *StatusError
			return errors.As(err, &se) && se.Code == 503 && len(se.Body) == 200
		}},
		// 200 with garbage: the reply does not verify.
		{200, "not an envelope", func(err error) bool { return errors.Is(err, command.ErrRefused) }},
		// An endless answer is cut off.
		{200, strings.Repeat("y", MaxReply+1), func(err error) bool { return err != nil && strings.Contains(err.Error(), "larger than") }},
	} {
		c := fake(t, tc.status, tc.body)
		_, sent, err := c.Send(ctx, dev, command.Command{Name: "status"})
		if !tc.check(err) {
			t.Errorf("%d: %v", tc.status, err)
		}
		if len(sent) == 0 {
			t.Errorf("%d: no envelope returned", tc.status)
		}
	}
}

func TestDevice(t *testing.T) {
	dev, other := key(t), key(t)
	ok := fmt.Sprintf(`{"publicKey":%q,"address":%q,"network":"mainnet"}`, dev.PublicKey(), dev.Address(nem.Mainnet))
	info, err := fake(t, 200, ok).Device(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := &Info{PublicKey: dev.PublicKey(), Address: dev.Address(nem.Mainnet), Network: nem.Mainnet}
	// An Address is comparable, its bytes unexported.
	if diff := cmp.Diff(want, info, cmp.Comparer(func(a, b nem.Address) bool { return a == b })); diff != "" {
		t.Errorf("info (-want +got):\n%s", diff)
	}
	for _, body := range []string{
		`{`,
		fmt.Sprintf(`{"publicKey":%q,"address":%q,"network":"mainnet"}`, dev.PublicKey(), other.Address(nem.Mainnet)),
		fmt.Sprintf(`{"publicKey":%q,"address":%q,"network":"testnet"}`, dev.PublicKey(), dev.Address(nem.Mainnet)),
		fmt.Sprintf(`{"publicKey":"00","address":%q,"network":"mainnet"}`, dev.Address(nem.Mainnet)),
		fmt.Sprintf(`{"publicKey":%q,"address":%q,"network":"moon"}`, dev.PublicKey(), dev.Address(nem.Mainnet)),
	} {
		if _, err := fake(t, 200, body).Device(context.Background()); err == nil {
			t.Errorf("accepted %s", body)
		}
	}
}

func TestParseURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080":     "http://127.0.0.1:8080",
		" https://hub.example/ ":    "https://hub.example/",
		"192.168.1.20:8080":         "http://192.168.1.20:8080",
		"localhost:8080":            "http://localhost:8080",
		"device.local":              "http://device.local",
		"[::1]:8080":                "http://[::1]:8080",
		"http://proxy:80/devices/7": "http://proxy:80/devices/7",
	} {
		got, err := ParseURL(in)
		if err != nil || got != want {
			t.Errorf("ParseURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{
		"",
		"   ",
		"ftp://hub:21",
		"mqtt://broker:1883",
		"http://",
		"http://:8080",
		"hub:99999",
		"hub:http",
		"http://hub:8080/?x=1",
		"http://hub:8080/#top",
		"http://hub/%zz",
		"[::1",
	} {
		if got, err := ParseURL(in); !errors.Is(err, ErrBadURL) {
			t.Errorf("ParseURL(%q) = %q, %v; want ErrBadURL", in, got, err)
		}
	}
}

// TestSend runs the client against a real hub: a verified reply, a
// command the device refuses (a signed ok false, not an error), and the
// refusals the hub answers with 401 (a stranger, a wrong device key, a
// client clock out of the window).
func TestSend(t *testing.T) {
	devKey, owner, stranger := key(t), key(t), key(t)
	opener := &command.Opener{Device: devKey, Owners: command.StaticOwners(owner.PublicKey())}
	rec := &devicetest.Recorder{
		Results: map[string]any{"status": map[string]int{"speed": 2}},
		Errs:    map[string]error{"fan": errors.New("the fan is jammed")},
	}
	srv := httptest.NewServer(hub.New(opener, rec, nil))
	t.Cleanup(srv.Close)
	ctx := context.Background()
	dev := devKey.PublicKey()
	c := &Client{Hub: srv.URL, Key: owner}

	r, env, err := c.Send(ctx, dev, command.Command{Name: "status"})
	if err != nil || !r.OK || string(r.Result) != `{"speed":2}` || len(env) == 0 {
		t.Fatalf("status: %+v, %v", r, err)
	}
	r, _, err = c.Send(ctx, dev, command.Command{Name: "fan", Args: json.RawMessage(`{"speed":3}`)})
	if err != nil || r.OK || r.Error != "the fan is jammed" {
		t.Errorf("refused by the device: %+v, %v; want a verified ok false", r, err)
	}
	if calls := rec.Calls(); len(calls) != 2 || calls[1].Name != "fan" || string(calls[1].Args) != `{"speed":3}` {
		t.Errorf("the device got %+v", calls)
	}

	for name, c := range map[string]*Client{
		"stranger":   {Hub: srv.URL, Key: stranger},
		"clock late": {Hub: srv.URL, Key: owner, Clock: func() time.Time { return time.Now().Add(-time.Minute) }},
	} {
		if _, _, err := c.Send(ctx, dev, command.Command{Name: "status"}); !errors.Is(err, ErrRefused) {
			t.Errorf("%s: %v, want ErrRefused", name, err)
		}
	}
	if _, _, err := c.Send(ctx, stranger.PublicKey(), command.Command{Name: "status"}); !errors.Is(err, ErrRefused) {
		t.Errorf("wrong device key: %v, want ErrRefused", err)
	}
	if n := len(rec.Calls()); n != 2 {
		t.Errorf("refused envelopes reached the device: %d calls", n)
	}
}
