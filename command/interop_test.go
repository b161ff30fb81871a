package command

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nemiot/nemiot/nem"
)

// jsVectors is testdata/js-envelopes.json, written by
// `node examples/js-app/envelope.mjs vectors`: command envelopes that
// nem-sdk (suite 1) and symbol-sdk 3 (suite 2) built.
type jsVectors struct {
	Generator string            `json:"generator"`
	SDK       map[string]string `json:"sdk"`
	Device    jsKey             `json:"device"`
	Owners    []jsKey           `json:"owners"`
	Cases     []struct {
		Name       string          `json:"name"`
		Suite      byte            `json:"suite"`
		TimeMs     int64           `json:"timeMs"`
		Cmd        string          `json:"cmd"`
		Args       json.RawMessage `json:"args"`
		Signatures int             `json:"signatures"`
		Envelope   string          `json:"envelope"`
	} `json:"cases"`
}

type jsKey struct {
	PrivateKey string `json:"privateKey"`
	PublicKey  string `json:"publicKey"`
}

// keys parses k and checks that the JavaScript SDKs derived the same public
// key as package nem.
func (k jsKey) keys(t *testing.T) (*nem.PrivateKey, nem.PublicKey) {
	t.Helper()
	priv, err := nem.ParsePrivateKey(k.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := nem.ParsePublicKey(k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if priv.PublicKey() != pub {
		t.Fatalf("JavaScript derived public key %s, nem derives %s", pub, priv.PublicKey())
	}
	return priv, pub
}

func loadJSVectors(t testing.TB) *jsVectors {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "js-envelopes.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v jsVectors
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Cases) == 0 || len(v.Owners) < 3 {
		t.Fatalf("vector file has %d cases and %d owners", len(v.Cases), len(v.Owners))
	}
	return &v
}

// sameJSON reports whether a and b hold the same JSON value.
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// TestInteropVectors opens the committed JavaScript-built envelopes (no node
// needed): each opens under a policy that wants exactly its number of
// signatures, is refused under one that wants one more, and is refused with
// any byte flipped.
func TestInteropVectors(t *testing.T) {
	v := loadJSVectors(t)
	if v.SDK["nem-sdk"] != "1.6.11" || !strings.HasPrefix(v.SDK["symbol-sdk"], "3.") {
		t.Fatalf("vectors made with %v", v.SDK)
	}
	device, devPub := v.Device.keys(t)
	var owners []nem.PublicKey
	for _, o := range v.Owners {
		_, pub := o.keys(t)
		owners = append(owners, pub)
	}
	suites := map[byte]int{}
	for _, c := range v.Cases {
		suites[c.Suite]++
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			env, err := hex.DecodeString(c.Envelope)
			if err != nil {
				t.Fatal(err)
			}
			if env[2] != c.Suite || !bytes.Equal(env[35:67], devPub[:]) {
				t.Fatalf("header suite 0x%02x recipient %x", env[2], env[35:67])
			}
			at := time.UnixMilli(c.TimeMs)
			opener := func(min int) *Opener {
				return &Opener{Device: device, Owners: StaticOwners(owners...), MinSignatures: min,
					Clock: func() time.Time { return at.Add(2 * time.Second) }, NotBefore: at.Add(-time.Hour)}
			}
			req, err := opener(c.Signatures).Open(ctx, env)
			if err != nil {
				t.Fatal(err)
			}
			if req.Command.Name != c.Cmd || req.Sender != owners[0] || !req.Time.Equal(at) || len(req.Cosigners) != c.Signatures-1 {
				t.Errorf("request %+v", req)
			}
			if string(c.Args) == "null" {
				if req.Command.Args != nil {
					t.Errorf("args %s, want none", req.Command.Args)
				}
			} else if !sameJSON(req.Command.Args, c.Args) {
				t.Errorf("args %s, want %s", req.Command.Args, c.Args)
			}
			_, err = opener(c.Signatures+1).Open(ctx, env)
			wantRefused(t, err, ErrTooFewSignatures)
			o := opener(c.Signatures)
			for i := range env {
				bad := bytes.Clone(env)
				bad[i] ^= 1 << (i % 8)
				if _, err := o.Open(ctx, bad); !isKnownRefusal(err) {
					t.Fatalf("byte %d flipped: %v", i, err)
				}
			}
		})
	}
	if suites[SuiteCBC] == 0 || suites[SuiteGCM] == 0 {
		t.Errorf("vectors cover suites %v, want both", suites)
	}
}

