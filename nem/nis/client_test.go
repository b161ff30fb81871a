package nis_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/tx"
)

// countingTransport wraps every response body to count the bytes the client
// read from it.
type countingTransport struct {
	base http.RoundTripper
	read atomic.Int64
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	if err == nil {
		resp.Body = countingBody{resp.Body, &c.read}
	}
	return resp, err
}

// TestBodyCap sends 10 MiB answers in several forms and checks that the
// client refuses them with ErrTooLarge after reading little more than the
// cap. The bytes are counted on the client side, where the response body is
// read: what the server manages to write depends on socket buffers.
func TestBodyCap(t *testing.T) {
	const size = 10 << 20
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		chunk := bytes.Repeat([]byte(" "), 64<<10)
		switch r.URL.Query().Get("address")[:1] {
		case "T": // streamed, no Content-Length
		case "N": // declared length
			w.Header().Set("Content-Length", strconv.Itoa(size))
		case "M": // a gzip bomb: small on the wire, 10 MiB decompressed
			w.Header().Set("Content-Encoding", "gzip")
			gz := gzip.NewWriter(w)
			gz.Write([]byte(`{"account":`))
			for i := 0; i < size/len(chunk); i++ {
				gz.Write(chunk)
			}
			gz.Close()
			return
		}
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(`{"account":`))
		for i := 0; i < size/len(chunk); i++ {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	key := nem.PublicKey{3}
	for _, tc := range []struct {
		name    string
		network nem.Network
		max     int64
		limit   int64 // most bytes the client may read
	}{
		{"streamed", nem.Testnet, 0, nis.DefaultMaxBody + 64<<10},
		{"declared", nem.Mainnet, 0, 0},
		{"gzip", nem.Mijin, 0, nis.DefaultMaxBody + 64<<10}, // decompressed bytes
		{"streamed-small-cap", nem.Testnet, 1000, 1000 + 64<<10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct := &countingTransport{base: &http.Transport{}}
			defer ct.base.(*http.Transport).CloseIdleConnections()
			c := &nis.Client{BaseURL: srv.URL, HTTP: &http.Client{Transport: ct}, MaxBody: tc.max}
			_, err := c.Account(context.Background(), key.Address(tc.network))
			if !errors.Is(err, nis.ErrTooLarge) {
				t.Fatalf("got %v, want ErrTooLarge", err)
			}
			if errors.Is(err, nis.ErrBadResponse) {
				t.Errorf("a too large body must not be decoded: %v", err)
			}
			if n := ct.read.Load(); n > tc.limit {
				t.Errorf("client read %d bytes, at most %d allowed", n, tc.limit)
			}
		})
	}
}

// TestBodyAtCap checks that a body of exactly MaxBody bytes is read.
func TestBodyAtCap(t *testing.T) {
	body := []byte(`{"height":42}`)
	pad := 100 - len(body)
	body = append(bytes.Repeat([]byte(" "), pad), body...)
	node := newFakeNode(t, map[string]reply{"/chain/height": {body: body}})
	c := &nis.Client{BaseURL: node.URL, MaxBody: int64(len(body))}
	if h, err := c.ChainHeight(context.Background()); err != nil || h != 42 {
		t.Errorf("at the cap: %d, %v", h, err)
	}
	c.MaxBody--
	if _, err := c.ChainHeight(context.Background()); !errors.Is(err, nis.ErrTooLarge) {
		t.Errorf("one byte over the cap: %v", err)
	}
}

