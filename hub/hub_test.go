package hub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/hub"
	"github.com/nemiot/nemiot/nem"
)

func TestEndToEnd(t *testing.T) {
	r := newRig(t, nil)
	r.serve(t)

	if l, f, _ := r.pins(); l != gpio.Low || f != gpio.Low {
		t.Fatalf("pins start at light %v fan %v, want Low Low", l, f)
	}
	steps := []struct {
		name, args string
		ok         bool
		result     string // a substring of the result, or of the error
		light, fan gpio.Level
		duty       gpio.Duty
	}{
		{"light", `{"on":true}`, true, `"on":true`, gpio.High, gpio.Low, 0},
		{"fan", `{"speed":3}`, true, `"speed":3`, gpio.High, gpio.High, 0},
		{"fan", `{"speed":2}`, true, `"duty":"67%"`, gpio.High, gpio.High, gpio.Duty((int64(gpio.DutyMax)*2 + 1) / 3)},
		{"status", ``, true, `"light":{"level":"High","on":true`, gpio.High, gpio.High, gpio.Duty((int64(gpio.DutyMax)*2 + 1) / 3)},
		{"fan", `{"speed":0}`, true, `"speed":0`, gpio.High, gpio.Low, 0},
		// The device refuses these: 200 and a signed ok:false, pins untouched.
		{"fan", `{"speed":4}`, false, `bad args`, gpio.High, gpio.Low, 0},
		{"light", `{"on":"yes"}`, false, `bad args`, gpio.High, gpio.Low, 0},
		{"oven", `{"on":true}`, false, `unknown command`, gpio.High, gpio.Low, 0},
		{"light", `{"on":false}`, true, `"on":false`, gpio.Low, gpio.Low, 0},
	}
	for i, s := range steps {
		rep := r.command(t, s.name, s.args)
		got := string(rep.Result)
		if !rep.OK {
			got = rep.Error
		}
		if rep.OK != s.ok || !strings.Contains(got, s.result) {
			t.Errorf("step %d %s %s: ok=%v %q, want ok=%v containing %q", i, s.name, s.args, rep.OK, got, s.ok, s.result)
		}
		l, f, d := r.pins()
		if l != s.light || f != s.fan || (s.duty != 0 && d != s.duty) {
			t.Errorf("step %d %s %s: pins light %v fan %v duty %v, want %v %v %v", i, s.name, s.args, l, f, d, s.light, s.fan, s.duty)
		}
	}
	if n := len(r.rec.Calls()); n != len(steps) {
		t.Errorf("device saw %d commands, want %d", n, len(steps))
	}
}

// resign replaces the signature of a single-signer envelope with sender's
// signature of its (possibly altered) header and ciphertext.
func resign(env []byte, sender *nem.PrivateKey) []byte {
	out := slices.Clone(env)
	n := len(out) - nem.SignatureSize
	sig := sender.Sign(append([]byte("nemiot/envelope/v1"), out[:n]...))
	copy(out[n:], sig[:])
	return out
}

