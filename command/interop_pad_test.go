package command

import (
	"encoding/hex"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/nemiot/nemiot/command/internal/format"
	"github.com/nemiot/nemiot/nem"
)

// TestInteropPad: examples/js-app pads bodies by the same rule as Seal
// (its paddedLength equals this package's for every length and random
// byte), and the bodies it seals carry such a pad: lowercase hex, odd and
// even counts, a padded length the rule allows, so {"on":true} and
// {"on":false} leave it in lengths of either parity alike (issue 10,
// item 4).
func TestInteropPad(t *testing.T) {
	node, script := jsApp(t)
	const maxN = 400
	reqs := []jsRequest{{"pad-lengths", map[string]any{"n": strconv.Itoa(maxN)}}}
	owner, device := testKey(t, "js owner"), testKey(t, "js device")
	const perCase = 48
	type sealed struct {
		suite byte
		args  string
	}
	var cases []sealed
	for _, suite := range []byte{SuiteCBC, SuiteGCM} {
		for _, args := range []string{`{"on":true}`, `{"on":false}`} {
			for range perCase {
				cases = append(cases, sealed{suite, args})
				reqs = append(reqs, jsRequest{"seal", map[string]any{"suite": strconv.Itoa(int(suite)), "owner": owner.Hex(),
					"device": device.PublicKey().String(), "cmd": "light", "args": args, "time": strconv.FormatInt(t0.UnixMilli(), 10)}})
			}
		}
	}
	out := runJS(t, node, script, reqs)

	var table [][]int
	if err := json.Unmarshal([]byte(out[0].Out), &table); err != nil || len(table) != maxN {
		t.Fatalf("pad-lengths printed %.200q, %s (%v)", out[0].Out, out[0].Error, err)
	}
	for n, row := range table {
		for r, got := range row {
			if want := format.PaddedLength(n, byte(r)); got != want || len(row) != 256 {
				t.Fatalf("JavaScript format.PaddedLength(%d, %d) = %d, Go %d", n, r, got, want)
			}
		}
	}

	parity := map[sealed]map[int]bool{} // body length parity seen, per suite and args
	for i, c := range cases {
		res := out[1+i]
		env, err := hex.DecodeString(res.Out)
		if err != nil || res.Error != "" {
			t.Fatalf("seal: %q %s", res.Out, res.Error)
		}
		e, err := parseEnvelope(env)
		if err != nil {
			t.Fatal(err)
		}
		decrypt := nem.DecryptGCM
		if c.suite == SuiteCBC {
			decrypt = nem.DecryptCBC
		}
		body, err := decrypt(device, owner.PublicKey(), e.Ciphertext)
		if err != nil {
			t.Fatal(err)
		}
		checkPad(t, body)
		if parity[c] == nil {
			parity[c] = map[int]bool{}
		}
		parity[c][len(body)%2] = true
	}
	for c, seen := range parity {
		if len(seen) != 2 {
			t.Errorf("suite %d, args %s: %d JavaScript bodies all of one parity", c.suite, c.args, perCase)
		}
	}
}
