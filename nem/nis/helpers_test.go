package nis_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"testing"

	"github.com/nemiot/nemiot/internal/nemtest"
	"github.com/nemiot/nemiot/internal/sharedtest"
	"github.com/nemiot/nemiot/nem/nis"
)

// fixtureDir holds the NIS fixtures vendored from the shared reference
// folder (see its README.md).
var fixtureDir = filepath.Join("testdata", "nis-fixtures")

// fixture returns the bytes of a vendored NIS fixture. A fixture that does
// not load fails the test: it is part of the module, never skipped.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	return sharedtest.ReadFile(t, filepath.Join(fixtureDir, name))
}

// reply is what the fake node answers on one path.
type reply struct {
	status int
	body   []byte
}

// fakeNode is an httptest server that answers fixed bodies per path and
// records the requests it got.
type fakeNode struct {
	*httptest.Server
	mu      sync.Mutex
	replies map[string]reply
	got     []*http.Request
	bodies  [][]byte
}

func newFakeNode(t testing.TB, replies map[string]reply) *fakeNode {
	t.Helper()
	f := &fakeNode{replies: replies}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := make([]byte, 0)
		if r.Body != nil {
			var buf [4096]byte
			for {
				n, err := r.Body.Read(buf[:])
				body = append(body, buf[:n]...)
				if err != nil {
					break
				}
			}
		}
		f.mu.Lock()
		f.got = append(f.got, r)
		f.bodies = append(f.bodies, body)
		rep, ok := f.replies[r.URL.Path]
		f.mu.Unlock()
		if !ok {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte("<html>404</html>"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if rep.status == 0 {
			rep.status = http.StatusOK
		}
		w.WriteHeader(rep.status)
		w.Write(rep.body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeNode) client() *nis.Client { return nis.NewClient(f.URL, f.Server.Client()) }

// last returns the query and body of the last request.
func (f *fakeNode) last(t testing.TB) (string, url.Values, []byte) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.got) == 0 {
		t.Fatal("the node got no request")
	}
	r := f.got[len(f.got)-1]
	return r.Method + " " + r.URL.Path, r.URL.Query(), f.bodies[len(f.bodies)-1]
}

func (f *fakeNode) requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.got)
}

// generic decodes JSON into maps and slices, for reading expected values
// independently of the package's decoder.
func generic(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// The parsers of package nemtest, under the names these tests use.
var (
	mustAddress = nemtest.Address
	mustKey     = nemtest.PublicKey
	mustPrivate = nemtest.PrivateKey
	mustHash    = nemtest.Hash
)
