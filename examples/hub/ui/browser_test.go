package ui

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"periph.io/x/conn/v3/gpio"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/examples/internal/lightfan"
	"github.com/nemiot/nemiot/hub"
	"github.com/nemiot/nemiot/nem"
)

var updateScreenshot = flag.Bool("update-screenshot", false, "write the page's screenshot to screenshot.png (for the README)")

// chromium returns the path of a Chromium (Debian's package "chromium").
// Without one the test is skipped, or failed under CI=true (.ci/run
// installs it).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("the browser test needs Chromium (apt-get install -y chromium); .ci/run installs it")
	}
	t.Skip("no chromium: the browser test is skipped (apt-get install -y chromium to run it)")
	return ""
}

// sighting is one request the hub saw.
type sighting struct {
	method, uri string
	header      http.Header
	body        []byte
}

// watched is the hub under test: it records every request, and plays
// dead (drops the connection) while down is set.
type watched struct {
	h    http.Handler
	down atomic.Bool
	mu   sync.Mutex
	seen []sighting
}

func (w *watched) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	w.mu.Lock()
	w.seen = append(w.seen, sighting{r.Method, r.RequestURI, r.Header.Clone(), b})
	w.mu.Unlock()
	if w.down.Load() {
		if hj, ok := rw.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	w.h.ServeHTTP(rw, r)
}

func (w *watched) requests() []sighting {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.seen)
}

// secretForms are the ways a private key could travel: hex in either
// case, raw bytes, base64.
func secretForms(k *nem.PrivateKey) [][]byte {
	raw := k.Bytes()
	h := hex.EncodeToString(raw)
	return [][]byte{[]byte(h), []byte(strings.ToUpper(h)), raw,
		[]byte(base64.StdEncoding.EncodeToString(raw)), []byte(base64.RawURLEncoding.EncodeToString(raw)),
		[]byte(h[:32]), []byte(strings.ToUpper(h[:32]))}
}

func carries(b []byte, forms [][]byte) bool {
	for _, f := range forms {
		if bytes.Contains(bytes.ToLower(b), bytes.ToLower(f)) || bytes.Contains(b, f) {
			return true
		}
	}
	return false
}

// tab drives one browser tab.
type tab struct {
	t   *testing.T
	ctx context.Context
}

func (p *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatal(err)
	}
}

// eval runs a script in the page (awaiting a promise) and returns its value.
func eval[T any](p *tab, js string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("%s: %v", js, err)
	}
	return v
}

// text returns an element's text.
func (p *tab) text(sel string) string {
	p.t.Helper()
	return eval[string](p, `document.querySelector(`+jsString(sel)+`).textContent`)
}

// setField replaces a field's text the way a user's paste does.
func (p *tab) setField(sel, value string) {
	p.t.Helper()
	got := eval[string](p, `((el) => { el.value = `+jsString(value)+`; el.dispatchEvent(new Event("input", {bubbles: true})); return el.value; })(document.querySelector(`+jsString(sel)+`))`)
	if got != value {
		p.t.Fatalf("%s: value %q after setting %q", sel, got, value)
	}
}

func (p *tab) click(sel string) {
	p.t.Helper()
	p.do(chromedp.Click(chromedp.CSS(sel)))
}

func jsString(s string) string { return fmt.Sprintf("%q", s) }

// send enters a command and its arguments, presses #send and returns
// #reply once it shows an outcome.
func (p *tab) send(cmd, args string) string {
	p.t.Helper()
	p.setField("#cmd", cmd)
	p.setField("#args", args)
	return p.outcome("#send")
}

