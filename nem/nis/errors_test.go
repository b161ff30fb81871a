package nis_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/tx"
)

var sentinels = []error{
	nis.ErrNotFound, nis.ErrUnavailable, nis.ErrUnsupported, nis.ErrBadRequest,
	nis.ErrUnauthorized, nis.ErrBadResponse, nis.ErrTooLarge, nis.ErrRejected,
}

// errorCases map each NIS error answer to the one sentinel it must match.
// fixture names a file in nis-fixtures; otherwise body and status are used.
var errorCases = []struct {
	fixture string
	status  int
	body    string
	want    error // nil: only *nis.Error, no sentinel
	kind    string
	message string
}{
	{fixture: "error-hash-not-found.json", status: 400, want: nis.ErrNotFound, kind: "Bad Request", message: "Hash was not found in cache"},
	{fixture: "error-invalid-address.json", status: 400, want: nis.ErrBadRequest, kind: "Bad Request", message: "address must be valid"},
	{fixture: "error-missing-address.json", status: 400, want: nis.ErrBadRequest, kind: "Bad Request", message: "encoded address cannot be null"},
	{fixture: "error-hash-lookup-unsupported.json", status: 500, want: nis.ErrUnsupported, kind: "Internal Server Error", message: "this node does not support transaction lookup using a hash"},
	{fixture: "error-method-not-supported.json", status: 500, want: nis.ErrUnsupported, kind: "Internal Server Error", message: "Request method 'GET' not supported"},
	{fixture: "error-loading-chain.json", status: 503, want: nis.ErrUnavailable, kind: "Service Unavailable", message: "NIS_ILLEGAL_STATE_LOADING_CHAIN"},
	{fixture: "error-not-booted.json", status: 503, want: nis.ErrUnavailable, kind: "Service Unavailable", message: "NIS_ILLEGAL_STATE_NOT_BOOTED"},
	{fixture: "error-unauthorized-trusted-api.json", status: 401, want: nis.ErrUnauthorized, kind: "Unauthorized", message: "remote 203.0.113.7 attempted to call local /transaction/prepare-announce"},
	// Not from the fixtures: other answers seen in front of or from nodes.
	{status: 400, body: `{"timeStamp":1,"error":"Bad Request","message":"Neither transaction id was supplied nor hash was found in cache","status":400}`, want: nis.ErrNotFound, kind: "Bad Request", message: "Neither transaction id was supplied nor hash was found in cache"},
	{status: 404, body: `{"timeStamp":1,"error":"Not Found","message":"block not found 'x' (Block)","status":404}`, want: nis.ErrNotFound, kind: "Not Found", message: "block not found 'x' (Block)"},
	{status: 404, body: `<html><body>HTTP ERROR 404</body></html>`, kind: "Not Found"},
	{status: 500, body: `{"timeStamp":1,"error":"Internal Server Error","message":"boom","status":500}`, kind: "Internal Server Error", message: "boom"},
	{status: 500, body: ``, kind: "Internal Server Error"},
	{status: 502, body: `<html>Bad Gateway</html>`, want: nis.ErrUnavailable, kind: "Bad Gateway"},
	{status: 503, body: ``, want: nis.ErrUnavailable, kind: "Service Unavailable"},
	{status: 504, body: `gateway timeout`, want: nis.ErrUnavailable, kind: "Gateway Timeout"},
	{status: 429, body: ``, want: nis.ErrUnavailable, kind: "Too Many Requests"},
	{status: 403, body: ``, want: nis.ErrUnauthorized, kind: "Forbidden"},
	{status: 302, body: ``, kind: "Found"},
	{status: 400, body: `{"error":"Bad Request","status":400,"message":null}`, want: nis.ErrBadRequest, kind: "Bad Request"},
}

func errorFixtureNames() []string {
	var out []string
	for _, c := range errorCases {
		if c.fixture != "" {
			out = append(out, c.fixture)
		}
	}
	return out
}

