package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/nemiot/nemiot/examples/hub/ui"
	"github.com/nemiot/nemiot/examples/internal/serve"
	"github.com/nemiot/nemiot/hub/hubclient"
)

func getPage(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// TestUI: with -ui the hub serves the owner's page at / beside its API,
// which works as before, and shutdown still halts the device; without
// -ui there is no page.
func TestUI(t *testing.T) {
	devKey, owner := newKey(t), newKey(t)
	h := start(t, devKey, "-sim", "-owners", owner.PublicKey().String(), "-ui")

	resp, b := getPage(t, h.url+"/")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") != ui.ContentSecurityPolicy ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" || !bytes.Contains(b, []byte(`id="send"`)) {
		t.Fatalf("GET / with -ui: %d %v", resp.StatusCode, resp.Header)
	}
	if resp, _ := getPage(t, h.url+"/ui/nemiot.wasm"); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/wasm" {
		t.Errorf("GET /ui/nemiot.wasm: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	c := &hubclient.Client{Hub: h.url, Key: owner}
	if r := send(t, c, devKey.PublicKey(), "light", `{"on":true}`); !r.OK {
		t.Errorf("light: %s", r.Error)
	}
	if !strings.Contains(h.log.String(), "owner page: open it in a browser") || !strings.Contains(h.log.String(), h.url+"/") {
		t.Errorf("the log does not say where the page is:\n%s", h.log)
	}
	if code := h.shutdown(t); code != 0 {
		t.Fatalf("exit %d\n%s", code, h.log)
	}
	state, err := h.dev.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var st status
	sb, _ := json.Marshal(state)
	if err := json.Unmarshal(sb, &st); err != nil || st.Light.On {
		t.Errorf("after shutdown with -ui the device is not halted: %s", sb)
	}

	plain := start(t, newKey(t), "-sim", "-owners", owner.PublicKey().String())
	if resp, _ := getPage(t, plain.url+"/"); resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Security-Policy") != "" {
		t.Errorf("GET / without -ui: %d, want 404", resp.StatusCode)
	}
}

func TestUINeedsHTTP(t *testing.T) {
	var stderr bytes.Buffer
	t.Setenv(serve.KeyEnv, newKey(t).Hex())
	code := run(context.Background(), []string{"-sim", "-owners", newKey(t).PublicKey().String(), "-mqtt", "tcp://127.0.0.1:1", "-listen", "", "-ui"}, &stderr, nil)
	if code != 2 || !strings.Contains(stderr.String(), "-ui needs HTTP") {
		t.Errorf("-ui -listen \"\": exit %d\n%s", code, stderr.String())
	}
}