// outcome presses a button and returns #reply once it shows an outcome.
func (p *tab) outcome(sel string) string {
	p.t.Helper()
	p.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("#reply").textContent = ""`))
	p.click(sel)
	var reply string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if reply = p.text("#reply"); reply != "" && !strings.HasPrefix(reply, "sending") {
			return reply
		}
	}
	p.t.Fatalf("%s: no outcome in #reply after 20 s (%q)", sel, reply)
	return ""
}

// waitReady waits for the page to be usable: module running, device shown.
func (p *tab) waitReady() {
	p.t.Helper()
	p.do(chromedp.WaitVisible(chromedp.CSS(`html[data-ready="true"]`)))
}

type pagePerf struct {
	WASM      float64   `json:"wasm"`
	Device    float64   `json:"device"`
	Ready     float64   `json:"ready"`
	Seals     []float64 `json:"seals"`
	WASMBytes int       `json:"wasmBytes"`
}

// storage is everything the page could have stored.
type storage struct {
	Local     []string `json:"local"`
	Session   []string `json:"session"`
	Cookie    string   `json:"cookie"`
	IndexedDB []string `json:"indexedDB"`
	Caches    []string `json:"caches"`
}

const storageJS = `(async () => ({
	local: Object.keys(localStorage).map((k) => k + "=" + localStorage.getItem(k)),
	session: Object.keys(sessionStorage).map((k) => k + "=" + sessionStorage.getItem(k)),
	cookie: document.cookie,
	indexedDB: (await indexedDB.databases()).map((d) => d.name),
	caches: await caches.keys(),
}))()`

// TestBrowser drives the owner page in headless Chromium against a hub
// with a simulated light and fan: commands work and show verified
// replies, bad arguments, a stranger's key, a wrong pinned device and a
// dead hub each get their message, no request carries the owner's key,
// and nothing is stored unless the owner keeps the key encrypted.
func TestBrowser(t *testing.T) {
	chrome := chromium(t)
	owner, stranger, device := testKey(t, "owner"), testKey(t, "stranger"), testKey(t, "device")
	devPub := device.PublicKey().String()
	dev, pins := lightfan.NewSimPins()
	opener := &command.Opener{Device: device, Owners: command.StaticOwners(owner.PublicKey())}
	w := &watched{h: Handler(hub.New(opener, dev, &hub.Options{Network: nem.Testnet}))}
	srv := httptest.NewServer(w)
	defer srv.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.NoSandbox,
		chromedp.UserDataDir(t.TempDir()), // a fresh profile: nothing stored before
		chromedp.WindowSize(412, 915),     // a phone
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("password-store", "basic"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	defer cancelTimeout()
	p := &tab{t: t, ctx: ctx}

	// What the browser itself asks for, whatever the origin, and what goes
	// wrong in the page.
	var (
		mu         sync.Mutex
		browserReq []string
		problems   []string
	)
	err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			var post []byte
			for _, e := range e.Request.PostDataEntries {
				post = append(post, e.Bytes...)
			}
			browserReq = append(browserReq, e.Request.URL+" "+fmt.Sprint(e.Request.Headers)+" "+hex.EncodeToString(post))
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			desc := d.Text
			if d.Exception != nil {
				desc += " " + d.Exception.Description
			}
			problems = append(problems, "exception: "+desc)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.__csp = []; document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI));`,
	}); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	p.do(chromedp.Navigate(srv.URL + "/"))
	p.waitReady()
	loaded := time.Since(start)
	if got := p.text("#device"); got != devPub {
		t.Fatalf("#device = %q, want the device key %s", got, devPub)
	}
	if got := p.text("#device-address"); !strings.Contains(got, device.Address(nem.Testnet).String()) {
		t.Errorf("#device-address = %q", got)
	}

	// The owner pastes the key (typed keystrokes, as a user would).
	p.do(chromedp.SendKeys(chromedp.CSS("#key"), owner.Hex()))
	if got := p.text("#key-note"); !strings.Contains(got, owner.PublicKey().String()) {
		t.Fatalf("#key-note = %q, want the owner's public key", got)
	}

	// Commands, with the contract's ids.
	reply := p.send("light", `{"on":true}`)
	if !strings.HasPrefix(reply, "verified") || !strings.Contains(reply, `"on":true`) {
		t.Fatalf("light on: #reply = %q", reply)
	}
	if l := pins.Pin("GPIO17").Read(); l != gpio.High {
		t.Errorf("light on: the light pin is %v", l)
	}
	if *updateScreenshot {
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, paletted(img)); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("screenshot.png", b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot.png: %d bytes", b.Len())
	}
	if reply := p.send("fan", `{"speed":2}`); !strings.HasPrefix(reply, "verified") || !strings.Contains(reply, `"speed":2`) {
		t.Errorf("fan 2: #reply = %q", reply)
	}
	if reply := p.send("status", ""); !strings.HasPrefix(reply, "verified · status · ok") || !strings.Contains(reply, `"light":{`) {
		t.Errorf("status: #reply = %q", reply)
	}
	if reply := p.outcome(`.quick button[data-args='{"on":false}']`); !strings.HasPrefix(reply, "verified · light · ok") || pins.Pin("GPIO17").Read() != gpio.Low {
		t.Errorf("Light off button: #reply = %q", reply)
	}
	// The device refuses to act: a verified reply with its error text.
	if reply := p.send("dance", ""); !strings.HasPrefix(reply, "verified · dance · not done") || !strings.Contains(reply, "the device says: ") {
		t.Errorf("unknown command: #reply = %q", reply)
	}
	if reply := p.send("fan", `{"speed":9}`); !strings.HasPrefix(reply, "verified · fan · not done") {
		t.Errorf("fan 9: #reply = %q", reply)
	}
	// Bad arguments never leave the page.
	before := len(w.requests())
	if reply := p.send("light", `{"on":tru}`); !strings.HasPrefix(reply, "error: args: invalid JSON at byte 10 (line 1, column 10)") {
		t.Errorf("bad args: #reply = %q", reply)
	}
	if reply := p.send("", ""); !strings.HasPrefix(reply, "error: cmd: ") {
		t.Errorf("no command: #reply = %q", reply)
	}
	if n := len(w.requests()); n != before {
		t.Errorf("bad input sent %d requests", n-before)
	}

	// More seals, for the timing.
	for range 8 {
		if reply := p.send("status", ""); !strings.HasPrefix(reply, "verified") {
			t.Fatalf("status: #reply = %q", reply)
		}
	}

	// Pinning: the pin is in the page's address, not in storage.
	p.click("#pin")
	hash := eval[string](p, `location.hash`)
	if hash != "#device="+devPub || !strings.HasPrefix(p.text("#device-note"), "Pinned") {
		t.Errorf("after pinning: location.hash %q, note %q", hash, p.text("#device-note"))
	}

	// Nothing stored, no request carried the key (checked below for all).
	st := eval[storage](p, storageJS)
	if len(st.Local)+len(st.Session)+len(st.IndexedDB)+len(st.Caches) > 0 || st.Cookie != "" {
		t.Errorf("the page stored %+v", st)
	}

	// A wrong device pinned: refused, and the hint says the hub is another device.
	other := testKey(t, "other device").PublicKey().String()
	p.click("#pin-other summary")
	p.setField("#pin-key", other)
	p.click("#pin-set")
	if note := p.text("#device-note"); !strings.HasPrefix(note, "Wrong device") {
		t.Errorf("wrong pin: #device-note = %q", note)
	}
	if reply := p.send("status", ""); !strings.HasPrefix(reply, "refused") || !strings.Contains(reply, "the hub says it is device "+devPub+", not the pinned key "+other) {
		t.Errorf("wrong pin: #reply = %q", reply)
	}
	p.click("#unpin")

	// A key that is not an owner's: refused, with the CLI's hint.
	p.setField("#key", stranger.Hex())
	if reply := p.send("light", `{"on":true}`); !strings.HasPrefix(reply, "refused") || !strings.Contains(reply, "is "+stranger.PublicKey().String()+" an owner of the device, and are the clocks right?") {
		t.Errorf("stranger: #reply = %q", reply)
	}
	if pins.Pin("GPIO17").Read() != gpio.Low {
		t.Error("the stranger switched the light")
	}
	// A key that is not a key.
	p.setField("#key", owner.Hex()[:40]+"xyz"+owner.Hex()[43:])
	if reply := p.send("status", ""); !strings.HasPrefix(reply, "error: owner key: ") || carries([]byte(reply), secretForms(owner)) {
		t.Errorf("bad key: #reply = %q", reply)
	}
	p.setField("#key", owner.Hex())

	// The hub goes down.
	w.down.Store(true)
	if reply := p.send("status", ""); !strings.HasPrefix(reply, "error: the hub does not answer") {
		t.Errorf("hub down: #reply = %q", reply)
	}
	w.down.Store(false)
	if reply := p.send("status", ""); !strings.HasPrefix(reply, "verified") {
		t.Errorf("hub back: #reply = %q", reply)
	}

	perf := eval[pagePerf](p, `window.nemiotPerf`)
	if len(perf.Seals) == 0 {
		t.Fatal("the page measured no seal")
	}

	// Keeping the key, encrypted: stored only as the module's ciphertext,
	// and usable after a reload with the passphrase alone.
	const pass = "correct horse battery staple"
	p.click("#keep summary")
	p.setField("#keep-pass", pass)
	p.click("#keep-save")
	p.do(chromedp.WaitVisible(chromedp.CSS("#keep-open")))
	st = eval[storage](p, storageJS)
	if len(st.Local) != 1 || !strings.HasPrefix(st.Local[0], "nemiot.key=nemiot-key-v1:") || carries([]byte(st.Local[0]), secretForms(owner)) || strings.Contains(st.Local[0], pass) ||
		len(st.Session)+len(st.IndexedDB)+len(st.Caches) > 0 || st.Cookie != "" {
		t.Errorf("kept key: storage %+v", st)
	}
	p.do(chromedp.Reload())
	p.waitReady()
	if v := eval[string](p, `document.querySelector("#key").value`); v != "" {
		t.Errorf("after reload #key holds %d characters", len(v))
	}
	p.click("#keep summary")
	p.setField("#unlock-pass", pass+"?")
	p.click("#unlock")
	waitText(p, "#keep-note", "error: passphrase: ")
	p.setField("#unlock-pass", pass)
	p.click("#unlock")
	waitText(p, "#keep-note", "Unlocked")
	if reply := p.send("light", `{"on":true}`); !strings.HasPrefix(reply, "verified") || pins.Pin("GPIO17").Read() != gpio.High {
		t.Errorf("with the unlocked key: #reply = %q", reply)
	}
	p.click("#forget")
	st = eval[storage](p, storageJS)
	if len(st.Local)+len(st.Session)+len(st.IndexedDB)+len(st.Caches) > 0 || st.Cookie != "" {
		t.Errorf("after Forget: storage %+v", st)
	}

	// No request, to the hub or anywhere, carried the key in any form.
	forms := secretForms(owner)
	reqs := w.requests()
	for _, r := range reqs {
		if carries([]byte(r.uri), forms) || carries([]byte(fmt.Sprint(r.header)), forms) || carries(r.body, forms) {
			t.Errorf("%s %s carried the owner's key", r.method, r.uri)
		}
	}
	mu.Lock()
	for _, r := range browserReq {
		if !strings.HasPrefix(r, srv.URL+"/") {
			t.Errorf("the page asked another origin: %.120s", r)
		}
		if carries([]byte(r), forms) {
			t.Errorf("a request carried the owner's key: %.120s", r)
		}
	}
	if len(browserReq) < 20 {
		t.Errorf("saw only %d browser requests", len(browserReq))
	}
	for _, pr := range problems {
		t.Errorf("page: %s", pr)
	}
	mu.Unlock()
	csp := eval[[]string](p, `window.__csp`)
	if len(csp) > 0 {
		t.Errorf("Content-Security-Policy violations: %v", csp)
	}

	first := perf.Seals[0]
	seals := slices.Clone(perf.Seals)
	sort.Float64s(seals)
	median := seals[len(seals)/2]
	t.Logf("in Chromium: usable %.0f ms after navigation (module %.0f ms, device %.0f ms; %v as the test saw it); seal median %.2f ms, first %.2f ms, max %.2f ms over %d; module %d bytes on the wire; %d requests checked for the key",
		perf.Ready, perf.WASM, perf.Device, loaded.Round(time.Millisecond), median, first, seals[len(seals)-1], len(seals), perf.WASMBytes, len(reqs))
	// Generous bounds: CI shares two cores with the race detector.
	if perf.Ready > 10000 || median > 30 {
		t.Errorf("too slow: usable after %.0f ms, seal median %.2f ms", perf.Ready, median)
	}
	if perf.WASMBytes > 1_500_000 {
		t.Errorf("the module took %d bytes on the wire", perf.WASMBytes)
	}
}

// waitText waits until sel's text starts with prefix.
func waitText(p *tab, sel, prefix string) {
	p.t.Helper()
	var s string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if s = p.text(sel); strings.HasPrefix(s, prefix) {
			return
		}
	}
	p.t.Fatalf("%s = %q, want it to start with %q", sel, s, prefix)
}

// paletted returns img in its 256 most common colors (each pixel in the
// nearest of them): a page of flat colors and anti-aliased text looks the
// same, and its PNG is a third of the size.
func paletted(img image.Image) *image.Paletted {
	r := img.Bounds()
	counts := map[color.RGBA]int{}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			counts[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)]++
		}
	}
	colors := slices.Collect(maps.Keys(counts))
	slices.SortFunc(colors, func(a, b color.RGBA) int {
		if counts[a] != counts[b] {
			return counts[b] - counts[a]
		}
		return int(a.R)<<16 + int(a.G)<<8 + int(a.B) - (int(b.R)<<16 + int(b.G)<<8 + int(b.B))
	})
	pal := make(color.Palette, 0, 256)
	for _, c := range colors[:min(len(colors), 256)] {
		pal = append(pal, c)
	}
	p := image.NewPaletted(r, pal)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			p.Set(x, y, img.At(x, y))
		}
	}
	return p
}