// TestHungNode checks that the context cuts off a node that never answers,
// before the headers and in the middle of the body.
func TestHungNode(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chain/height" { // headers and half a body, then nothing
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			w.Write([]byte(`{"hei`))
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	for _, tc := range []struct {
		name string
		call func(context.Context, *nis.Client) error
	}{
		{"before headers", func(ctx context.Context, c *nis.Client) error { return c.Heartbeat(ctx) }},
		{"mid body", func(ctx context.Context, c *nis.Client) error { _, err := c.ChainHeight(ctx); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- tc.call(ctx, nis.NewClient(srv.URL, nil)) }()
			select {
			case err := <-done:
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("got %v, want context.DeadlineExceeded", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the call did not return after its context expired")
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := nis.NewClient(srv.URL, nil).Heartbeat(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

func TestDefaultHTTPClient(t *testing.T) {
	hc := nis.NewHTTPClient()
	tr, ok := hc.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport %T", hc.Transport)
	}
	if hc.Timeout <= 0 || hc.Timeout > time.Minute || tr.TLSHandshakeTimeout <= 0 || tr.ResponseHeaderTimeout <= 0 || tr.DialContext == nil || hc.CheckRedirect == nil {
		t.Errorf("NewHTTPClient lacks timeouts: %+v %+v", hc, tr)
	}
	// A nil HTTP field works (with the shared default client).
	node := newFakeNode(t, map[string]reply{"/heartbeat": {body: []byte(`{"code":1,"type":2,"message":"ok"}`)}})
	if err := (&nis.Client{BaseURL: node.URL}).Heartbeat(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	err = nis.NewClient("http://"+addr, nil).Heartbeat(context.Background())
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("got %v, want connection refused", err)
	}
	var e *nis.Error
	if errors.As(err, &e) {
		t.Errorf("a transport failure is not a *nis.Error")
	}
}

func TestBaseURL(t *testing.T) {
	body := []byte(`{"height":7}`)
	node := newFakeNode(t, map[string]reply{"/prefix/chain/height": {body: body}})
	for _, base := range []string{node.URL + "/prefix", node.URL + "/prefix/"} {
		if h, err := nis.NewClient(base, nil).ChainHeight(context.Background()); err != nil || h != 7 {
			t.Errorf("%s: %d, %v", base, h, err)
		}
	}
	if _, err := (&nis.Client{}).ChainHeight(context.Background()); err == nil {
		t.Error("a client without BaseURL worked")
	}
	if _, err := nis.NewClient("http://[::1", nil).ChainHeight(context.Background()); err == nil {
		t.Error("a bad BaseURL worked")
	}
}

// TestInvalidArguments checks that zero arguments are refused before any I/O.
func TestInvalidArguments(t *testing.T) {
	node := newFakeNode(t, nil)
	c := node.client()
	ctx := context.Background()
	for name, f := range map[string]func() error{
		"Account":            func() error { _, err := c.Account(ctx, nem.Address{}); return err },
		"AccountByPublicKey": func() error { _, err := c.AccountByPublicKey(ctx, nem.PublicKey{}); return err },
		"Transaction":        func() error { _, err := c.Transaction(ctx, tx.Hash{}); return err },
		"IncomingTransfers":  func() error { _, err := c.IncomingTransfers(ctx, nem.Address{}, tx.Page{}); return err },
		"AllTransfers":       func() error { _, err := c.AllTransfers(ctx, nem.Address{}, tx.Page{}); return err },
		"OutgoingTransfers":  func() error { _, err := c.OutgoingTransfers(ctx, nem.Address{}, tx.Page{}); return err },
		"Unconfirmed":        func() error { _, err := c.UnconfirmedTransactions(ctx, nem.Address{}); return err },
		"Announce nil":       func() error { _, err := c.Announce(ctx, nil); return err },
		"Announce empty":     func() error { _, err := c.Announce(ctx, &tx.SignedTransaction{}); return err },
	} {
		if err := f(); !errors.Is(err, nis.ErrInvalidArgument) {
			t.Errorf("%s: %v, want ErrInvalidArgument", name, err)
		}
	}
	if n := node.requests(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// TestBadResponses feeds answers no honest node sends.
func TestBadResponses(t *testing.T) {
	const (
		addrA = "NDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5JFXJ4R4"
		keyA  = "c5f54ba980fcbb657dbaaa42700539b207873e134d2375efeab5f1ab52f87844"
		addrB = "NABHFGE5ORQD3LE4O6B7JUFN47ECOFBFASC3SCAC"
		keyB  = "96eb2a145211b1b7ab5f0d4b14f8abc8d695c7aee31a3cfc2d4881313c68eea3"
		addrD = "NCQW2P5DNZ5BBXQVGS367DQ4AHC3RXOEVGRCLY6V"
		keyD  = "83ee32e4e145024d29bca54f71fa335a98b3e68283f1a3099c4d4ae113b53e54"
	)
	info := func(addr, key, ms string) string {
		k := "null"
		if key != "" {
			k = `"` + key + `"`
		}
		return `{"address":"` + addr + `","publicKey":` + k + `,"balance":1,"vestedBalance":1,"harvestedBlocks":0,"label":null,"importance":0.0,"multisigInfo":` + ms + `}`
	}
	pair := func(acct, cosigs, of string) string {
		return `{"account":` + acct + `,"meta":{"status":"LOCKED","remoteStatus":"INACTIVE","cosignatories":[` + cosigs + `],"cosignatoryOf":[` + of + `]}}`
	}
	ms := func(n, m int) string {
		return `{"cosignatoriesCount":` + strconv.Itoa(n) + `,"minCosignatories":` + strconv.Itoa(m) + `}`
	}
	good := pair(info(addrD, keyD, ms(2, 1)), info(addrA, keyA, "{}")+","+info(addrB, keyB, "{}"), "")
	// The good answer decodes: the table below differs from it in one point each.
	node := newFakeNode(t, map[string]reply{"/account/get": {body: []byte(good)}})
	if _, err := node.client().Account(context.Background(), mustAddress(t, addrD)); err != nil {
		t.Fatalf("good answer: %v", err)
	}
	for name, body := range map[string]string{
		"html":                  `<html>ok</html>`,
		"empty":                 ``,
		"array":                 `[]`,
		"truncated":             good[:len(good)/2],
		"no meta":               `{"account":` + info(addrD, keyD, "{}") + `}`,
		"no account":            `{"meta":{"cosignatories":[],"cosignatoryOf":[]}}`,
		"bad address":           pair(info("NDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5JFXJ4R5", "", "{}"), "", ""),
		"key of another":        pair(info(addrD, keyA, ms(2, 1)), info(addrA, keyA, "{}")+","+info(addrB, keyB, "{}"), ""),
		"count mismatch":        pair(info(addrD, keyD, ms(3, 1)), info(addrA, keyA, "{}")+","+info(addrB, keyB, "{}"), ""),
		"min above count":       pair(info(addrD, keyD, ms(2, 3)), info(addrA, keyA, "{}")+","+info(addrB, keyB, "{}"), ""),
		"negative min":          pair(info(addrD, keyD, ms(2, -1)), info(addrA, keyA, "{}")+","+info(addrB, keyB, "{}"), ""),
		"half multisigInfo":     pair(info(addrD, keyD, `{"cosignatoriesCount":2}`), info(addrA, keyA, "{}")+","+info(addrB, keyB, "{}"), ""),
		"duplicate cosignatory": pair(info(addrD, keyD, ms(2, 1)), info(addrA, keyA, "{}")+","+info(addrA, keyA, "{}"), ""),
		"cosignatory no key":    pair(info(addrD, keyD, ms(2, 1)), info(addrA, "", "{}")+","+info(addrB, keyB, "{}"), ""),
		"cosignatory multisig":  pair(info(addrD, keyD, ms(2, 1)), info(addrA, keyA, ms(1, 1))+","+info(addrB, keyB, "{}"), ""),
		"self cosignatory":      pair(info(addrD, keyD, ms(2, 1)), info(addrD, keyD, "{}")+","+info(addrB, keyB, "{}"), ""),
		"multisig cosigns":      pair(info(addrD, keyD, ms(2, 1)), info(addrA, keyA, "{}")+","+info(addrB, keyB, "{}"), info(addrB, keyB, ms(1, 1))),
		"of plain account":      pair(info(addrD, keyD, "{}"), "", info(addrB, keyB, "{}")),
		"negative balance":      strings.Replace(good, `"balance":1`, `"balance":-1`, 1),
		"testnet cosignatory":   pair(info(addrD, keyD, ms(2, 1)), info(mustKey(t, keyA).Address(nem.Testnet).String(), keyA, "{}")+","+info(addrB, keyB, "{}"), ""),
	} {
		node := newFakeNode(t, map[string]reply{"/account/get": {body: []byte(body)}})
		acct, err := node.client().Account(context.Background(), mustAddress(t, addrD))
		if !errors.Is(err, nis.ErrBadResponse) || acct != nil {
			t.Errorf("%s: %v, %v; want ErrBadResponse", name, acct, err)
		}
	}
	// Other endpoints refuse wrong shapes too.
	for path, body := range map[string]string{
		"/heartbeat":              `{"code":2,"type":2,"message":"ok"}`,
		"/status":                 `{"code":9,"type":4,"message":"status"}`,
		"/chain/height":           `{"height":0}`,
		"/time-sync/network-time": `{"sendTimeStamp":-1,"receiveTimeStamp":1}`,
		"/node/info":              `{"metaData":{"networkId":7},"endpoint":{},"identity":{"public-key":"00"}}`,
		"/transaction/announce":   `{"type":2,"code":1,"message":"SUCCESS"}`,
		"/transaction/get":        `{"meta":{"height":1,"id":1,"hash":{"data":"00"}},"transaction":{}}`,
		"/account/transfers/all":  `{"data":null}`,
	} {
		node := newFakeNode(t, map[string]reply{path: {body: []byte(body)}})
		c, ctx := node.client(), context.Background()
		var err error
		switch path {
		case "/heartbeat":
			err = c.Heartbeat(ctx)
		case "/status":
			_, err = c.Status(ctx)
		case "/chain/height":
			_, err = c.ChainHeight(ctx)
		case "/time-sync/network-time":
			_, err = c.NetworkTime(ctx)
		case "/node/info":
			_, err = c.NodeInfo(ctx)
		case "/transaction/announce":
			_, err = c.Announce(ctx, &tx.SignedTransaction{Data: []byte{1}})
		case "/transaction/get":
			_, err = c.Transaction(ctx, tx.Hash{1})
		case "/account/transfers/all":
			_, err = c.AllTransfers(ctx, mustAddress(t, addrA), tx.Page{})
		}
		if !errors.Is(err, nis.ErrBadResponse) {
			t.Errorf("%s %s: %v, want ErrBadResponse", path, body, err)
		}
	}
}