func TestErrorKinds(t *testing.T) {
	ctx := context.Background()
	for i, tc := range errorCases {
		name := tc.fixture
		if name == "" {
			name = fmt.Sprintf("%d-%d", tc.status, i)
		}
		t.Run(name, func(t *testing.T) {
			body := []byte(tc.body)
			var wantTime nem.Timestamp
			if tc.fixture != "" {
				body = fixture(t, tc.fixture)
				wantTime = nem.Timestamp(generic(t, body)["timeStamp"].(float64))
				if int(generic(t, body)["status"].(float64)) != tc.status {
					t.Fatalf("fixture status is not %d", tc.status)
				}
			} else if strings.Contains(tc.body, `"timeStamp":1`) {
				wantTime = 1
			}
			// Every endpoint maps errors the same way.
			paths := map[string]reply{}
			for _, p := range []string{"/heartbeat", "/account/get", "/transaction/get", "/chain/height", "/transaction/announce"} {
				paths[p] = reply{status: tc.status, body: body}
			}
			node := newFakeNode(t, paths)
			c := node.client()
			calls := map[string]func() error{
				"Heartbeat":   func() error { return c.Heartbeat(ctx) },
				"Account":     func() error { _, err := c.Account(ctx, nem.PublicKey{7}.Address(nem.Mainnet)); return err },
				"Transaction": func() error { _, err := c.Transaction(ctx, tx.Hash{1}); return err },
				"ChainHeight": func() error { _, err := c.ChainHeight(ctx); return err },
				"Announce": func() error {
					_, err := c.Announce(ctx, &tx.SignedTransaction{Data: []byte{1}})
					return err
				},
			}
			for call, f := range calls {
				err := f()
				var e *nis.Error
				if !errors.As(err, &e) {
					t.Fatalf("%s: %v is not a *nis.Error", call, err)
				}
				if e.Status != tc.status || e.Kind != tc.kind || e.Message != tc.message || e.Time != wantTime {
					t.Errorf("%s: %+v, want status %d kind %q message %q time %d", call, e, tc.status, tc.kind, tc.message, wantTime)
				}
				if e.Path == "" || !strings.Contains(err.Error(), e.Path) || !strings.Contains(err.Error(), fmt.Sprint(tc.status)) || !strings.Contains(err.Error(), tc.message) {
					t.Errorf("%s: message %q lacks path, status or NIS message", call, err)
				}
				for _, s := range sentinels {
					if got := errors.Is(err, s); got != (s == tc.want) {
						t.Errorf("%s: errors.Is(%v, %v) = %v", call, err, s, got)
					}
				}
			}
		})
	}
}

// TestErrorStatusNotFollowed checks that a redirect is an error, not a
// request to wherever it points.
func TestRedirectNotFollowed(t *testing.T) {
	target := newFakeNode(t, map[string]reply{"/chain/height": {body: []byte(`{"height":5}`)}})
	redirect := newFakeNode(t, nil)
	redirect.Config.Handler = http.RedirectHandler(target.URL+"/chain/height", http.StatusFound)
	for _, c := range []*nis.Client{nis.NewClient(redirect.URL, nil), {BaseURL: redirect.URL, HTTP: nis.NewHTTPClient()}} {
		_, err := c.ChainHeight(context.Background())
		var e *nis.Error
		if !errors.As(err, &e) || e.Status != http.StatusFound {
			t.Errorf("redirect: %v", err)
		}
	}
	if n := target.requests(); n != 0 {
		t.Errorf("the redirect was followed %d times", n)
	}
}

func TestAnnounceErrorMatches(t *testing.T) {
	err := error(&nis.AnnounceError{Code: 8, Message: "FAILURE_SIGNATURE_NOT_VERIFIABLE"})
	if !errors.Is(err, nis.ErrRejected) || errors.Is(err, nis.ErrBadResponse) {
		t.Errorf("AnnounceError matching")
	}
	if s := err.Error(); !strings.Contains(s, "FAILURE_SIGNATURE_NOT_VERIFIABLE") || !strings.Contains(s, "8") {
		t.Errorf("message %q", s)
	}
}
