package ui

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/nem"
)

// testKey makes a key from a name, the same in every run.
func testKey(t testing.TB, name string) *nem.PrivateKey {
	t.Helper()
	seed := sha256.Sum256([]byte("nemiot ui test key " + name))
	k, err := nem.NewPrivateKey(seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// stream returns n deterministic bytes named by seed: the randomness both
// the module and native Go read.
func stream(seed string, n int) []byte {
	var out []byte
	for i := uint32(0); len(out) < n; i++ {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], i)
		d := sha256.Sum256(append([]byte(seed), b[:]...))
		out = append(out, d[:]...)
	}
	return out[:n]
}

// needNode returns the path of node; without it the test is skipped, or
// failed under CI=true.
func needNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the WebAssembly tests need node: %v", err)
		}
		t.Skipf("no node (%v): the WebAssembly module is not run", err)
	}
	return node
}

// moduleFile writes the committed module, decompressed, to a temporary
// file and returns its path.
func moduleFile(t *testing.T) string {
	t.Helper()
	f, err := os.Open(filepath.Join("static", "nemiot.wasm.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "nemiot.wasm")
	if err := os.WriteFile(path, wasm, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

type nodeSession struct {
	Key     string `json:"key"`
	Device  string `json:"device"`
	Network string `json:"network"`
}

type nodeSeal struct {
	Key    string `json:"key"`
	Device string `json:"device"`
	Cmd    string `json:"cmd"`
	Args   string `json:"args"`
	Rand   string `json:"rand"`
	Now    int64  `json:"now"`
}

type nodeOpen struct {
	Key    string `json:"key"`
	Device string `json:"device"`
	Sent   string `json:"sent"`
	Reply  string `json:"reply"`
	Now    int64  `json:"now"`
}

type nodeTiming struct {
	Key    string `json:"key"`
	Device string `json:"device"`
	Sent   string `json:"sent"`
	Reply  string `json:"reply"`
	Now    int64  `json:"now"`
	N      int    `json:"n"`
}

type nodeInput struct {
	Sessions []nodeSession `json:"sessions"`
	Seals    []nodeSeal    `json:"seals"`
	Opens    []nodeOpen    `json:"opens"`
	Keeps    []nodeKeep    `json:"keeps"`
	Timing   *nodeTiming   `json:"timing,omitempty"`
}

type nodeKeep struct {
	Key        string `json:"key"`
	Device     string `json:"device"`
	Passphrase string `json:"passphrase"`
	Iterations int    `json:"iterations"`
}

type nodeKept struct {
	Kept      string `json:"kept"`
	KeptOwner string `json:"keptOwner"`
	Owner     string `json:"owner"`
	Error     string `json:"error"`
	Code      string `json:"code"`
	WrongCode string `json:"wrongCode"`
}

// nodeResult is any answer of the module: a failure, a session, an
// envelope or an opened reply.
type nodeResult struct {
	Error    string `json:"error"`
	Code     string `json:"code"`
	Owner    string `json:"owner"`
	Address  string `json:"address"`
	Envelope string `json:"envelope"`
	Verified bool   `json:"verified"`
	OK       bool   `json:"ok"`
	Result   string `json:"result"`
	Message  string `json:"message"`
	Time     int64  `json:"time"`
}

type nodeOutput struct {
	Version  string       `json:"version"`
	Sessions []nodeResult `json:"sessions"`
	Seals    []nodeResult `json:"seals"`
	Opens    []nodeResult `json:"opens"`
	Keeps    []nodeKept   `json:"keeps"`
	SealMs   float64      `json:"sealMs"`
	OpenMs   float64      `json:"openMs"`
}

// runModule runs testdata/wasm_node.js on in: one node start for all.
func runModule(t *testing.T, in *nodeInput) *nodeOutput {
	t.Helper()
	node := needNode(t)
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	execJS, _ := filepath.Abs(filepath.Join("static", "wasm_exec.js"))
	cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "wasm_node.js"), execJS, moduleFile(t))
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(b), &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node wasm_node.js: %v\n%s", err, stderr.Bytes())
	}
	var out nodeOutput
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("node wasm_node.js output: %v\n%s", err, stdout.Bytes())
	}
	if len(out.Sessions) != len(in.Sessions) || len(out.Seals) != len(in.Seals) || len(out.Opens) != len(in.Opens) {
		t.Fatalf("module answered %d/%d/%d cases, want %d/%d/%d", len(out.Sessions), len(out.Seals), len(out.Opens), len(in.Sessions), len(in.Seals), len(in.Opens))
	}
	return &out
}

