package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"periph.io/x/conn/v3/gpio"

	"github.com/nemiot/nemiot/hub/hubclient"
	"github.com/nemiot/nemiot/multisig"
)

// TestRun is the README's main command: it must exit 0.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), &out, defaultConfig); code != 0 {
		t.Fatalf("exit %d\n%s", code, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"[ATTACKER ", // the liars are shown lying
		"replay   (", "forgery  (", "attacker (",
		"envelope already seen", "bad signature", "signer is not an owner",
		"All as expected",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q\n%s", want, text)
		}
	}
	if strings.Count(text, "hub refused the command (401)") != 3 {
		t.Errorf("want 3 refusals\n%s", text)
	}
}

// TestOutcome checks what the demo did, not what it printed.
func TestOutcome(t *testing.T) {
	var out bytes.Buffer
	o, err := play(context.Background(), &out, defaultConfig)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(o.Owners.Cosignatories) != 1 || o.Owners.Agreed < 3 {
		t.Errorf("owners %v", o.Owners)
	}
	for _, name := range []string{"light", "fan", "status"} {
		r := o.Replies[name]
		if r == nil || !r.OK {
			t.Fatalf("%s: reply %+v", name, r)
		}
	}
	var st struct {
		Light struct{ On bool }
		Fan   struct{ Speed int }
	}
	if err := json.Unmarshal(o.Replies["status"].Result, &st); err != nil || !st.Light.On || st.Fan.Speed != 3 {
		t.Errorf("status result %s (%v)", o.Replies["status"].Result, err)
	}
	// Pins after: light, fan, status, the attacks, the halt.
	wantLight := []gpio.Level{gpio.High, gpio.High, gpio.High, gpio.High, gpio.Low}
	wantFan := []gpio.Level{gpio.Low, gpio.High, gpio.High, gpio.High, gpio.Low}
	if len(o.Light) != len(wantLight) || len(o.Fan) != len(wantFan) {
		t.Fatalf("pin snapshots: %d light, %d fan", len(o.Light), len(o.Fan))
	}
	for i := range wantLight {
		if o.Light[i].Level != wantLight[i] || o.Fan[i].Level != wantFan[i] {
			t.Errorf("snapshot %d: light %v fan %v, want %v %v", i, o.Light[i].Level, o.Fan[i].Level, wantLight[i], wantFan[i])
		}
	}
	for _, name := range []string{"replay", "forgery", "attacker"} {
		if err, ok := o.Refused[name]; !ok || !errors.Is(err, hubclient.ErrRefused) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// When the liars are a majority the device must not obey anyone the demo
// expects, and the demo must say so with exit status 1.
func TestRunFailsWhenLiarsWin(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  config
		err  error // what play reports, if it is an error value
	}{
		{"all nodes lie", config{Nodes: 5, Liars: 5}, nil},
		{"no quorum possible", config{Nodes: 3, Liars: 2}, multisig.ErrNoQuorum},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if code := run(context.Background(), &out, tc.cfg); code != 1 || !strings.Contains(out.String(), "FAILED") {
				t.Errorf("exit %d\n%s", code, out.String())
			}
			if tc.err != nil {
				if _, err := play(context.Background(), &bytes.Buffer{}, tc.cfg); !errors.Is(err, tc.err) {
					t.Errorf("play: %v, want %v", err, tc.err)
				}
			}
		})
	}
}
