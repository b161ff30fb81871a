package sdnotify

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"
)

// listen makes a notify socket as systemd does and points $NOTIFY_SOCKET
// at it.
func listen(t *testing.T) *net.UnixConn {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Setenv(SocketEnv, path)
	return c
}

func read(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 256)
	n, err := c.Read(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(b[:n])
}

func TestReadyAndStopping(t *testing.T) {
	c := listen(t)
	if err := Ready(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, c); got != "READY=1" {
		t.Errorf("got %q, want READY=1", got)
	}
	if err := Stopping(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, c); got != "STOPPING=1" {
		t.Errorf("got %q, want STOPPING=1", got)
	}
}

func TestOutsideSystemdDoesNothing(t *testing.T) {
	t.Setenv(SocketEnv, "")
	t.Setenv(WatchdogEnv, "1000")
	if err := Ready(); err != nil {
		t.Errorf("Ready without a socket: %v", err)
	}
	if err := Watchdog(context.Background(), nil); err != nil {
		t.Errorf("Watchdog without a socket: %v", err)
	}
}

func TestMissingSocketIsAnError(t *testing.T) {
	t.Setenv(SocketEnv, filepath.Join(t.TempDir(), "none"))
	if err := Ready(); err == nil {
		t.Error("Ready to a socket no one listens on: nil error")
	}
}

// TestWatchdogPings: with WATCHDOG_USEC set, pings come every half of it
// while alive says so, none while it does not, and stop with the context.
func TestWatchdogPings(t *testing.T) {
	c := listen(t)
	t.Setenv(WatchdogEnv, "40000") // 40 ms: pings every 20 ms
	t.Setenv(WatchdogPIDEnv, "")
	if every, err := WatchdogInterval(); err != nil || every != 20*time.Millisecond {
		t.Fatalf("WatchdogInterval = %s, %v", every, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	alive := make(chan bool, 1)
	alive <- true
	healthy := true
	go func() {
		done <- Watchdog(ctx, func() bool {
			select {
			case healthy = <-alive:
			default:
			}
			return healthy
		})
	}()
	start := time.Now()
	for range 3 {
		if got := read(t, c); got != "WATCHDOG=1" {
			t.Fatalf("got %q, want WATCHDOG=1", got)
		}
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("3 pings in %s, want them about 20 ms apart", d)
	}
	alive <- false
	time.Sleep(30 * time.Millisecond)
	// Drain what was in flight, then expect silence.
	c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	for {
		if _, err := c.Read(make([]byte, 64)); err != nil {
			break
		}
	}
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := c.Read(make([]byte, 64)); err == nil {
		t.Errorf("a ping (%d bytes) while not alive", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Watchdog: %v", err)
	}
}

func TestWatchdogOtherPIDOrBadValue(t *testing.T) {
	listen(t)
	t.Setenv(WatchdogEnv, "1000000")
	t.Setenv(WatchdogPIDEnv, "1")
	if every, err := WatchdogInterval(); every != 0 || err != nil {
		t.Errorf("watchdog of pid 1: %s, %v; want none", every, err)
	}
	t.Setenv(WatchdogPIDEnv, "")
	for _, bad := range []string{"x", "-5", "0"} {
		t.Setenv(WatchdogEnv, bad)
		if _, err := WatchdogInterval(); !errors.Is(err, ErrBadWatchdog) {
			t.Errorf("WATCHDOG_USEC=%s: %v, want ErrBadWatchdog", bad, err)
		}
	}
}
