package main

import (
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/nemiot/nemiot/examples/internal/sdnotify"
)

// TestSystemdNotify: under systemd (Type=notify, WatchdogSec=) the hub
// says READY=1 once it serves, pings the watchdog, and says STOPPING=1
// on shutdown, over the socket in $NOTIFY_SOCKET.
func TestSystemdNotify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify")
	sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	t.Setenv(sdnotify.SocketEnv, path)
	t.Setenv(sdnotify.WatchdogEnv, "100000") // 100 ms
	t.Setenv(sdnotify.WatchdogPIDEnv, "")
	h := start(t, newKey(t), "-sim", "-owners", newKey(t).PublicKey().String())
	next := func() string {
		t.Helper()
		sock.SetReadDeadline(time.Now().Add(5 * time.Second))
		b := make([]byte, 64)
		n, err := sock.Read(b)
		if err != nil {
			t.Fatalf("notify socket: %v\n%s", err, h.log)
		}
		return string(b[:n])
	}
	if got := next(); got != "READY=1" {
		t.Fatalf("first notification %q, want READY=1", got)
	}
	for range 2 {
		if got := next(); got != "WATCHDOG=1" {
			t.Fatalf("notification %q, want WATCHDOG=1", got)
		}
	}
	if code := h.shutdown(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for {
		got := next()
		if got == "STOPPING=1" {
			break
		}
		if got != "WATCHDOG=1" {
			t.Fatalf("notification %q while stopping", got)
		}
	}
}
