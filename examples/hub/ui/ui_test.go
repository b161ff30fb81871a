package ui

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
)

// apiStub stands for the hub's API: it names the path it served.
var apiStub = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "api "+r.Method+" "+r.URL.Path)
})

func get(t *testing.T, h http.Handler, method, path string, hdr ...string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func body(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Header.Get("Content-Encoding") == "gzip" && len(b) > 0 {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// TestHandlerRoutes: the page at /, its assets under /ui/, the rest to the
// API, with the security headers on every page response.
func TestHandlerRoutes(t *testing.T) {
	h := Handler(apiStub)
	for _, tc := range []struct {
		path, ctype string
		file        string // the static file served, "" for the API
	}{
		{"/", "text/html; charset=utf-8", "index.html"},
		{"/ui/app.js", "text/javascript; charset=utf-8", "app.js"},
		{"/ui/app.css", "text/css; charset=utf-8", "app.css"},
		{"/ui/wasm_exec.js", "text/javascript; charset=utf-8", "wasm_exec.js"},
		{"/ui/icon.svg", "image/svg+xml", "icon.svg"},
		{"/ui/nemiot.wasm", "application/wasm", ""},
		{"/v1/device", "text/plain", ""},
		{"/healthz", "text/plain", ""},
		{"/v1/commands", "text/plain", ""},
	} {
		resp := get(t, h, "GET", tc.path, "Accept-Encoding", "gzip, deflate, br")
		b := body(t, resp)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != tc.ctype {
			t.Errorf("GET %s: %d %q, want 200 %q", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), tc.ctype)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no X-Content-Type-Options: nosniff", tc.path)
		}
		page := tc.file != "" || strings.HasPrefix(tc.path, "/ui/")
		if page != (resp.Header.Get("Content-Security-Policy") == ContentSecurityPolicy) {
			t.Errorf("GET %s: Content-Security-Policy %q", tc.path, resp.Header.Get("Content-Security-Policy"))
		}
		switch {
		case tc.file != "":
			want, err := os.ReadFile("static/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, want) {
				t.Errorf("GET %s: not static/%s", tc.path, tc.file)
			}
			if resp.Header.Get("Content-Encoding") != "gzip" && len(want) > 1000 {
				t.Errorf("GET %s: not gzipped", tc.path)
			}
		case tc.path == "/ui/nemiot.wasm":
			if !bytes.HasPrefix(b, []byte("\x00asm")) || resp.Header.Get("Content-Encoding") != "gzip" {
				t.Errorf("GET %s: not a gzipped WebAssembly module", tc.path)
			}
		default:
			if string(b) != "api GET "+tc.path {
				t.Errorf("GET %s: %q, want the API's answer", tc.path, b)
			}
		}
	}
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"POST", "/", 405},
		{"DELETE", "/ui/app.js", 405},
		{"GET", "/ui/", 404},
		{"GET", "/ui/../static/BUILD", 404},
		{"GET", "/ui/BUILD", 404},
		{"GET", "/index.html", 200}, // the API's (its 404, on a real hub)
	} {
		resp := get(t, h, tc.method, tc.path)
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.status)
		}
	}
}

// TestCSPForbidsInlineScripts: the page has no inline script or style
// attribute and loads nothing from another origin, so the strict policy
// costs it nothing.
func TestCSPForbidsInlineScripts(t *testing.T) {
	html, err := os.ReadFile("static/index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range regexp.MustCompile(`<script[^>]*>[^<]*</script>`).FindAllString(string(html), -1) {
		if !regexp.MustCompile(`^<script src="/ui/[a-z_]+\.js" defer></script>$`).MatchString(tag) {
			t.Errorf("index.html has an inline or foreign script: %s", tag)
		}
	}
	if n := strings.Count(string(html), "<script"); n != 2 {
		t.Errorf("index.html has %d scripts, want wasm_exec.js and app.js", n)
	}
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`\son[a-z]+\s*=`),                   // event handler attributes
		regexp.MustCompile(`\sstyle\s*=`),                      // inline styles
		regexp.MustCompile(`(?i)(?:src|href)="(?://|[a-z]+:)`), // another origin, data:, javascript:
		regexp.MustCompile(`(?i)javascript:`),
	} {
		for _, m := range bad.FindAllString(string(html), -1) {
			t.Errorf("index.html has %q", m)
		}
	}
	for _, id := range []string{"key", "device", "cmd", "args", "send", "reply"} {
		if !strings.Contains(string(html), `id="`+id+`"`) {
			t.Errorf("index.html has no #%s (DESIGN.md §12)", id)
		}
	}
}

func TestGzipNegotiation(t *testing.T) {
	h := Handler(apiStub)
	for _, tc := range []struct {
		accept string
		gz     bool
	}{
		{"", false},
		{"gzip", true},
		{"GZIP;q=0.5", true},
		{"br, gzip;q=0", false},
		{"identity", false},
		{"*", true},
		{"deflate, x-gzip", true},
	} {
		resp := get(t, h, "GET", "/ui/nemiot.wasm", "Accept-Encoding", tc.accept)
		b := body(t, resp)
		if (resp.Header.Get("Content-Encoding") == "gzip") != tc.gz {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q", tc.accept, resp.Header.Get("Content-Encoding"))
		}
		if !bytes.HasPrefix(b, []byte("\x00asm")) || resp.Header.Get("Content-Length") == "" {
			t.Errorf("Accept-Encoding %q: not the module, or no length", tc.accept)
		}
		if resp.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("no Vary: Accept-Encoding")
		}
		// Revalidation: the same variant's tag gives 304.
		again := get(t, h, "GET", "/ui/nemiot.wasm", "Accept-Encoding", tc.accept, "If-None-Match", resp.Header.Get("ETag"))
		if again.StatusCode != http.StatusNotModified || again.Header.Get("Content-Encoding") != "" {
			t.Errorf("Accept-Encoding %q with its ETag: %d %q, want 304", tc.accept, again.StatusCode, again.Header.Get("Content-Encoding"))
		}
	}
	head := get(t, h, "HEAD", "/", "Accept-Encoding", "gzip")
	if b := body(t, head); head.StatusCode != 200 || len(b) != 0 || head.Header.Get("Content-Length") == "" {
		t.Errorf("HEAD /: %d, %d bytes", head.StatusCode, len(b))
	}
}

// TestWASMSize: the module stays within the page's budget on the wire.
func TestWASMSize(t *testing.T) {
	gz, plain := WASMSize()
	t.Logf("nemiot.wasm: %d bytes, %d gzipped", plain, gz)
	if gz > 1_500_000 {
		t.Errorf("nemiot.wasm is %d bytes gzipped, over the 1.5 MB budget", gz)
	}
}

type haltStub struct {
	http.Handler
	halts int
}

func (h *haltStub) Halt() error { h.halts++; return nil }

// TestHandlerHalts: wrapping a hub's handler keeps its Halt, so that the
// server still halts the device on shutdown; a handler without one gets
// none.
func TestHandlerHalts(t *testing.T) {
	stub := &haltStub{Handler: apiStub}
	h, ok := Handler(stub).(halter)
	if !ok {
		t.Fatal("Handler of a halter has no Halt")
	}
	if err := h.Halt(); err != nil || stub.halts != 1 {
		t.Errorf("Halt: %v, %d halts", err, stub.halts)
	}
	if _, ok := Handler(apiStub).(halter); ok {
		t.Error("Handler of a plain handler has a Halt")
	}
}
