package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nemiot/nemiot/examples/internal/extest"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/keyfile"
	"github.com/nemiot/nemiot/nem/nis/nistest"
)

// syncBuffer is a buffer safe to write and read at once.
type syncBuffer = extest.SyncBuffer

// keygen claim waits for funding (showing the balance), converts the
// device to a 1-of-1 account owned by the temporary key it shows, and
// leaves the device key in -out.
func TestClaim(t *testing.T) {
	net := nistest.NewNetwork(t, 3, nil)
	out := filepath.Join(t.TempDir(), "device.key")
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"claim", "-nodes", strings.Join(net.URLs(), ","), "-out", out, "-show", "-poll", "20ms", "-timeout", "30s"},
			&stdout, &stderr, rand.Reader)
	}()
	var dev *keyfile.File
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(out); err == nil && strings.Contains(stdout.String(), "waiting") {
			var err error
			if dev, err = keyfile.LoadFile(out, ""); err != nil {
				t.Fatal(err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no device key saved\n%s%s", stdout.String(), stderr.String())
		}
	}
	account := dev.Key.Address(nem.Testnet)
	if _, err := net.Fund(account, 400_000); err != nil { // not enough yet
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := net.Fund(account, 600_000); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	text := stdout.String()
	for _, want := range []string{"balance 0.000000 XEM", "balance 0.400000 XEM", "balance 1.000000 XEM", "confirmed in block", "TEMPORARY OWNER", "owners transfer"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q\n%s", want, text)
		}
	}
	acct, err := net.Node(0).Client().Account(context.Background(), account)
	if err != nil || len(acct.Cosignatories) != 1 || acct.MultisigInfo.MinCosignatories != 1 {
		t.Fatalf("device account after claim: %+v, %v", acct, err)
	}
	// The key shown is the temporary owner's: it parses back to the one
	// cosignatory, and the device key is not shown.
	temp := acct.Cosignatories[0].PublicKey
	found := false
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 4 && len(f[0]) == 16 {
			k, err := nem.ParsePrivateKey(strings.Join(f, ""))
			if err == nil && k.PublicKey() == temp {
				found = true
			}
		}
	}
	if !found {
		t.Fatalf("the temporary key shown is not the cosignatory %s\n%s", temp, text)
	}
	if strings.Contains(strings.ToLower(text), dev.Key.Hex()) {
		t.Fatal("the device key is shown")
	}
}

func TestClaimUsage(t *testing.T) {
	for _, args := range [][]string{
		{"claim"},
		{"claim", "-nodes", "http://127.0.0.1:1"},
		{"claim", "-nodes", "http://127.0.0.1:1", "-out", "x.key"}, // not a terminal, no -show
		{"claim", "-nodes", "http://127.0.0.1:1", "-out", "x.key", "-show", "-fund", "0.1"},
	} {
		var o, e bytes.Buffer
		if code := run(args, &o, &e, rand.Reader); code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, e.String())
		}
	}
}
