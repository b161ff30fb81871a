package main

import (
	"bytes"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/hub"
	"github.com/nemiot/nemiot/nem/keyfile"
)

// TestReplayFileAcrossRestart: with -replay FILE, an envelope the hub took
// is refused after a restart that reuses the file.
func TestReplayFileAcrossRestart(t *testing.T) {
	devKey, owner := newKey(t), newKey(t)
	path := writeKey(t, &keyfile.File{Key: devKey})
	store := filepath.Join(t.TempDir(), "replay")
	env, err := command.Seal(nil, owner, devKey.PublicKey(), command.Command{Name: "status"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	post := func(h *running) int {
		t.Helper()
		resp, err := http.Post(h.url+hub.CommandsPath, "application/octet-stream", bytes.NewReader(env))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	args := []string{"-sim", "-owners", owner.PublicKey().String(), "-replay", store}
	h := startFile(t, path, args...)
	if code := post(h); code != http.StatusOK {
		t.Fatalf("first post: %d\n%s", code, h.log)
	}
	if code := h.shutdown(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	h = startFile(t, path, args...)
	if code := post(h); code != http.StatusUnauthorized {
		t.Fatalf("the same envelope after a restart: %d, want 401\n%s", code, h.log)
	}
}
