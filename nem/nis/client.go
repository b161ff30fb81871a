package nis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/nemiot/nemiot/nem"
)

// DefaultMaxBody is the response size cap of a [Client] whose MaxBody is 0:
// 1 MiB, ample for any answer of the endpoints used here (an account with 32
// cosignatories is about 12 KiB; a page of 100 transactions about 150 KiB).
const DefaultMaxBody = 1 << 20

// Client talks to one NIS node. The zero value needs only BaseURL. A Client
// is safe for concurrent use: it keeps no per-call state, so one Client per
// node can serve every goroutine.
type Client struct {
	// BaseURL is the node's address, e.g. "http://hugealice.nem.ninja:7890".
	// A path prefix is kept; a trailing slash is ignored.
	BaseURL string
	// HTTP sends the requests. Nil means a shared client from
	// [NewHTTPClient]: dial, TLS and overall timeouts, no redirects.
	HTTP *http.Client
	// MaxBody caps every response body (after gzip decompression); 0 means
	// [DefaultMaxBody]. A bigger body fails with [ErrTooLarge], unread.
	MaxBody int64
	// Network, when set, is the network the node must serve: an account
	// answer whose address is of another network fails with
	// [ErrBadResponse] instead of being returned. 0 accepts any network
	// (callers should then check [Account].Address.Network themselves).
	Network nem.Network
}

// NewClient returns a client for the node at baseURL that sends requests
// with httpClient (nil: see [Client.HTTP]).
func NewClient(baseURL string, httpClient *http.Client) *Client {
	return &Client{BaseURL: baseURL, HTTP: httpClient}
}

// NewHTTPClient returns an *http.Client suited to NIS nodes: 5 s to connect,
// 5 s for a TLS handshake, 10 s until response headers, 30 s for the whole
// exchange, and redirects not followed (a NIS node never redirects, so a
// redirect is returned as an [*Error]). Contexts passed to [Client] methods
// can shorten any of these.
func NewHTTPClient() *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: 10 * time.Second,
			ExpectContinueTimeout: time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   4,
			ForceAttemptHTTP2:     true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

var sharedHTTP = sync.OnceValue(NewHTTPClient)

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return sharedHTTP()
}

func (c *Client) maxBody() int64 {
	if c.MaxBody > 0 {
		return c.MaxBody
	}
	return DefaultMaxBody
}

// get sends GET path?query and returns the 2xx body.
func (c *Client) get(ctx context.Context, path string, query url.Values) ([]byte, error) {
	return c.do(ctx, http.MethodGet, path, query, nil)
}

// post sends a JSON body to path and returns the 2xx body.
func (c *Client) post(ctx context.Context, path string, body []byte) ([]byte, error) {
	return c.do(ctx, http.MethodPost, path, nil, body)
}

func (c *Client) do(ctx context.Context, method, path string, query url.Values, body []byte) ([]byte, error) {
	if c.BaseURL == "" {
		return nil, errors.New("nis: client has no BaseURL")
	}
	u := strings.TrimRight(c.BaseURL, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("nis: %s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, fmt.Errorf("nis: %w", err)
	}
	defer resp.Body.Close()
	data, err := readBody(resp, c.maxBody())
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s", err, method, path)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, errorFromResponse(resp, path, data)
	}
	return data, nil
}

// readBody reads at most max bytes of the body. A declared length above max
// is refused before reading; otherwise reading stops at max+1 bytes.
func readBody(resp *http.Response, max int64) ([]byte, error) {
	if resp.ContentLength > max {
		return nil, fmt.Errorf("%w: declared %d bytes, cap %d", ErrTooLarge, resp.ContentLength, max)
	}
	size := 512
	if resp.ContentLength > 0 {
		size = int(resp.ContentLength) + 1
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	n, err := buf.ReadFrom(io.LimitReader(resp.Body, max+1))
	if n > max {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	}
	if err != nil {
		return nil, fmt.Errorf("nis: reading response: %w", err)
	}
	return buf.Bytes(), nil
}

// errorWire is the NIS ErrorResponse.
type errorWire struct {
	TimeStamp *int32  `json:"timeStamp"`
	Error     *string `json:"error"`
	Message   *string `json:"message"`
	Status    *int    `json:"status"`
}

func errorFromResponse(resp *http.Response, path string, body []byte) error {
	e := &Error{Status: resp.StatusCode, Path: path, Kind: http.StatusText(resp.StatusCode)}
	var w errorWire
	if isJSONObject(body) && json.Unmarshal(body, &w) == nil && w.Status != nil && w.Error != nil {
		e.nisBody = true
		e.Kind = *w.Error
		if w.Message != nil {
			e.Message = *w.Message
		}
		if w.TimeStamp != nil {
			e.Time = nem.Timestamp(*w.TimeStamp)
		}
	}
	return e
}

// decode unmarshals a 2xx body that must be a JSON object into v.
func decode(path string, body []byte, v any) error {
	if !isJSONObject(body) {
		return badResponse(path, "body is not a JSON object")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return badResponse(path, "%v", err)
	}
	return nil
}

// isJSONObject reports whether b, after leading white space, opens a JSON
// object.
func isJSONObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}
