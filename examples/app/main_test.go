package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/examples/internal/lightfan"
	"github.com/nemiot/nemiot/hub"
	"github.com/nemiot/nemiot/hub/hubclient"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/keyfile"
)

type fixture struct {
	hub      *httptest.Server
	device   *nem.PrivateKey
	owner    *nem.PrivateKey
	ownerKey string // path of the owner's key file
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{}
	var err error
	if f.device, err = nem.GeneratePrivateKey(nil); err != nil {
		t.Fatal(err)
	}
	if f.owner, err = nem.GeneratePrivateKey(nil); err != nil {
		t.Fatal(err)
	}
	f.ownerKey = filepath.Join(t.TempDir(), "owner.key")
	if err := keyfile.Write(f.ownerKey, f.owner, ""); err != nil {
		t.Fatal(err)
	}
	opener := &command.Opener{Device: f.device, Owners: command.StaticOwners(f.owner.PublicKey())}
	f.hub = httptest.NewServer(hub.New(opener, lightfan.NewSim(), nil))
	t.Cleanup(f.hub.Close)
	return f
}

func runApp(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestSendsAndVerifies(t *testing.T) {
	f := newFixture(t)
	code, out, errOut := runApp(t, "-key", f.ownerKey, "-hub", f.hub.URL, "-cmd", "light", "-args", `{"on":true}`)
	if code != 0 || !strings.HasPrefix(out, "light: ok (signed by the device at ") {
		t.Fatalf("light: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, f.device.PublicKey().String()) || !strings.Contains(errOut, "pin it with -device") {
		t.Errorf("no note about the unpinned device key: %s", errOut)
	}

	// Pinned key, status shows the light on.
	code, out, errOut = runApp(t, "-key", f.ownerKey, "-hub", f.hub.URL, "-device", f.device.PublicKey().String())
	if code != 0 {
		t.Fatalf("status: exit %d\n%s%s", code, out, errOut)
	}
	if errOut != "" {
		t.Errorf("pinned: stderr %q", errOut)
	}
	_, body, _ := strings.Cut(out, "\n")
	var st struct {
		Light struct {
			On bool `json:"on"`
		} `json:"light"`
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil || !st.Light.On {
		t.Errorf("status result %q: %v, light on %v", body, err, st.Light.On)
	}

	// The key from the environment.
	t.Setenv(KeyEnv, f.owner.Hex())
	if code, out, errOut := runApp(t, "-hub", f.hub.URL, "-cmd", "fan", "-args", `{"speed":3}`); code != 0 {
		t.Errorf("env key: exit %d\n%s%s", code, out, errOut)
	}
}

func TestFailures(t *testing.T) {
	f := newFixture(t)
	stranger, _ := nem.GeneratePrivateKey(nil)
	strangerKey := filepath.Join(t.TempDir(), "stranger.key")
	if err := keyfile.Write(strangerKey, stranger, ""); err != nil {
		t.Fatal(err)
	}
	other, _ := nem.GeneratePrivateKey(nil)
	t.Setenv(KeyEnv, "")

	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		inOut   string // in stdout
		inError string // in stderr
	}{
		{"not an owner", []string{"-key", strangerKey, "-hub", f.hub.URL}, 1, "", "refused"},
		{"wrong device key", []string{"-key", f.ownerKey, "-hub", f.hub.URL, "-device", other.PublicKey().String()}, 1, "",
			"the hub says it is device " + f.device.PublicKey().String() + ", not the -device key " + other.PublicKey().String()},
		{"device says no", []string{"-key", f.ownerKey, "-hub", f.hub.URL, "-cmd", "fan", "-args", `{"speed":9}`}, 1, "fan: failed", ""},
		{"unknown command", []string{"-key", f.ownerKey, "-hub", f.hub.URL, "-cmd", "door"}, 1, "error: ", ""},
		{"no hub", []string{"-key", f.ownerKey, "-hub", "http://127.0.0.1:1"}, 1, "", "app: "},
		{"no key", []string{"-hub", f.hub.URL}, 2, "", "NEMIOT_OWNER_KEY"},
		{"bad device hex", []string{"-key", f.ownerKey, "-device", "zz"}, 2, "", "-device"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runApp(t, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.inOut) || !strings.Contains(errOut, tc.inError) {
				t.Errorf("exit %d (want %d)\nstdout %q\nstderr %q", code, tc.code, out, errOut)
			}
			if strings.Contains(out+errOut, f.owner.Hex()) || strings.Contains(out+errOut, stranger.Hex()) {
				t.Error("printed a private key")
			}
			if tc.name == "wrong device key" && strings.Contains(errOut, "an owner") {
				t.Error("a wrong device key gets the owner hint")
			}
		})
	}
}

// A hub that forwards to the real one but tampers with the reply: the app
// must not believe it.
func TestTamperedReply(t *testing.T) {
	f := newFixture(t)
	mitm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := http.Post(f.hub.URL+r.URL.Path, "application/octet-stream", r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if r.URL.Path == "/v1/commands" && len(b) > 100 {
			b[100] ^= 1
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(b)
	}))
	defer mitm.Close()
	code, out, errOut := runApp(t, "-key", f.ownerKey, "-hub", mitm.URL, "-device", f.device.PublicKey().String(), "-cmd", "status")
	if code != 1 || out != "" || !strings.Contains(errOut, "reply does not verify") {
		t.Errorf("exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
}

// Bad usage exits 2 with a message, before anything goes over the network.
func TestUsageFailsFast(t *testing.T) {
	f := newFixture(t)
	var hits atomic.Int32
	trap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "no", http.StatusTeapot)
	}))
	defer trap.Close()
	t.Setenv(KeyEnv, "")
	for _, tc := range []struct {
		name    string
		args    []string
		inError string
	}{
		{"empty command", []string{"-cmd", ""}, "-cmd: empty command name"},
		{"args without cmd", []string{"-args", `{"on":true}`}, "-args needs -cmd"},
		{"empty args without cmd", []string{"-args", ""}, "-args needs -cmd"},
		{"args cut short", []string{"-cmd", "light", "-args", "{"}, "-args: invalid JSON: unexpected end of JSON input (at the end, after byte 1)"},
		{"args typo", []string{"-cmd", "light", "-args", `{"on":tru}`}, "-args: invalid JSON at byte 10 (line 1, column 10): invalid character '}'"},
		{"args typo, line 3", []string{"-cmd", "fan", "-args", "{\n  \"speed\": 3,\n  \"x\" 1\n}"}, "at byte 23 (line 3, column 7): invalid character '1' after object key"},
		{"hub scheme", []string{"-hub", "ftp://127.0.0.1:1"}, `-hub: bad hub URL "ftp://127.0.0.1:1": scheme "ftp"`},
		{"hub no host", []string{"-hub", "http://"}, "-hub: bad hub URL"},
		{"hub port", []string{"-hub", "127.0.0.1:99999"}, "not in 1..65535"},
		{"device hex", []string{"-device", "zz"}, "-device"},
		{"argument", []string{"status"}, `unexpected argument "status"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-key", f.ownerKey, "-hub", trap.URL}, tc.args...)
			code, out, errOut := runApp(t, args...)
			if code != 2 || out != "" || !strings.Contains(errOut, tc.inError) {
				t.Errorf("exit %d (want 2)\nstdout %q\nstderr %q, want %q", code, out, errOut, tc.inError)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("bad usage reached the hub %d times", n)
	}
}

// A hub address without a scheme means http://.
func TestHubWithoutScheme(t *testing.T) {
	f := newFixture(t)
	hostPort := strings.TrimPrefix(f.hub.URL, "http://")
	code, out, errOut := runApp(t, "-key", f.ownerKey, "-hub", hostPort, "-device", f.device.PublicKey().String())
	if code != 0 || !strings.HasPrefix(out, "status: ok") {
		t.Errorf("-hub %s: exit %d\n%s%s", hostPort, code, out, errOut)
	}
}

// A reply signed by another device than -device says the device key is
// wrong, not that the owner is.
func TestReplyFromAnotherDevice(t *testing.T) {
	f := newFixture(t)
	// A real reply of the fixture's device, to the owner.
	c := &hubclient.Client{Hub: f.hub.URL, Key: f.owner}
	env, err := c.Seal(f.device.PublicKey(), command.Command{Name: "status"})
	if err != nil {
		t.Fatal(err)
	}
	reply, err := c.Post(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	// A hub that answers every command with it.
	impostor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(reply)
	}))
	defer impostor.Close()
	other, _ := nem.GeneratePrivateKey(nil)
	code, out, errOut := runApp(t, "-key", f.ownerKey, "-hub", impostor.URL, "-device", other.PublicKey().String())
	if code != 1 || out != "" || !strings.Contains(errOut, "signed by another device key than "+other.PublicKey().String()) ||
		!strings.Contains(errOut, "is -device right") || strings.Contains(errOut, "an owner") {
		t.Errorf("exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
}

// A key file others can read still works, with a warning.
func TestKeyFileWarning(t *testing.T) {
	f := newFixture(t)
	if err := os.Chmod(f.ownerKey, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runApp(t, "-key", f.ownerKey, "-hub", f.hub.URL, "-device", f.device.PublicKey().String())
	if code != 0 || !strings.Contains(errOut, "app: warning: ") || !strings.Contains(errOut, "chmod 600 "+f.ownerKey) {
		t.Errorf("exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
}