// jsApp returns the path of examples/js-app/envelope.mjs and node, once its
// npm packages are installed. Without them the test is skipped, or failed
// under CI=true (.ci/interop installs them).
func jsApp(t *testing.T) (node, script string) {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "examples", "js-app"))
	if err != nil {
		t.Fatal(err)
	}
	node, err = exec.LookPath("node")
	if err == nil {
		for _, pkg := range []string{"nem-sdk", "symbol-sdk"} {
			if _, err = os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
				break
			}
		}
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("JavaScript interop needs node and `npm ci` in %s: %v", dir, err)
		}
		t.Skipf("no node or no npm packages in %s (run npm ci there): %v", dir, err)
	}
	return node, filepath.Join(dir, "envelope.mjs")
}

// jsRequest is one request of `envelope.mjs batch`: a command and its flags
// (without the dashes).
type jsRequest struct {
	Command string         `json:"command"`
	Args    map[string]any `json:"args"`
}

// jsResult is one answer of `envelope.mjs batch`.
type jsResult struct {
	Out   string `json:"out"`
	Error string `json:"error"`
}

// runJS runs `envelope.mjs batch` on reqs: one node start for them all.
func runJS(t *testing.T, node, script string, reqs []jsRequest) []jsResult {
	t.Helper()
	in, err := json.Marshal(reqs)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script, "batch")
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(in), &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("envelope.mjs batch: %v: %s", err, stderr.Bytes())
	}
	var out []jsResult
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil || len(out) != len(reqs) {
		t.Fatalf("envelope.mjs batch printed %q (%v), want %d results", stdout.Bytes(), err, len(reqs))
	}
	return out
}

