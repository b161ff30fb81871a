package hub_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nemiot/nemiot/hub"
)

// TestIdleFlood: 1,000 connections each send GET /healthz with keep-alive
// and then idle, four times the server's connection cap; an owner's command
// on a fresh connection still gets through, within a few seconds (it used
// to wait for the idle timeout, 60 s). It does with the defaults, and when
// one peer may keep every connection idle, so that only closing idle
// connections at the cap lets it in.
func TestIdleFlood(t *testing.T) {
	n, maxConns := 1000, hub.DefaultServerOptions.MaxConns
	// Both ends of every connection are this process's files.
	const spare = 64
	if limit, ok := fdLimit(); ok && limit < n+maxConns+spare {
		// Scale down: the flood stays four times the cap.
		maxConns = (limit - spare) / 5
		if maxConns < 8 {
			t.Skipf("only %d files may be open", limit)
		}
		n = 4 * maxConns
		t.Logf("%d files may be open: %d connections against a cap of %d", limit, n, maxConns)
	}
	t.Run("defaults", func(t *testing.T) {
		idleFlood(t, n, &hub.ServerOptions{MaxConns: maxConns})
	})
	t.Run("idle per peer unbounded", func(t *testing.T) {
		idleFlood(t, n, &hub.ServerOptions{MaxConns: maxConns, MaxIdlePerPeer: n})
	})
}

func idleFlood(t *testing.T, n int, opts *hub.ServerOptions) {
	r := newRig(t, nil)
	_, url, _ := startServer(t, r.handler, opts)
	r.url = url
	addr := strings.TrimPrefix(url, "http://")
	get := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: hub\r\n\r\n", hub.HealthPath)

	// The flood. Past the cap, connections wait in the kernel's accept
	// queue, in front of the owner's.
	for i := range n {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := io.WriteString(c, get); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}

	// A fresh client, so the command takes a new connection, bounded.
	client := &http.Client{Transport: &http.Transport{}, Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	start := time.Now()
	env := r.seal(t, r.owner, "light", `{"on":true}`)
	req, err := http.NewRequest(http.MethodPost, url+hub.CommandsPath, strings.NewReader(string(env)))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("owner's command after the flood: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("owner's command after the flood: %s", resp.Status)
	}
	t.Logf("owner's command answered in %v", time.Since(start))
}
