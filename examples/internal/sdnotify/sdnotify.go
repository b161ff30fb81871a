// Package sdnotify tells systemd how a service started with Type=notify is
// doing, over the datagram socket systemd names in $NOTIFY_SOCKET (the
// sd_notify protocol, in a few lines and without cgo): [Ready] once the
// service serves, [Stopping] when it shuts down, and [Watchdog] pings while
// it runs, if the unit sets WatchdogSec= (systemd then passes
// $WATCHDOG_USEC and restarts a service whose pings stop).
//
// Outside systemd ($NOTIFY_SOCKET unset) every function does nothing and
// returns nil, so programs call them unconditionally.
package sdnotify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

// Environment variables systemd sets for a notify service.
const (
	SocketEnv      = "NOTIFY_SOCKET"
	WatchdogEnv    = "WATCHDOG_USEC"
	WatchdogPIDEnv = "WATCHDOG_PID"
)

// ErrBadWatchdog: $WATCHDOG_USEC is set but is not a positive number of
// microseconds.
var ErrBadWatchdog = errors.New("sdnotify: bad " + WatchdogEnv)

// Notify sends state (such as "READY=1") to systemd's notify socket; with
// $NOTIFY_SOCKET unset it does nothing. A socket name starting with "@" is
// in the abstract namespace.
func Notify(state string) error {
	name := os.Getenv(SocketEnv)
	if name == "" {
		return nil
	}
	if name[0] == '@' {
		name = "\x00" + name[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("sdnotify: %w", err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(state)); err != nil {
		return fmt.Errorf("sdnotify: %w", err)
	}
	return nil
}

// Ready tells systemd the service is up (READY=1): call it once it serves.
func Ready() error { return Notify("READY=1") }

// Stopping tells systemd the service is shutting down (STOPPING=1).
func Stopping() error { return Notify("STOPPING=1") }

// WatchdogInterval returns how often to ping systemd's watchdog: half of
// $WATCHDOG_USEC, or 0 if no watchdog is set for this process (unset, or
// $WATCHDOG_PID names another process).
func WatchdogInterval() (time.Duration, error) {
	s := os.Getenv(WatchdogEnv)
	if s == "" || os.Getenv(SocketEnv) == "" {
		return 0, nil
	}
	if pid := os.Getenv(WatchdogPIDEnv); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0, nil
	}
	us, err := strconv.ParseInt(s, 10, 64)
	if err != nil || us <= 0 {
		return 0, fmt.Errorf("%w: %q", ErrBadWatchdog, s)
	}
	return time.Duration(us) * time.Microsecond / 2, nil
}

// Watchdog pings systemd's watchdog (WATCHDOG=1) every
// [WatchdogInterval] until ctx ends; with no watchdog set it returns at
// once. alive, if set, is asked before each ping, and a false answer
// skips it (systemd then restarts a service that stays unhealthy). Run it
// in its own goroutine; it returns the first error.
func Watchdog(ctx context.Context, alive func() bool) error {
	every, err := WatchdogInterval()
	if err != nil || every == 0 {
		return err
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if alive == nil || alive() {
			if err := Notify("WATCHDOG=1"); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