// TestInteropLive runs examples/js-app/envelope.mjs: envelopes it seals
// with nem-sdk (suite 1) and symbol-sdk (suite 2), alone and co-signed, open
// here; replies Reply makes to them (ok and not ok) verify there; and there
// a reply to another command, a tampered reply, a stale one and one read
// by another app are refused.
func TestInteropLive(t *testing.T) {
	node, script := jsApp(t)
	owner, cosigner, device := testKey(t, "js owner"), testKey(t, "js cosigner"), testKey(t, "js device")
	stranger := testKey(t, "js stranger")
	devHex := device.PublicKey().String()
	ms := func(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
	sent := t0.Add(-700 * time.Millisecond)
	replied := t0.Add(300 * time.Millisecond)
	args := `{"on":true,"text":"héllo 日本 😀"}`
	cases := []struct {
		name      string
		suite     byte
		cosigners []*nem.PrivateKey
	}{
		{"nem-sdk CBC", SuiteCBC, nil},
		{"symbol-sdk GCM", SuiteGCM, nil},
		{"nem-sdk CBC co-signed", SuiteCBC, []*nem.PrivateKey{cosigner}},
		{"symbol-sdk GCM co-signed", SuiteGCM, []*nem.PrivateKey{cosigner}},
	}
	var seals []jsRequest
	for _, tc := range cases {
		var cs []string
		for _, c := range tc.cosigners {
			cs = append(cs, c.Hex())
		}
		seals = append(seals, jsRequest{"seal", map[string]any{"suite": strconv.Itoa(int(tc.suite)), "owner": owner.Hex(),
			"device": devHex, "cmd": "light", "args": args, "time": ms(sent), "cosigner": cs}})
	}
	sealed := runJS(t, node, script, seals)

	result := map[string]any{"light": true, "note": "ça va ✓"}
	wantResult, _ := json.Marshal(result)
	type check struct {
		name string
		ok   func(jsResult) bool
	}
	var opens []jsRequest
	var checks []check
	for i, tc := range cases {
		if sealed[i].Error != "" {
			t.Fatalf("%s: seal: %s", tc.name, sealed[i].Error)
		}
		env, err := hex.DecodeString(sealed[i].Out)
		if err != nil || len(env) < HeaderSize || env[2] != tc.suite {
			t.Fatalf("%s: seal printed %q: %v", tc.name, sealed[i].Out, err)
		}
		clock := newClock(t0)
		o := &Opener{Device: device, Owners: StaticOwners(owner.PublicKey(), cosigner.PublicKey()),
			MinSignatures: 1 + len(tc.cosigners), Clock: clock.Now, NotBefore: t0.Add(-time.Hour)}
		req, err := o.Open(ctx, env)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if req.Command.Name != "light" || !sameJSON(req.Command.Args, []byte(args)) || !req.Time.Equal(sent) ||
			req.Sender != owner.PublicKey() || len(req.Cosigners) != len(tc.cosigners) {
			t.Errorf("%s: request %+v, args %s", tc.name, req, req.Command.Args)
		}
		if _, err := o.Open(ctx, env); !errors.Is(err, ErrReplay) {
			t.Errorf("%s: replayed: %v", tc.name, err)
		}

		clock.Set(replied)
		rep, err := req.Reply(nil, result, nil)
		if err != nil {
			t.Fatal(err)
		}
		failed, err := req.Reply(nil, nil, errors.New("bulb missing"))
		if err != nil {
			t.Fatal(err)
		}
		other, err := SealCBC(nil, owner, device.PublicKey(), Command{Name: "other"}, sent)
		if err != nil {
			t.Fatal(err)
		}
		tampered := bytes.Clone(rep)
		tampered[HeaderSize+3] ^= 0x40
		open := func(app *nem.PrivateKey, sent, rep []byte, now time.Time) jsRequest {
			return jsRequest{"open-reply", map[string]any{"app": app.Hex(), "device": devHex,
				"sent": hex.EncodeToString(sent), "reply": hex.EncodeToString(rep), "now": ms(now)}}
		}
		reply := func(out string) (ok bool, result json.RawMessage, errText string, timeMs int64) {
			var r struct {
				OK     bool            `json:"ok"`
				Result json.RawMessage `json:"result"`
				Error  string          `json:"error"`
				TimeMs int64           `json:"timeMs"`
			}
			if json.Unmarshal([]byte(out), &r) != nil {
				return false, nil, "unparsable", 0
			}
			return r.OK, r.Result, r.Error, r.TimeMs
		}
		refused := func(why string) func(jsResult) bool {
			return func(r jsResult) bool { return r.Out == "" && strings.Contains(r.Error, why) }
		}
		opens = append(opens,
			open(owner, env, rep, t0),
			open(owner, env, failed, t0),
			open(owner, other, rep, t0),
			open(owner, env, tampered, t0),
			open(owner, env, rep, t0.Add(DefaultWindow+time.Second)),
			open(stranger, env, rep, t0),
		)
		checks = append(checks,
			check{tc.name + ": ok reply", func(r jsResult) bool {
				ok, res, e, at := reply(r.Out)
				return r.Error == "" && ok && sameJSON(res, wantResult) && e == "" && at == replied.UnixMilli()
			}},
			check{tc.name + ": failure reply", func(r jsResult) bool {
				ok, _, e, _ := reply(r.Out)
				return r.Error == "" && !ok && e == "bulb missing"
			}},
			check{tc.name + ": reply to another command refused", refused("answers another command")},
			check{tc.name + ": tampered reply refused", refused("bad signature")},
			check{tc.name + ": stale reply refused", refused("outside the window")},
			check{tc.name + ": another app refused", refused("not from this app")},
		)
	}
	for i, r := range runJS(t, node, script, opens) {
		if !checks[i].ok(r) {
			t.Errorf("%s: JavaScript said %+v", checks[i].name, r)
		}
	}
}
