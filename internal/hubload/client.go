package hubload

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// poster sends one envelope and returns the answer's status and body; the
// body is valid until the next call.
type poster interface {
	post(ctx context.Context, env []byte) (status int, body []byte, err error)
	close()
}

// netHTTP posts with a net/http Client shared by all owners.
type netHTTP struct {
	c   *http.Client
	url string
	buf bytes.Buffer
}

func (p *netHTTP) post(ctx context.Context, env []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(env))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := p.c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	p.buf.Reset()
	_, err = p.buf.ReadFrom(io.LimitReader(resp.Body, maxReply))
	return resp.StatusCode, p.buf.Bytes(), err
}

func (p *netHTTP) close() {}

// maxReply bounds an answer's body: a reply envelope is well under 64 KiB.
const maxReply = 1 << 20

// rawHTTP speaks just enough HTTP/1.1 over one keep-alive connection: one
// write per request, and an answer read by its status line and
// Content-Length (which the hub always sends). It redials when the hub
// closes the connection.
type rawHTTP struct {
	addr, host, path string
	timeout          time.Duration
	c                net.Conn
	r                *bufio.Reader
	req              []byte
	body             []byte
}

func (p *rawHTTP) post(ctx context.Context, env []byte) (int, []byte, error) {
	deadline := time.Now().Add(p.timeout)
	if p.c == nil {
		d := net.Dialer{Deadline: deadline}
		c, err := d.DialContext(ctx, "tcp", p.addr)
		if err != nil {
			return 0, nil, err
		}
		p.c, p.r = c, bufio.NewReaderSize(c, 4096)
	}
	if err := p.c.SetDeadline(deadline); err != nil {
		p.close()
		return 0, nil, err
	}
	// Cancelling ctx cuts the request short.
	c := p.c
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	p.req = append(p.req[:0], "POST "...)
	p.req = append(p.req, p.path...)
	p.req = append(p.req, " HTTP/1.1\r\nHost: "...)
	p.req = append(p.req, p.host...)
	p.req = append(p.req, "\r\nContent-Type: application/octet-stream\r\nContent-Length: "...)
	p.req = strconv.AppendInt(p.req, int64(len(env)), 10)
	p.req = append(p.req, "\r\n\r\n"...)
	p.req = append(p.req, env...)
	status, body, keep, err := p.roundTrip()
	if err != nil || !keep {
		p.close()
	}
	return status, body, err
}

func (p *rawHTTP) roundTrip() (status int, body []byte, keep bool, err error) {
	if _, err := p.c.Write(p.req); err != nil {
		return 0, nil, false, err
	}
	line, err := p.r.ReadSlice('\n')
	if err != nil {
		return 0, nil, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, nil, false, fmt.Errorf("status line %q", line)
	}
	if status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return 0, nil, false, fmt.Errorf("status line %q", line)
	}
	n, keep := -1, true
	for {
		line, err := p.r.ReadSlice('\n')
		if err != nil {
			return 0, nil, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, nil, false, fmt.Errorf("header line %q", line)
		}
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			if n, err = strconv.Atoi(string(v)); err != nil || n < 0 || n > maxReply {
				return 0, nil, false, fmt.Errorf("Content-Length %q", v)
			}
		case bytes.EqualFold(k, []byte("Connection")) && bytes.EqualFold(v, []byte("close")):
			keep = false
		}
	}
	if n < 0 {
		if keep {
			return 0, nil, false, errors.New("answer without Content-Length")
		}
		// An answer that ends with the connection (net/http's own 400).
		body, err := io.ReadAll(io.LimitReader(p.r, maxReply))
		return status, body, false, err
	}
	if cap(p.body) < n {
		p.body = make([]byte, n)
	}
	p.body = p.body[:n]
	if _, err := io.ReadFull(p.r, p.body); err != nil {
		return 0, nil, false, err
	}
	return status, p.body, keep, nil
}

func (p *rawHTTP) close() {
	if p.c != nil {
		p.c.Close()
		p.c, p.r = nil, nil
	}
}
