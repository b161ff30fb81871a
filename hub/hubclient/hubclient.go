// Package hubclient is the owner's side of package hub: a Go app that
// commands a device over HTTP. It learns a device's public key from
// GET /v1/device, seals commands with [command.Seal], POSTs them to
// /v1/commands and checks the device's signed reply with
// [command.OpenReply].
//
// # Where to start
//
// Check the hub's address as the user typed it with [ParseURL], then make
// a [Client] with it and the owner's key (package keyfile reads key
// files), and call [Client.Send]:
//
//	base, err := hubclient.ParseURL("192.168.1.20:8080") // http:// is added
//	c := &hubclient.Client{Hub: base, Key: ownerKey}
//	reply, _, err := c.Send(ctx, devicePub, command.Command{Name: "light", Args: json.RawMessage(`{"on":true}`)})
//	if err == nil && reply.OK { … reply.Result … }
//
// devicePub is the device's public key as the owner got it at setup (the
// device shows it when it makes its key). [Client.Device] asks the hub for
// it, but that is only the hub's word: a reply verifies only if it is
// signed by the key you pass to Send, so pin the key you got at setup
// where you can, and treat what Device returns as a hint to compare.
//
// # Errors
//
// A command the device refuses to act on (an unknown name, bad args, a
// hardware error) is not an error here: Send returns the verified reply
// with OK false and the device's Error text. Send's errors are the
// transport's: [ErrRefused] when the hub answered 401 (it refused the
// envelope; the reason stays in the device's log), a [*StatusError] for
// any other status but 200, a network error, or a reply that does not
// verify (wrapping [command.ErrRefused]: not signed by the device, not
// for this owner or this command, or out of date).
//
// Other languages do the same with plain HTTP (see examples/js-app in the
// repository).
package hubclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/nem"
)

// MaxReply bounds the body read from the hub; replies are a few hundred
// bytes, and the hub's own cap on commands is 64 KiB.
const MaxReply = 1 << 20

// ErrRefused means the hub answered 401: it refused the envelope
// (the reason stays on the device).
var ErrRefused = errors.New("hub refused the command (401)")

// ErrBadURL means a hub address is not one [ParseURL] accepts.
var ErrBadURL = errors.New("bad hub URL")

// ParseURL checks s, the address of a hub as a user types it, and returns
// it as [Client].Hub takes it. An address without a scheme ("host:port",
// "host", "[::1]:8080") is taken as http://, which is enough for the hub's
// envelopes (signed and encrypted end to end); give https:// for a TLS
// front. The scheme must be http or https, the host must not be empty, and
// a query or fragment is refused (paths are appended to the URL). A path
// is kept, for a hub mounted below one. Errors wrap [ErrBadURL].
func ParseURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("%w: empty", ErrBadURL)
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the whole input
		}
		return "", fmt.Errorf("%w %q: %v", ErrBadURL, s, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("%w %q: scheme %q, want http or https", ErrBadURL, u.Redacted(), u.Scheme)
	case u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("%w %q: no host", ErrBadURL, u.Redacted())
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", fmt.Errorf("%w %q: a query or fragment cannot take the API's paths", ErrBadURL, u.Redacted())
	case u.Port() != "":
		if p, err := strconv.Atoi(u.Port()); err != nil || p < 1 || p > 65535 {
			return "", fmt.Errorf("%w %q: port %q not in 1..65535", ErrBadURL, u.Redacted(), u.Port())
		}
	}
	return u.String(), nil
}

// StatusError is an HTTP answer other than 200 (and 401, see [ErrRefused]).
type StatusError struct {
	Code int
	Body string // the start of the body, for the message
}

// Error describes the failure; it never contains a private key.
func (e *StatusError) Error() string {
	return fmt.Sprintf("hub answered %d %s: %q", e.Code, http.StatusText(e.Code), e.Body)
}

// Info is what GET /v1/device tells about the device.
type Info struct {
	PublicKey nem.PublicKey
	Address   nem.Address
	Network   nem.Network
}

// Client sends one owner's commands to one hub.
type Client struct {
	Hub   string          // base URL, e.g. "http://127.0.0.1:8080" (see ParseURL)
	Key   *nem.PrivateKey // the owner's key
	HTTP  *http.Client    // nil: a client with a 30 s timeout
	Rand  io.Reader       // nil: crypto/rand
	Clock func() time.Time
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 30 * time.Second}
}

func (c *Client) now() time.Time {
	if c.Clock != nil {
		return c.Clock()
	}
	return time.Now()
}

func (c *Client) url(path string) string { return strings.TrimRight(c.Hub, "/") + path }

// Device fetches GET /v1/device and checks that its address is its public
// key's. The hub's word is all it is: pin the device key you got at setup
// (examples/keygen prints it) where you can.
func (c *Client) Device(ctx context.Context) (*Info, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url("/v1/device"), nil)
	if err != nil {
		return nil, err
	}
	body, err := c.do(req)
	if err != nil {
		return nil, err
	}
	var raw struct {
		PublicKey string `json:"publicKey"`
		Address   string `json:"address"`
		Network   string `json:"network"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("GET /v1/device: %w", err)
	}
	var info Info
	if info.PublicKey, err = nem.ParsePublicKey(raw.PublicKey); err != nil {
		return nil, fmt.Errorf("GET /v1/device: publicKey: %w", err)
	}
	if info.Network, err = nem.ParseNetwork(raw.Network); err != nil {
		return nil, fmt.Errorf("GET /v1/device: network: %w", err)
	}
	if info.Address, err = nem.ParseAddressOn(raw.Address, info.Network); err != nil {
		return nil, fmt.Errorf("GET /v1/device: address: %w", err)
	}
	if info.Address != info.PublicKey.Address(info.Network) {
		return nil, errors.New("GET /v1/device: address is not the public key's")
	}
	return &info, nil
}

// Seal makes the envelope of cmd for device, dated by the client's clock.
func (c *Client) Seal(device nem.PublicKey, cmd command.Command) ([]byte, error) {
	return command.Seal(c.Rand, c.Key, device, cmd, c.now())
}

// Post sends an envelope and returns the reply envelope. A 401 is
// [ErrRefused]; other statuses are a *[StatusError].
func (c *Client) Post(ctx context.Context, envelope []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url("/v1/commands"), bytes.NewReader(envelope))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	return c.do(req)
}

// Send seals cmd for device, posts it and verifies the reply: signed by
// device, addressed to this owner, answering this command, dated within
// the window. It returns the reply and the envelope sent.
func (c *Client) Send(ctx context.Context, device nem.PublicKey, cmd command.Command) (*command.Reply, []byte, error) {
	env, err := c.Seal(device, cmd)
	if err != nil {
		return nil, nil, err
	}
	body, err := c.Post(ctx, env)
	if err != nil {
		return nil, env, err
	}
	r, err := command.OpenReply(c.Key, device, env, body, c.now())
	if err != nil {
		return nil, env, fmt.Errorf("reply does not verify: %w", err)
	}
	return r, env, nil
}

func (c *Client) do(req *http.Request) ([]byte, error) {
	resp, err := c.http().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxReply+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	if len(body) > MaxReply {
		return nil, fmt.Errorf("%s %s: answer larger than %d bytes", req.Method, req.URL.Path, MaxReply)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return body, nil
	case http.StatusUnauthorized:
		return nil, ErrRefused
	default:
		if len(body) > 200 {
			body = body[:200]
		}
		return nil, &StatusError{Code: resp.StatusCode, Body: strings.TrimSpace(string(body))}
	}
}
