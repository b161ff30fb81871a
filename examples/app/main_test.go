package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/device"
	"github.com/nemiot/nemiot/examples/internal/keyfile"
	"github.com/nemiot/nemiot/hub"
	"github.com/nemiot/nemiot/nem"
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
	f.hub = httptest.NewServer(hub.New(opener, device.NewSim(), nil))
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
		{"wrong device key", []string{"-key", f.ownerKey, "-hub", f.hub.URL, "-device", other.PublicKey().String()}, 1, "", "refused"},
		{"device says no", []string{"-key", f.ownerKey, "-hub", f.hub.URL, "-cmd", "fan", "-args", `{"speed":9}`}, 1, "fan: failed", ""},
		{"unknown command", []string{"-key", f.ownerKey, "-hub", f.hub.URL, "-cmd", "door"}, 1, "error: ", ""},
		{"no hub", []string{"-key", f.ownerKey, "-hub", "http://127.0.0.1:1"}, 1, "", "app: "},
		{"no key", []string{"-hub", f.hub.URL}, 2, "", "NEMIOT_OWNER_KEY"},
		{"bad args json", []string{"-key", f.ownerKey, "-args", "{"}, 2, "", "not valid JSON"},
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
