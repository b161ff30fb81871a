package talk_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/talk"
)

// TestInteropNemSDK: messages a device sends decrypt with nem-sdk (what
// NanoWallet uses) to the JSON the device wrote, including the largest one
// NIS takes and escaped non-ASCII text. It runs examples/js-app/message.mjs;
// without node or its npm packages it is skipped, or fails under CI=true
// (.ci/interop installs them).
func TestInteropNemSDK(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("..", "examples", "js-app"))
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "node_modules", "nem-sdk", "package.json"))
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("interop needs node and `npm ci` in %s: %v", dir, err)
		}
		t.Skipf("no node or no nem-sdk in %s: %v", dir, err)
	}
	device, _ := nem.GeneratePrivateKey(nil)
	owner, _ := nem.GeneratePrivateKey(nil)
	msgr, err := talk.DeriveMessenger(device)
	if err != nil {
		t.Fatal(err)
	}
	m := &talk.Messenger{Key: msgr, Network: nem.Testnet}
	bodies := []*talk.Body{
		{Type: talk.TypeText, Text: "filter clogged"},
		{Type: talk.TypeText, Text: "Überdruck 😀 ≥ 2 bar"},
		{Type: talk.TypeText, Text: strings.Repeat("x", talk.MaxPlaintext-len(`{"type":"text","text":""}`))},
	}
	p, err := talk.NewProposal(device, nem.Testnet, owner.Address(nem.Testnet), 1_000_000, "pump", nem.Epoch.AddDate(11, 0, 0), 3600e9)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := p.Body("pump?")
	if err != nil {
		t.Fatal(err)
	}
	bodies = append(bodies, pb)
	type req struct {
		Recipient string `json:"recipient"`
		Sender    string `json:"sender"`
		Payload   string `json:"payload"`
	}
	var reqs []req
	var want []string
	for _, b := range bodies {
		txn, err := m.Transfer(owner.PublicKey(), 0, b)
		if err != nil {
			t.Fatal(err)
		}
		js, _ := b.Marshal()
		want = append(want, string(js))
		reqs = append(reqs, req{owner.Hex(), msgr.PublicKey().String(), hex.EncodeToString(txn.Message.Payload)})
	}
	in, _ := json.Marshal(reqs)
	cmd := exec.Command(node, filepath.Join(dir, "message.mjs"))
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(in), &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("message.mjs: %v: %s", err, stderr.Bytes())
	}
	var got []struct{ Text string }
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil || len(got) != len(want) {
		t.Fatalf("message.mjs answered %q: %v", stdout.Bytes(), err)
	}
	for i := range want {
		if got[i].Text != want[i] {
			t.Errorf("message %d: nem-sdk read\n%q\nwant\n%q", i, got[i].Text, want[i])
			continue
		}
		// And the owner's side reads back the same body.
		if _, err := talk.ParseBody([]byte(got[i].Text), nil); err != nil {
			t.Errorf("message %d: %v", i, err)
		}
	}
}