// TestModuleMatchesGo runs the committed WebAssembly module under node and
// checks that what it seals is byte for byte what native command.Seal and
// command.Sender.Seal make from the same randomness and time, that it
// opens replies exactly as command.OpenReply does (accepting the same,
// refusing the same), and that its errors carry the right codes and never
// the owner's key.
func TestModuleMatchesGo(t *testing.T) {
	owner, device, other := testKey(t, "owner"), testKey(t, "device"), testKey(t, "other device")
	ownerHex, devHex := owner.Hex(), device.PublicKey().String()
	now := time.Now().Truncate(time.Millisecond)
	nowMs := now.UnixMilli()

	// Seals: the module and native Go, from the same bytes.
	cmds := []command.Command{
		{Name: "light", Args: json.RawMessage(`{"on":true}`)},
		{Name: "light", Args: json.RawMessage(`{"on":false}`)},
		{Name: "fan", Args: json.RawMessage(`{"speed":3}`)},
		{Name: "status"},
		{Name: "say", Args: json.RawMessage(`{"text":"grüße 🌡","n":[1,2.5,null]}`)},
		{Name: "héllo wörld"},
		{Name: "big", Args: json.RawMessage(`"` + strings.Repeat("x", 3000) + `"`)},
	}
	var in nodeInput
	var want [][]byte
	for i, c := range cmds {
		r := stream("seal "+c.Name+string(rune('0'+i)), 8192)
		env, err := command.Seal(bytes.NewReader(r), owner, device.PublicKey(), c, now)
		if err != nil {
			t.Fatal(err)
		}
		s, err := command.NewSender(owner, device.PublicKey())
		if err != nil {
			t.Fatal(err)
		}
		env2, err := s.Seal(bytes.NewReader(r), c, now)
		if err != nil || !bytes.Equal(env, env2) {
			t.Fatalf("native Seal and Sender.Seal differ: %v", err)
		}
		want = append(want, env)
		in.Seals = append(in.Seals, nodeSeal{Key: ownerHex, Device: devHex, Cmd: c.Name, Args: string(c.Args), Rand: hex.EncodeToString(r), Now: nowMs})
	}
	// Seals the module must refuse, and with which code.
	r := hex.EncodeToString(stream("bad", 4096))
	badSeals := []struct {
		seal     nodeSeal
		code, in string
	}{
		{nodeSeal{Key: ownerHex, Device: devHex, Cmd: "light", Args: `{"on":tru}`}, "args", "byte 10 (line 1, column 10)"},
		{nodeSeal{Key: ownerHex, Device: devHex, Cmd: "fan", Args: "{\n \"speed\": 3,\n}"}, "args", "line 3, column 1"},
		{nodeSeal{Key: ownerHex, Device: devHex, Cmd: "fan", Args: `{"speed":`}, "args", "at the end"},
		{nodeSeal{Key: ownerHex, Device: devHex, Cmd: "  "}, "cmd", "no command"},
		{nodeSeal{Key: ownerHex, Device: "", Cmd: "status"}, "device", "no device key"},
	}
	for _, b := range badSeals {
		b.seal.Rand, b.seal.Now = r, nowMs
		in.Seals = append(in.Seals, b.seal)
	}

	// Sessions: the owner's public key and address, and bad keys.
	in.Sessions = []nodeSession{
		{Key: ownerHex, Device: devHex, Network: "testnet"},
		{Key: "  " + strings.ToUpper(ownerHex) + "\n", Device: devHex, Network: "mainnet"},
		{Key: "00" + ownerHex, Device: "", Network: "mijin"},
		{Key: strings.ToUpper(ownerHex[:16] + " " + ownerHex[16:32] + "\n" + ownerHex[32:48] + "-" + ownerHex[48:]), Device: devHex, Network: "testnet"},
		{Key: ownerHex[:63], Device: devHex},
		{Key: ownerHex[:62], Device: devHex},
		{Key: ownerHex[:60] + "zz" + ownerHex[62:], Device: devHex},
		{Key: "", Device: devHex},
		{Key: ownerHex, Device: devHex[:10]},
		{Key: ownerHex, Device: strings.Repeat("0", 64)},
		{Key: ownerHex, Device: owner.PublicKey().String()},
	}
	wantSessionCodes := []string{"", "", "", "", "key", "key", "key", "key", "device", "device", "device"}

	// Opens: replies the device made natively to the module's envelopes.
	opener := &command.Opener{Device: device, Owners: command.StaticOwners(owner.PublicKey()),
		Clock: func() time.Time { return now }, NotBefore: now.Add(-time.Hour)}
	otherOpener := &command.Opener{Device: other, Owners: command.StaticOwners(owner.PublicKey()),
		Clock: func() time.Time { return now }, NotBefore: now.Add(-time.Hour)}
	reply := func(o *command.Opener, env []byte, result any, actErr error) []byte {
		t.Helper()
		req, err := o.Open(context.Background(), env)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := req.Reply(bytes.NewReader(stream("reply", 8192)), result, actErr)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	okReply := reply(opener, want[0], map[string]any{"light": true, "fan": 0}, nil)
	failReply := reply(opener, want[2], nil, errors.New("fan: speed 3 is over the maximum"))
	nullReply := reply(opener, want[3], nil, nil)
	tampered := bytes.Clone(okReply)
	tampered[len(tampered)-70] ^= 1
	toOther, err := command.Seal(nil, owner, other.PublicKey(), command.Command{Name: "status"}, now)
	if err != nil {
		t.Fatal(err)
	}
	otherReply := reply(otherOpener, toOther, "x", nil)
	type openCase struct {
		name        string
		sent, reply []byte
		now         time.Time
		code        string // "" when it verifies
	}
	opens := []openCase{
		{"ok", want[0], okReply, now, ""},
		{"ok:false", want[2], failReply, now, ""},
		{"no result", want[3], nullReply, now, ""},
		{"tampered", want[0], tampered, now, "reply"},
		{"another command's reply", want[1], okReply, now, "reply"},
		{"another device's reply", want[0], otherReply, now, "wrong-device"},
		{"stale", want[0], okReply, now.Add(time.Minute), "reply"},
		{"truncated", want[0], okReply[:50], now, "reply"},
	}
	for _, o := range opens {
		in.Opens = append(in.Opens, nodeOpen{Key: ownerHex, Device: devHex,
			Sent: hex.EncodeToString(o.sent), Reply: hex.EncodeToString(o.reply), Now: o.now.UnixMilli()})
	}

	// Keeping the key: the module seals it under a passphrase and opens it
	// with that passphrase only.
	in.Keeps = []nodeKeep{{Key: ownerHex, Device: devHex, Passphrase: "correct horse battery", Iterations: 100_000}}

	out := runModule(t, &in)
	if len(out.Keeps) != 1 {
		t.Fatalf("keeps: %+v", out.Keeps)
	}
	if k := out.Keeps[0]; k.Error != "" || k.Owner != owner.PublicKey().String() || k.KeptOwner != k.Owner || k.WrongCode != "passphrase" ||
		!strings.HasPrefix(k.Kept, "nemiot-key-v1:") || strings.Contains(strings.ToLower(k.Kept), ownerHex[:12]) {
		t.Errorf("keep and unlock: %+v", k)
	}
	if out.Version != runtime.Version() {
		t.Logf("module built by %s, test run by %s", out.Version, runtime.Version())
	}
	for i, c := range cmds {
		got := out.Seals[i]
		if got.Error != "" {
			t.Errorf("seal %s %s: module failed: %s", c.Name, c.Args, got.Error)
			continue
		}
		if got.Envelope != hex.EncodeToString(want[i]) {
			t.Errorf("seal %s %s: the module's envelope differs from native command.Seal's\n wasm %s\n  go  %x", c.Name, c.Args, got.Envelope, want[i])
		}
	}
	for i, b := range badSeals {
		got := out.Seals[len(cmds)+i]
		if got.Code != b.code || !strings.Contains(got.Error, b.in) {
			t.Errorf("seal %q %q: got code %q error %q, want code %q with %q", b.seal.Cmd, b.seal.Args, got.Code, got.Error, b.code, b.in)
		}
	}
	for i, s := range in.Sessions {
		got := out.Sessions[i]
		if strings.Contains(strings.ToLower(got.Error), ownerHex[:16]) {
			t.Errorf("session %d: the error quotes the owner's key: %s", i, got.Error)
		}
		if got.Code != wantSessionCodes[i] {
			t.Errorf("session %d: code %q (%s), want %q", i, got.Code, got.Error, wantSessionCodes[i])
			continue
		}
		if got.Code != "" {
			continue
		}
		n, _ := nem.ParseNetwork(s.Network)
		if got.Owner != owner.PublicKey().String() || got.Address != owner.Address(n).String() {
			t.Errorf("session %d: owner %s %s, want %s %s", i, got.Owner, got.Address, owner.PublicKey(), owner.Address(n))
		}
	}
	for i, o := range opens {
		got := out.Opens[i]
		native, err := command.OpenReply(owner, device.PublicKey(), o.sent, o.reply, o.now)
		switch {
		case o.code != "":
			if err == nil {
				t.Errorf("open %s: native OpenReply accepts it", o.name)
			}
			if got.Code != o.code || got.Verified {
				t.Errorf("open %s: module says %+v, want code %q", o.name, got, o.code)
			}
		case err != nil:
			t.Errorf("open %s: native OpenReply: %v", o.name, err)
		case got.Error != "" || !got.Verified:
			t.Errorf("open %s: module failed: %s (%s)", o.name, got.Error, got.Code)
		case got.OK != native.OK || got.Result != string(native.Result) || got.Message != native.Error || got.Time != native.Time.UnixMilli():
			t.Errorf("open %s: module %+v, native %+v", o.name, got, native)
		}
	}
}

// TestModuleSpeed measures sealing and opening in the module under node,
// as the page does it (crypto.getRandomValues, the clock), and fails only
// if a seal takes ten times the page's 3 ms budget.
func TestModuleSpeed(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	owner, device := testKey(t, "owner"), testKey(t, "device")
	now := time.Now()
	opener := &command.Opener{Device: device, Owners: command.StaticOwners(owner.PublicKey())}
	sent, err := command.Seal(nil, owner, device.PublicKey(), command.Command{Name: "status"}, now)
	if err != nil {
		t.Fatal(err)
	}
	req, err := opener.Open(context.Background(), sent)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := req.Reply(nil, map[string]bool{"light": true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := runModule(t, &nodeInput{Timing: &nodeTiming{Key: owner.Hex(), Device: device.PublicKey().String(),
		Sent: hex.EncodeToString(sent), Reply: hex.EncodeToString(rep), Now: now.UnixMilli(), N: 200}})
	t.Logf("under node: seal %.2f ms, open (verify and decrypt) %.2f ms", out.SealMs, out.OpenMs)
	if out.SealMs <= 0 || out.SealMs > 30 {
		t.Errorf("seal takes %.2f ms under node", out.SealMs)
	}
}
