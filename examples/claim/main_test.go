package main

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"periph.io/x/conn/v3/gpio"

	"github.com/nemiot/nemiot/hub/hubclient"
	"github.com/nemiot/nemiot/nem"
)

// The whole claim happens: the device converts itself to the temporary
// key, the user takes over, the device obeys the user and refuses the
// temporary key and the attacker; and no secret key reaches the output.
func TestClaim(t *testing.T) {
	var buf bytes.Buffer
	out, err := play(context.Background(), &buf)
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if !slices.Equal(out.AfterConvert.Cosignatories, []nem.PublicKey{out.Temp}) || out.AfterConvert.Custody.Len() != 1 {
		t.Fatalf("after conversion: %v", out.AfterConvert)
	}
	if !slices.Equal(out.AfterHandOver.Cosignatories, []nem.PublicKey{out.User}) || out.AfterHandOver.Custody.Len() != 2 {
		t.Fatalf("after hand-over: %v", out.AfterHandOver)
	}
	if !out.Obeyed.OK || out.Light != gpio.High {
		t.Fatalf("the user's command: %+v, light %v", out.Obeyed, out.Light)
	}
	for _, name := range []string{"temporary key", "attacker"} {
		if !errors.Is(out.Refused[name], hubclient.ErrRefused) {
			t.Errorf("%s: %v, want refused", name, out.Refused[name])
		}
	}
	// Public keys may be shown abbreviated; nothing that looks like a full
	// 64-hex key (a secret) is printed.
	for _, line := range strings.Split(buf.String(), "\n") {
		for _, f := range strings.Fields(line) {
			if len(f) >= 64 && strings.Trim(f, "0123456789abcdef") == "" {
				t.Errorf("a 64-hex string in the output: %q", line)
			}
		}
	}
	if run(context.Background(), &bytes.Buffer{}) != 0 {
		t.Fatal("run did not exit 0")
	}
}
