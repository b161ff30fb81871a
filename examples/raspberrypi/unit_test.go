package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const unitPath = "systemd/nemiot-raspberrypi.service"

// TestUnitFile: the shipped unit runs the firmware as a dedicated,
// unprivileged user with its key in its state directory, hardened and
// limited to the GPIO character devices, as a notify service with a
// watchdog and the network clock.
func TestUnitFile(t *testing.T) {
	b, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	for _, want := range []string{
		"Type=notify", "WatchdogSec=", "DynamicUser=yes", "StateDirectory=nemiot",
		"ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes",
		"DevicePolicy=closed", "DeviceAllow=char-gpiochip rw", "CapabilityBoundingSet=\n",
		"-key ${STATE_DIRECTORY}/device.key", "-replay ${STATE_DIRECTORY}/replay", "-clock network", "-listen 127.0.0.1:",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("unit lacks %q", want)
		}
	}
	if n := strings.Count(unit, "DeviceAllow="); n != 1 {
		t.Errorf("%d DeviceAllow= lines, want only the GPIO chips", n)
	}
}

// TestUnitVerifies: systemd-analyze verify takes the unit without a
// single complaint (unknown keys are only warnings, so any output fails).
// The binary path is replaced by an executable that exists here.
func TestUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("systemd-analyze not found; CI installs systemd")
		}
		t.Skip("systemd-analyze not installed")
	}
	b, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	unit := strings.Replace(string(b), "/usr/local/bin/nemiot-raspberrypi", exe, 1)
	path := filepath.Join(t.TempDir(), "nemiot-raspberrypi.service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
