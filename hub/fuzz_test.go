package hub_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/hub"
)

// fuzzTime is the date of the fuzz seeds and the clock of the fuzzed hub.
var fuzzTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const fuzzMaxBody = 4096

// newFuzzHub returns a hub whose clock stands at fuzzTime, in front of a simulated
// light and fan, obeying testKey "owner".
func newFuzzHub(t testing.TB) http.Handler {
	opener := &command.Opener{
		Device:    testKey(t, "device"),
		Owners:    command.StaticOwners(testKey(t, "owner").PublicKey()),
		Clock:     func() time.Time { return fuzzTime },
		NotBefore: fuzzTime.Add(-time.Hour),
	}
	return hub.New(opener, simDevice(), &hub.Options{MaxBody: fuzzMaxBody})
}

// fuzzSeeds are the envelopes in testdata/fuzz/FuzzCommands, sealed as
// (label, command, args) with newDetRand(label) at fuzzTime.
var fuzzSeeds = []struct{ label, name, args string }{
	{"light on", "light", `{"on":true}`},
	{"fan 2", "fan", `{"speed":2}`},
	{"status", "status", ``},
	{"bad args", "fan", `{"speed":"fast"}`},
	{"unknown", "oven", `{"on":true}`},
}

// sealSeed seals fuzzSeeds[i], repeatably.
func sealSeed(t testing.TB, i int) []byte {
	s := fuzzSeeds[i]
	cmd := command.Command{Name: s.name}
	if s.args != "" {
		cmd.Args = []byte(s.args)
	}
	env, err := command.Seal(newDetRand(s.label), testKey(t, "owner"), testKey(t, "device").PublicKey(), cmd, fuzzTime)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// checkServe posts env to h and checks the hub's invariants: no panic; the
// status is 200, 401 or 413 (only over the cap); a 401 is exactly the
// uniform refusal; a 200 carries a reply the owner can open.
func checkServe(t *testing.T, h http.Handler, env []byte) int {
	req := httptest.NewRequest(http.MethodPost, hub.CommandsPath, bytes.NewReader(env))
	req.Header.Set("Content-Type", "application/octet-stream")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	switch w.Code {
	case http.StatusOK:
		if _, err := command.OpenReply(testKey(t, "owner"), testKey(t, "device").PublicKey(), env, w.Body.Bytes(), fuzzTime); err != nil {
			t.Fatalf("200 with a reply the owner cannot open: %v", err)
		}
	case http.StatusUnauthorized:
		if w.Body.String() != `{"error":"refused"}` || w.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("401 with %q (%s)", w.Body, w.Header().Get("Content-Type"))
		}
	case http.StatusRequestEntityTooLarge:
		if len(env) <= fuzzMaxBody {
			t.Fatalf("413 for %d bytes", len(env))
		}
	default:
		t.Fatalf("status %d", w.Code)
	}
	return w.Code
}

func FuzzCommands(f *testing.F) {
	for i := range fuzzSeeds {
		f.Add(sealSeed(f, i))
	}
	h := newFuzzHub(f)
	f.Fuzz(func(t *testing.T, env []byte) {
		checkServe(t, h, env)
	})
}

// TestFuzzSeeds: the committed seed corpus loads, its envelopes are the
// ones sealSeed makes (so it is not stale), each runs once, and the hub
// then refuses them as replays.
func TestFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzCommands")
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seed corpus in %s (%v)", dir, err)
	}
	seeds := map[string]bool{}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		seeds[string(parseCorpusFile(t, name, b))] = true
	}
	h := newFuzzHub(t)
	for i, s := range fuzzSeeds {
		env := sealSeed(t, i)
		if !seeds[string(env)] {
			t.Errorf("seed %q is not in %s; regenerate it with WRITE_FUZZ_SEEDS=1", s.label, dir)
		}
		if code := checkServe(t, h, env); code != http.StatusOK {
			t.Errorf("seed %q: %d", s.label, code)
		}
		if code := checkServe(t, h, env); code != http.StatusUnauthorized {
			t.Errorf("seed %q again: %d, want 401", s.label, code)
		}
	}
}

// TestWriteFuzzSeeds writes the seed corpus when WRITE_FUZZ_SEEDS=1.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("WRITE_FUZZ_SEEDS") != "1" {
		t.Skip("set WRITE_FUZZ_SEEDS=1 to rewrite testdata/fuzz/FuzzCommands")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzCommands")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) {
		body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range fuzzSeeds {
		env := sealSeed(t, i)
		write("seed-"+strings.ReplaceAll(s.label, " ", "-"), env)
		if i == 0 {
			flipped := bytes.Clone(env)
			flipped[len(flipped)-1] ^= 1
			write("flipped-signature", flipped)
			write("truncated", env[:100])
		}
	}
	write("empty", nil)
}

// parseCorpusFile reads a one-value "go test fuzz v1" file of a []byte.
func parseCorpusFile(t *testing.T, name string, b []byte) []byte {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || lines[0] != "go test fuzz v1" {
		t.Fatalf("%s: not a go test fuzz v1 file", name)
	}
	v, ok := strings.CutPrefix(lines[1], "[]byte(")
	v, ok2 := strings.CutSuffix(v, ")")
	if !ok || !ok2 {
		t.Fatalf("%s: not a []byte value", name)
	}
	s, err := strconv.Unquote(v)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return []byte(s)
}