func TestRefused(t *testing.T) {
	r := newRig(t, nil)
	url := r.serve(t)

	// Light on first, so that a refused "off" would show on the pin.
	r.command(t, "light", `{"on":true}`)
	base := len(r.rec.Calls())

	replayed := r.seal(t, r.owner, "light", `{"on":false}`)
	// Prove the replayed envelope was good once (it switches the light
	// off), then switch the light back on.
	if resp := post(t, nil, url, "application/octet-stream", replayed); resp.status != http.StatusOK {
		t.Fatalf("first send: %d", resp.status)
	}
	r.command(t, "light", `{"on":true}`)
	base += 2

	good := r.seal(t, r.owner, "light", `{"on":false}`)
	other := testKey(t, "other device")
	forOther, err := command.Seal(nil, r.owner, other.PublicKey(), command.Command{Name: "light", Args: json.RawMessage(`{"on":false}`)}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	stale, err := command.Seal(nil, r.owner, r.devKey.PublicKey(), command.Command{Name: "light", Args: json.RawMessage(`{"on":false}`)}, time.Now().Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	future, err := command.Seal(nil, r.owner, r.devKey.PublicKey(), command.Command{Name: "light", Args: json.RawMessage(`{"on":false}`)}, time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	// Owner-signed, but the ciphertext is garbage: the signature verifies
	// and decryption fails.
	undecryptable := r.seal(t, r.owner, "light", `{"on":false}`)
	undecryptable[95+3] ^= 0x40
	undecryptable = resign(undecryptable, r.owner)
	// The signature of a flipped envelope fails.
	badSig := slices.Clone(good)
	badSig[95+3] ^= 0x40

	cases := []struct {
		name   string
		body   []byte
		reason string // what the access log must say
	}{
		{"replay", replayed, "already seen"},
		{"non-owner", r.seal(t, r.stranger, "light", `{"on":false}`), "not an owner"},
		{"other device", forOther, "another recipient"},
		{"stale", stale, "too old"},
		{"future", future, "future"},
		{"bad signature", badSig, "bad signature"},
		{"undecryptable", undecryptable, "decryption failed"},
		{"truncated", good[:len(good)-1], "malformed"},
		{"empty", nil, "malformed"},
		{"garbage", bytes.Repeat([]byte("nemiot"), 50), "unsupported"},
		{"json", []byte(`{"cmd":"light","args":{"on":false}}`), "unsupported"},
	}
	var first response
	for i, c := range cases {
		resp := post(t, nil, url, "application/octet-stream", c.body)
		checkRefused(t, c.name, resp)
		// Every refusal looks the same: status, body, and headers.
		resp.header.Del("Date")
		if i == 0 {
			first = resp
		} else if fmt.Sprint(resp.header) != fmt.Sprint(first.header) {
			t.Errorf("%s: headers %v differ from %s's %v", c.name, resp.header, cases[0].name, first.header)
		}
		if !strings.Contains(r.logs.String(), c.reason) {
			t.Errorf("%s: the access log does not give the reason %q", c.name, c.reason)
		}
	}
	if n := len(r.rec.Calls()); n != base {
		t.Errorf("device saw %d commands, want %d (no refused one)", n, base)
	}
	if l, _, _ := r.pins(); l != gpio.High {
		t.Errorf("light is %v after refused commands, want High", l)
	}
	// And the good envelope still works: the refusals did no harm.
	if rep := r.openReply(t, good, post(t, nil, url, "", good)); !rep.OK {
		t.Fatalf("good command after refusals: %q", rep.Error)
	}
	if l, _, _ := r.pins(); l != gpio.Low {
		t.Errorf("light is %v, want Low", l)
	}
}

func (r *rig) openReply(t *testing.T, sent []byte, resp response) *command.Reply {
	t.Helper()
	if resp.status != http.StatusOK {
		t.Fatalf("status %d %q", resp.status, resp.body)
	}
	rep, err := command.OpenReply(r.owner, r.devKey.PublicKey(), sent, resp.body, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestFlippedBytes flips each byte of a good envelope in turn: every one
// is refused, none reaches the device.
func TestFlippedBytes(t *testing.T) {
	r := newRig(t, nil)
	url := r.serve(t)
	good := r.seal(t, r.owner, "light", `{"on":true}`)
	for i := range good {
		bad := slices.Clone(good)
		bad[i] ^= 1 << (i % 8)
		resp := post(t, nil, url, "application/octet-stream", bad)
		checkRefused(t, fmt.Sprintf("byte %d flipped", i), resp)
	}
	if n := len(r.rec.Calls()); n != 0 {
		t.Fatalf("device saw %d commands", n)
	}
	if l, _, _ := r.pins(); l != gpio.Low {
		t.Fatalf("light %v", l)
	}
	if rep := r.openReply(t, good, post(t, nil, url, "application/octet-stream", good)); !rep.OK {
		t.Fatal(rep.Error)
	}
}

func TestBodyLimits(t *testing.T) {
	r := newRig(t, nil)
	url := r.serve(t)
	big := bytes.Repeat([]byte{1}, hub.DefaultMaxBody+1)
	atCap := big[:hub.DefaultMaxBody]

	// With a Content-Length.
	if resp := post(t, nil, url, "application/octet-stream", big); resp.status != http.StatusRequestEntityTooLarge {
		t.Errorf("64 KiB + 1: status %d, want 413", resp.status)
	}
	// Chunked, without a Content-Length: the reader stops at the cap.
	req, _ := http.NewRequest(http.MethodPost, url+hub.CommandsPath, struct{ *bytes.Reader }{bytes.NewReader(big)})
	req.Header.Set("Content-Type", "application/octet-stream")
	if req.ContentLength != 0 && req.ContentLength != -1 {
		t.Fatalf("request has a Content-Length %d", req.ContentLength)
	}
	if resp := do(t, nil, req); resp.status != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked 64 KiB + 1: status %d, want 413", resp.status)
	}
	// At the cap it is read and refused as an envelope.
	checkRefused(t, "64 KiB of garbage", post(t, nil, url, "application/octet-stream", atCap))

	// A smaller cap.
	small := newRig(t, &hub.Options{MaxBody: 100})
	surl := small.serve(t)
	if resp := post(t, nil, surl, "", small.seal(t, small.owner, "light", `{"on":true}`)); resp.status != http.StatusRequestEntityTooLarge {
		t.Errorf("MaxBody 100: status %d, want 413", resp.status)
	}
	if n := len(r.rec.Calls()) + len(small.rec.Calls()); n != 0 {
		t.Errorf("device saw %d commands", n)
	}
}

// TestBodySizes: envelopes are read whole whatever their size up to the
// cap and however they are framed (Content-Length or chunked), into pooled
// buffers for small ones and growing ones for the rest.
func TestBodySizes(t *testing.T) {
	r := newRig(t, nil)
	url := r.serve(t)
	// A valid envelope of over 4 KiB: the device refuses its args, with
	// a signed reply.
	long := `{"on":true,"x":"` + strings.Repeat("a", 5000) + `"}`
	garbage := bytes.Repeat([]byte{7}, 5000)
	for _, c := range []struct {
		name    string
		body    func() []byte
		ok      bool // 200 with ok true; else ok false, or refused when refused is set
		refused bool
	}{
		{"small", func() []byte { return r.seal(t, r.owner, "light", `{"on":true}`) }, true, false},
		{"over 4 KiB", func() []byte { return r.seal(t, r.owner, "light", long) }, false, false},
		{"empty", func() []byte { return nil }, false, true},
		{"5000 bytes of garbage", func() []byte { return garbage }, false, true},
		{"64 KiB of garbage", func() []byte { return bytes.Repeat([]byte{1}, hub.DefaultMaxBody) }, false, true},
	} {
		for _, chunked := range []bool{false, true} {
			env := c.body()
			var body io.Reader = bytes.NewReader(env)
			if chunked {
				body = struct{ io.Reader }{body} // no length known
			}
			req, _ := http.NewRequest(http.MethodPost, url+hub.CommandsPath, body)
			if chunked && req.ContentLength != 0 {
				t.Fatalf("request has a Content-Length %d", req.ContentLength)
			}
			what := fmt.Sprintf("%s, chunked=%v", c.name, chunked)
			resp := do(t, nil, req)
			if c.refused {
				checkRefused(t, what, resp)
				continue
			}
			if resp.status != http.StatusOK {
				t.Errorf("%s: status %d", what, resp.status)
				continue
			}
			rep, err := command.OpenReply(r.owner, r.devKey.PublicKey(), env, resp.body, time.Now())
			if err != nil {
				t.Errorf("%s: %v", what, err)
				continue
			}
			if rep.OK != c.ok {
				t.Errorf("%s: ok=%v (%s), want %v", what, rep.OK, rep.Error, c.ok)
			}
		}
	}
}

// TestRequestsOutliveBuffers: a Handler may keep a Request after it
// returns; later requests (which reuse the hub's envelope buffers) do not
// change it.
func TestRequestsOutliveBuffers(t *testing.T) {
	devKey, owner := testKey(t, "device"), testKey(t, "owner")
	opener := &command.Opener{Device: devKey, Owners: command.StaticOwners(owner.PublicKey())}
	var mu sync.Mutex
	var kept []*command.Request
	h := hub.New(opener, hub.HandlerFunc(func(ctx context.Context, req *command.Request) (any, error) {
		mu.Lock()
		kept = append(kept, req)
		mu.Unlock()
		return nil, nil
	}), &hub.Options{Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(h)
	defer srv.Close()
	const n = 40
	want := make(map[string]string, n) // name -> args
	var wg sync.WaitGroup
	for i := range n {
		name, args := fmt.Sprint("cmd", i), fmt.Sprintf(`{"i":%d,"pad":%q}`, i, strings.Repeat("x", i*50))
		want[name] = args
		env, err := command.Seal(nil, owner, devKey.PublicKey(), command.Command{Name: name, Args: []byte(args)}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			resp, err := http.Post(srv.URL+hub.CommandsPath, "application/octet-stream", bytes.NewReader(env))
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s: status %d", name, resp.StatusCode)
			}
		})
	}
	wg.Wait()
	if len(kept) != n {
		t.Fatalf("handler saw %d requests, want %d", len(kept), n)
	}
	for _, req := range kept {
		if args, ok := want[req.Command.Name]; !ok || string(req.Command.Args) != args || req.Sender != owner.PublicKey() {
			t.Errorf("kept request changed: %q %s from %s", req.Command.Name, req.Command.Args, req.Sender)
		}
	}
}

func TestRoutes(t *testing.T) {
	r := newRig(t, nil)
	url := r.serve(t)
	env := r.seal(t, r.owner, "light", `{"on":true}`)
	cases := []struct {
		method, path, ctype string
		status              int
		allow               string
	}{
		{"GET", hub.CommandsPath, "", http.StatusMethodNotAllowed, "POST"},
		{"PUT", hub.CommandsPath, "application/octet-stream", http.StatusMethodNotAllowed, "POST"},
		{"POST", hub.DevicePath, "", http.StatusMethodNotAllowed, "GET, HEAD"},
		{"DELETE", hub.HealthPath, "", http.StatusMethodNotAllowed, "GET, HEAD"},
		{"POST", "/v1/command", "application/octet-stream", http.StatusNotFound, ""},
		{"GET", "/", "", http.StatusNotFound, ""},
		{"POST", hub.CommandsPath, "application/json", http.StatusUnsupportedMediaType, ""},
		{"POST", hub.CommandsPath, "text/plain", http.StatusUnsupportedMediaType, ""},
		{"POST", hub.CommandsPath, "application/octet-stream;;", http.StatusUnsupportedMediaType, ""},
		{"HEAD", hub.HealthPath, "", http.StatusOK, ""},
		{"HEAD", hub.DevicePath, "", http.StatusOK, ""},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, url+c.path, bytes.NewReader(env))
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		resp := do(t, nil, req)
		if resp.status != c.status || resp.header.Get("Allow") != c.allow {
			t.Errorf("%s %s (%s): %d Allow %q, want %d Allow %q", c.method, c.path, c.ctype, resp.status, resp.header.Get("Allow"), c.status, c.allow)
		}
	}
	if n := len(r.rec.Calls()); n != 0 {
		t.Errorf("device saw %d commands", n)
	}
	// The envelope was never opened, so it still works, with parameters
	// on its media type.
	if rep := r.openReply(t, env, post(t, nil, url, "Application/Octet-Stream; x=1", env)); !rep.OK {
		t.Fatal(rep.Error)
	}
}

func TestDeviceInfo(t *testing.T) {
	for _, c := range []struct {
		net    nem.Network
		name   string
		prefix string
	}{
		{0, "testnet", "T"},
		{nem.Testnet, "testnet", "T"},
		{nem.Mainnet, "mainnet", "N"},
		{nem.Mijin, "mijin", "M"},
	} {
		r := newRig(t, &hub.Options{Network: c.net})
		url := r.serve(t)
		req, _ := http.NewRequest(http.MethodGet, url+hub.DevicePath, nil)
		resp := do(t, nil, req)
		if resp.status != http.StatusOK || resp.header.Get("Content-Type") != "application/json" {
			t.Fatalf("%v: %d %s", c.net, resp.status, resp.header.Get("Content-Type"))
		}
		var info map[string]string
		dec := json.NewDecoder(bytes.NewReader(resp.body))
		if err := dec.Decode(&info); err != nil {
			t.Fatalf("%v: %v in %q", c.net, err, resp.body)
		}
		if len(info) != 3 {
			t.Errorf("%v: fields %v, want publicKey, address, network", c.net, info)
		}
		pub := r.devKey.PublicKey()
		if info["publicKey"] != pub.String() || len(info["publicKey"]) != 64 {
			t.Errorf("%v: publicKey %q, want %s", c.net, info["publicKey"], pub)
		}
		a, err := nem.ParseAddress(info["address"])
		if err != nil || a != pub.Address(a.Network()) || info["address"] != a.String() {
			t.Errorf("%v: address %q (%v) is not the device's", c.net, info["address"], err)
		}
		if !strings.HasPrefix(info["address"], c.prefix) || info["network"] != c.name {
			t.Errorf("%v: address %q network %q, want %s… %s", c.net, info["address"], info["network"], c.prefix, c.name)
		}
	}

	r := newRig(t, nil)
	url := r.serve(t)
	req, _ := http.NewRequest(http.MethodGet, url+hub.HealthPath, nil)
	if resp := do(t, nil, req); resp.status != http.StatusOK || string(resp.body) != "ok" {
		t.Errorf("healthz: %d %q", resp.status, resp.body)
	}
}

// blocking is a Handler that holds each command until released.
type blocking struct {
	entered chan string
	release chan struct{}
}

func (b *blocking) Handle(ctx context.Context, req *command.Request) (any, error) {
	b.entered <- req.Command.Name
	select {
	case <-b.release:
		return "done " + req.Command.Name, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func TestConcurrencyLimit(t *testing.T) {
	devKey, owner := testKey(t, "device"), testKey(t, "owner")
	opener := &command.Opener{Device: devKey, Owners: command.StaticOwners(owner.PublicKey())}
	b := &blocking{entered: make(chan string, 4), release: make(chan struct{})}
	h := hub.New(opener, b, &hub.Options{MaxInFlight: 1, MaxWait: -1, RetryAfter: 2500 * time.Millisecond})
	srv := httptest.NewServer(h)
	defer srv.Close()
	seal := func(name string) []byte {
		env, err := command.Seal(nil, owner, devKey.PublicKey(), command.Command{Name: name}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return env
	}

	first := seal("first")
	done := make(chan response, 1)
	go func() { done <- post(t, nil, srv.URL, "", first) }()
	<-b.entered // the first command holds the only slot

	second := seal("second")
	resp := post(t, nil, srv.URL, "", second)
	if resp.status != http.StatusServiceUnavailable || resp.header.Get("Retry-After") != "3" {
		t.Fatalf("over the limit: %d Retry-After %q, want 503 and 3", resp.status, resp.header.Get("Retry-After"))
	}
	// Health and device info need no slot.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+hub.HealthPath, nil)
	if r := do(t, nil, req); r.status != http.StatusOK {
		t.Errorf("healthz while busy: %d", r.status)
	}
	close(b.release)
	if r := <-done; r.status != http.StatusOK {
		t.Fatalf("first: %d", r.status)
	}
	// A 503 happens before the envelope is opened: the same envelope can
	// be sent again.
	resp = post(t, nil, srv.URL, "", second)
	if resp.status != http.StatusOK {
		t.Fatalf("second, resent: %d %q", resp.status, resp.body)
	}
	if _, err := command.OpenReply(owner, devKey.PublicKey(), second, resp.body, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrencyWait: commands over the limit wait for a slot, up to
// MaxWait, and then all succeed.
func TestConcurrencyWait(t *testing.T) {
	r := newRig(t, &hub.Options{MaxInFlight: 2, MaxWait: 10 * time.Second})
	url := r.serve(t)
	const n = 16
	envs := make([][]byte, n)
	for i := range envs {
		envs[i] = r.seal(t, r.owner, "fan", fmt.Sprintf(`{"speed":%d}`, i%4))
	}
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range envs {
		wg.Go(func() { statuses[i] = post(t, nil, url, "", envs[i]).status })
	}
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusOK {
			t.Errorf("command %d: %d", i, s)
		}
	}
	if got := len(r.rec.Calls()); got != n {
		t.Errorf("device saw %d commands, want %d", got, n)
	}
}

// TestQueueBound: with MaxQueued waiters already waiting, more get 503 at
// once instead of queueing.
func TestQueueBound(t *testing.T) {
	devKey, owner := testKey(t, "device"), testKey(t, "owner")
	opener := &command.Opener{Device: devKey, Owners: command.StaticOwners(owner.PublicKey())}
	b := &blocking{entered: make(chan string, 8), release: make(chan struct{})}
	h := hub.New(opener, b, &hub.Options{MaxInFlight: 1, MaxQueued: 1, MaxWait: time.Minute})
	srv := httptest.NewServer(h)
	defer srv.Close()
	send := func(name string) response {
		env, err := command.Seal(nil, owner, devKey.PublicKey(), command.Command{Name: name}, time.Now())
		if err != nil {
			t.Error(err)
			return response{}
		}
		return post(t, nil, srv.URL, "", env)
	}
	holder := make(chan response, 1)
	go func() { holder <- send("holder") }()
	<-b.entered
	// Three more: one waits in the queue, two are refused at once. A 503
	// can only mean the queue is full, so after two of them the third is
	// waiting.
	others := make(chan response, 3)
	for i := range 3 {
		go func() { others <- send(fmt.Sprint("other", i)) }()
	}
	for range 2 {
		if r := <-others; r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") != "1" {
			t.Fatalf("over the queue bound: %d Retry-After %q", r.status, r.header.Get("Retry-After"))
		}
	}
	close(b.release)
	if r := <-holder; r.status != http.StatusOK {
		t.Errorf("holder: %d", r.status)
	}
	if r := <-others; r.status != http.StatusOK {
		t.Errorf("queued command: %d", r.status)
	}
}

func TestHandlerFailures(t *testing.T) {
	devKey, owner := testKey(t, "device"), testKey(t, "owner")
	opener := &command.Opener{Device: devKey, Owners: command.StaticOwners(owner.PublicKey())}
	logs := &logBuffer{}
	h := hub.New(opener, hub.HandlerFunc(func(ctx context.Context, req *command.Request) (any, error) {
		switch req.Command.Name {
		case "panic":
			panic("boom")
		case "chan":
			return make(chan int), nil
		case "err":
			return nil, errors.New("the fan is jammed")
		case "slow":
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return map[string]string{"echo": req.Command.Name}, nil
	}), &hub.Options{Logger: slog.New(slog.NewJSONHandler(logs, nil)), HandleTimeout: 50 * time.Millisecond})
	if _, ok := h.(hub.Halter); ok {
		t.Error("handler of a HandlerFunc is a Halter")
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, c := range []struct {
		name string
		ok   bool
		text string
	}{
		{"panic", false, "command: the device failed"},
		{"chan", false, "command: the device's result could not be encoded"},
		{"err", false, "the fan is jammed"},
		{"slow", false, "deadline exceeded"},
		{"hello", true, `{"echo":"hello"}`},
	} {
		rep, got := sendCommand(t, srv.URL, owner, devKey, c.name)
		if rep.OK != c.ok || !strings.Contains(got, c.text) {
			t.Errorf("%s: ok=%v %q, want ok=%v %q", c.name, rep.OK, got, c.ok, c.text)
		}
	}
	if !strings.Contains(logs.String(), "handler panicked") {
		t.Error("the panic was not logged")
	}
}

func TestNewPanics(t *testing.T) {
	k := testKey(t, "device")
	owners := command.StaticOwners()
	h := hub.HandlerFunc(func(context.Context, *command.Request) (any, error) { return nil, nil })
	for _, c := range []struct {
		name   string
		opener *command.Opener
		h      hub.Handler
		opts   *hub.Options
	}{
		{"nil opener", nil, h, nil},
		{"no key", &command.Opener{Owners: owners}, h, nil},
		{"no owners", &command.Opener{Device: k}, h, nil},
		{"nil handler", &command.Opener{Device: k, Owners: owners}, nil, nil},
		{"bad network", &command.Opener{Device: k, Owners: owners}, h, &hub.Options{Network: 0x42}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: New did not panic", c.name)
				}
			}()
			hub.New(c.opener, c.h, c.opts)
		}()
	}
}

// TestLogs: the access log has a record per request with the facts an
// operator needs, and never the device's (or anyone's) private key.
func TestLogs(t *testing.T) {
	r := newRig(t, nil)
	url := r.serve(t)
	r.command(t, "light", `{"on":true}`)
	r.command(t, "fan", `{"speed":9}`)
	env := r.seal(t, r.stranger, "light", `{"on":false}`)
	checkRefused(t, "stranger", post(t, nil, url, "", env))
	req, _ := http.NewRequest(http.MethodGet, url+hub.DevicePath, nil)
	do(t, nil, req)

	text := r.logs.String()
	for _, k := range []*nem.PrivateKey{r.devKey, r.owner, r.stranger} {
		for _, h := range []string{k.Hex(), strings.ToUpper(k.Hex()), k.Hex()[:16]} {
			if strings.Contains(text, h) {
				t.Fatalf("the log holds a private key")
			}
		}
	}
	recs := r.logs.records(t)
	if len(recs) != 4 {
		t.Fatalf("%d log records, want 4:\n%s", len(recs), text)
	}
	owner := r.owner.PublicKey().String()
	want := []map[string]any{
		{"path": hub.CommandsPath, "status": 200.0, "sender": owner, "cmd": "light", "ok": true},
		{"path": hub.CommandsPath, "status": 200.0, "sender": owner, "cmd": "fan", "ok": false},
		{"path": hub.CommandsPath, "status": 401.0},
		{"path": hub.DevicePath, "status": 200.0, "method": "GET"},
	}
	for i, w := range want {
		for k, v := range w {
			if recs[i][k] != v {
				t.Errorf("record %d: %s = %v, want %v", i, k, recs[i][k], v)
			}
		}
	}
	if s, _ := recs[2]["reason"].(string); !strings.Contains(s, "not an owner") {
		t.Errorf("refusal reason %q", s)
	}
	if _, ok := recs[2]["sender"]; ok {
		t.Error("a refused envelope's sender is logged as a sender")
	}
	// Command args never reach the log.
	if strings.Contains(text, `speed":9`) || strings.Contains(text, `"on":`) {
		t.Error("the log holds command args")
	}
}

// TestReplayFull: when the Opener's replay cache is full, commands are
// refused with the uniform 401 (the reason is logged) until entries expire.
func TestReplayFull(t *testing.T) {
	r := newRig(t, nil)
	r.opener.ReplayCapacity = 2 // before the first Open
	url := r.serve(t)
	r.command(t, "light", `{"on":true}`)
	r.command(t, "light", `{"on":false}`)
	checkRefused(t, "third", post(t, nil, url, "", r.seal(t, r.owner, "light", `{"on":true}`)))
	if !strings.Contains(r.logs.String(), "replay cache is full") {
		t.Error("the log does not say the replay cache is full")
	}
}
