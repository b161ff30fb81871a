package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/keyfile"
	"github.com/nemiot/nemiot/nem/nis/nistest"
)

// The owner operations of "app owners" on a local network: a 2-of-2
// device gains an owner (initiated by A, cosigned by B), lists it, hands
// A's place to C, and refuses a stranger with the NIS reason.
func TestOwners(t *testing.T) {
	net := nistest.NewNetwork(t, 3, nil)
	ctx := context.Background()
	device, a, b := net.NewAccount(), net.NewAccount(), net.NewAccount()
	if _, err := net.ConvertToMultisig(device, 2, a.PublicKey(), b.PublicKey()); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyOf := func(k *nem.PrivateKey, name string) string {
		p := filepath.Join(dir, name+".key")
		if err := keyfile.Write(p, k, name); err != nil {
			t.Fatal(err)
		}
		return p
	}
	aKey, bKey := keyOf(a, "a"), keyOf(b, "b")
	app := func(args ...string) (int, string) {
		t.Helper()
		var out, errb bytes.Buffer
		args = append([]string{"owners", args[0], "-nodes", strings.Join(net.URLs(), ","), "-device", device.PublicKey().String(), "-timeout", "20s"}, args[1:]...)
		code := run(ctx, args, &out, &errb)
		return code, out.String() + errb.String()
	}
	c, _ := nem.GeneratePrivateKey(nil)
	e, _ := nem.GeneratePrivateKey(nil)

	if code, out := app("add", "-key", aKey, "-owner", e.PublicKey().String(), "-wait=false"); code != 0 || !strings.Contains(out, "announced") {
		t.Fatalf("add: exit %d\n%s", code, out)
	}
	if code, out := app("pending"); code != 0 || !strings.Contains(out, "+"+e.PublicKey().String()[:12]) || !strings.Contains(out, "signed by 1") {
		t.Fatalf("pending: exit %d\n%s", code, out)
	}
	if code, out := app("cosign", "-key", bKey); code != 0 || !strings.Contains(out, "confirmed in block") {
		t.Fatalf("cosign: exit %d\n%s", code, out)
	}
	code, out := app("list")
	if code != 0 || !strings.Contains(out, "2 of 3 owners must sign") || !strings.Contains(out, e.PublicKey().String()) {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	// 2-of-3: A hands its place to C; A being removed does not count, so
	// B and E cosign.
	if code, out := app("transfer", "-key", aKey, "-to", c.PublicKey().String(), "-wait=false"); code != 0 {
		t.Fatalf("transfer: exit %d\n%s", code, out)
	}
	if code, out := app("cosign", "-key", bKey, "-wait=false"); code != 0 {
		t.Fatalf("B cosigns the transfer: exit %d\n%s", code, out)
	}
	if code, out := app("cosign", "-key", keyOf(e, "e")); code != 0 || !strings.Contains(out, "confirmed") {
		t.Fatalf("E cosigns the transfer: exit %d\n%s", code, out)
	}
	code, out = app("list")
	if code != 0 || strings.Contains(out, a.PublicKey().String()) || !strings.Contains(out, c.PublicKey().String()) {
		t.Fatalf("list after transfer: exit %d\n%s", code, out)
	}
	// A is no owner any more: refused, with the reason.
	if code, out := app("min", "-key", aKey, "-change", "-1"); code != 1 || !strings.Contains(out, "not a cosignatory") {
		t.Fatalf("former owner: exit %d\n%s", code, out)
	}
	for _, bad := range [][]string{{"nope"}, {"add", "-key", aKey}, {"min", "-key", aKey}} {
		if code, out := app(bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", bad, code, out)
		}
	}
}
