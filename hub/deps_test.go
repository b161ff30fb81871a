package hub_test

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestLayering: hub and device are peers that meet in command.Handler, so
// a hub user does not pull in device or periph, and command (where the
// handler interface lives) imports neither side; nor does the owner's side
// (hubclient, keyfile). No library package (anything outside examples/)
// depends on a metrics library: they offer hooks, and the example programs
// wire them to Prometheus. It asks the go command
// for the packages each one is built from, as `go list -deps` prints them.
func TestLayering(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH:", err)
	}
	for pkg, banned := range map[string][]string{
		"github.com/nemiot/nemiot/hub":     {"periph.io/", "github.com/nemiot/nemiot/device"},
		"github.com/nemiot/nemiot/command": {"periph.io/", "github.com/nemiot/nemiot/device", "github.com/nemiot/nemiot/hub"},
		// The owner's side: an app pulls in no hardware.
		"github.com/nemiot/nemiot/hub/hubclient": {"periph.io/", "github.com/nemiot/nemiot/device"},
		"github.com/nemiot/nemiot/nem/keyfile":   {"periph.io/", "github.com/nemiot/nemiot/device", "github.com/nemiot/nemiot/hub"},
	} {
		out, err := exec.Command(goTool, "list", "-deps", pkg).Output()
		if err != nil {
			var stderr []byte
			if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
				stderr = ee.Stderr
			}
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, stderr)
		}
		deps := strings.Fields(string(out))
		if len(deps) == 0 || deps[len(deps)-1] != pkg {
			t.Fatalf("go list -deps %s printed %d packages, the last not %s itself", pkg, len(deps), pkg)
		}
		for _, d := range deps {
			for _, b := range banned {
				if d == b || strings.HasPrefix(d, b) && (strings.HasSuffix(b, "/") || strings.HasPrefix(d, b+"/")) {
					t.Errorf("%s depends on %s", pkg, d)
				}
			}
		}
	}
	// Every library package, with the packages it is built from.
	out, err := exec.Command(goTool, "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, "github.com/nemiot/nemiot/...").Output()
	if err != nil {
		t.Fatalf("go list github.com/nemiot/nemiot/...: %v", err)
	}
	libs := 0
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "github.com/nemiot/nemiot/examples/") {
			continue
		}
		libs++
		for _, d := range f[1:] {
			if strings.HasPrefix(d, "github.com/prometheus/") {
				t.Errorf("library package %s depends on %s", f[0], d)
				break
			}
		}
	}
	if libs < 10 {
		t.Errorf("go list found %d library packages", libs)
	}
}
