package ui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

//go:embed static
var static embed.FS

// Paths the page is served at. Everything else goes to the hub's API.
const (
	PagePath   = "/"
	AssetsPath = "/ui/"
)

// ContentSecurityPolicy is sent with every response of the page: scripts
// only from the hub (no inline script, no eval) but WebAssembly
// compilation, everything else from the hub only, no plugins, no <base>,
// no form posts, no framing.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// asset is one file of the page, with its gzipped form when that is smaller.
type asset struct {
	ctype string
	plain func() []byte // the bytes as they are
	gz    []byte        // gzipped, or nil
	etag  string        // of the plain bytes, quoted
}

// assets are the page's files by URL path.
var assets = sync.OnceValue(func() map[string]*asset {
	m := map[string]*asset{}
	add := func(path, file, ctype string) {
		b := mustRead(file)
		a := &asset{ctype: ctype, plain: func() []byte { return b }, etag: etag(b)}
		if gz := gzipped(b); len(gz) < len(b) {
			a.gz = gz
		}
		m[path] = a
	}
	add(PagePath, "static/index.html", "text/html; charset=utf-8")
	add(AssetsPath+"app.js", "static/app.js", "text/javascript; charset=utf-8")
	add(AssetsPath+"app.css", "static/app.css", "text/css; charset=utf-8")
	add(AssetsPath+"wasm_exec.js", "static/wasm_exec.js", "text/javascript; charset=utf-8")
	add(AssetsPath+"icon.svg", "static/icon.svg", "image/svg+xml")
	// The module is stored gzipped; it is decompressed only for a client
	// that does not take gzip.
	gz := mustRead("static/nemiot.wasm.gz")
	plain := sync.OnceValue(func() []byte {
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			panic("ui: embedded nemiot.wasm.gz: " + err.Error())
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			panic("ui: embedded nemiot.wasm.gz: " + err.Error())
		}
		return b
	})
	m[AssetsPath+"nemiot.wasm"] = &asset{ctype: "application/wasm", plain: plain, gz: gz, etag: etag(gz)}
	return m
})

func mustRead(file string) []byte {
	b, err := static.ReadFile(file)
	if err != nil {
		panic("ui: embedded file missing: " + err.Error()) // a build without static/
	}
	return b
}

func etag(b []byte) string {
	h := sha256.Sum256(b)
	return `"` + hex.EncodeToString(h[:12]) + `"`
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b) // a bytes.Buffer does not fail
	zw.Close()
	return buf.Bytes()
}

// WASMSize returns the sizes of the page's WebAssembly module: as served
// to a browser that takes gzip, and decompressed.
func WASMSize() (gzipped, plain int) {
	a := assets()[AssetsPath+"nemiot.wasm"]
	return len(a.gz), len(a.plain())
}

// Handler returns a handler that serves the owner's page at GET / and its
// assets under /ui/, and passes every other request to api (the hub's
// wire API, from hub.New). Every response, the API's included, carries
// X-Content-Type-Options: nosniff; the page's also carry
// [ContentSecurityPolicy] and the other headers that keep it from being
// framed or leaking its address. Text and the module are sent gzipped to
// clients that accept it.
//
// If api has a Halt method (hub.New's handler has, when its device has),
// so has the returned handler, so that a hub.Server serving it still
// halts the device on shutdown.
func Handler(api http.Handler) http.Handler {
	h := &handler{api: api, files: assets()}
	if ha, ok := api.(halter); ok {
		return &haltingHandler{h, ha}
	}
	return h
}

// halter is hub.Halter, named here so that package ui needs no hub.
type halter interface{ Halt() error }

type handler struct {
	api   http.Handler
	files map[string]*asset
}

type haltingHandler struct {
	*handler
	h halter
}

// Halt halts what the API's handler halts.
func (h *haltingHandler) Halt() error { return h.h.Halt() }

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	a, ok := h.files[r.URL.Path]
	if !ok && !strings.HasPrefix(r.URL.Path, AssetsPath) {
		h.api.ServeHTTP(w, r)
		return
	}
	secure(w.Header())
	if !ok {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	a.serve(w, r)
}

// secure sets the page's security headers.
func secure(h http.Header) {
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=(), payment=()")
}

func (a *asset) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", "no-cache") // revalidate: a new hub binary may serve a new page
	h.Set("Vary", "Accept-Encoding")
	body, tag := a.gz, strings.TrimSuffix(a.etag, `"`)+`-gz"`
	if a.gz == nil || !acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body, tag = nil, a.etag
	} else {
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", tag)
	if match(r.Header.Get("If-None-Match"), tag) {
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if body == nil {
		body = a.plain()
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// acceptsGzip reports whether an Accept-Encoding header takes gzip (gzip
// or *, without q=0).
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "x-gzip" && coding != "*" {
			continue
		}
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		return q > 0
	}
	return false
}

// match reports whether an If-None-Match header names tag.
func match(header, tag string) bool {
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == tag || t == "*" {
			return true
		}
	}
	return false
}
