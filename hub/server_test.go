package hub_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/device/devicetest"
	"github.com/nemiot/nemiot/hub"
)

// startServer serves h with a hub.Server on a loopback port.
func startServer(t *testing.T, h http.Handler, opts *hub.ServerOptions) (*hub.Server, string, <-chan error) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := hub.NewServer(h, "", opts)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return srv, "http://" + l.Addr().String(), done
}

// TestSlowClient: a client that trickles its body slower than the read
// timeout is cut off, and the hub keeps serving others meanwhile.
func TestSlowClient(t *testing.T) {
	r := newRig(t, nil)
	_, url, _ := startServer(t, r.handler, &hub.ServerOptions{ReadTimeout: 300 * time.Millisecond, ReadHeaderTimeout: 300 * time.Millisecond})
	addr := strings.TrimPrefix(url, "http://")

	// A valid envelope, sent one byte per 20 ms: about 6 s in all.
	env := r.seal(t, r.owner, "light", `{"on":true}`)
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fmt.Fprintf(slow, "POST %s HTTP/1.1\r\nHost: hub\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", hub.CommandsPath, len(env))
	stop := make(chan struct{})
	trickled := make(chan int, 1)
	go func() {
		n := 0
		defer func() { trickled <- n }()
		for _, b := range env {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if _, err := slow.Write([]byte{b}); err != nil {
				return
			}
			n++
		}
	}()

	// Slow headers too: a request line and nothing more.
	slowHead, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slowHead.Close()
	fmt.Fprintf(slowHead, "POST %s HTTP/1.1\r\nHost: hub\r\n", hub.CommandsPath)

	// Others are served meanwhile.
	r.url = url
	for _, s := range []string{`{"speed":1}`, `{"speed":3}`} {
		if rep := r.command(t, "fan", s); !rep.OK {
			t.Fatalf("fan %s during the trickle: %s", s, rep.Error)
		}
	}

	for name, c := range map[string]net.Conn{"slow body": slow, "slow headers": slowHead} {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		switch {
		case err == nil:
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Errorf("%s: got 200", name)
			}
			// And then the server closes the connection.
			if _, err := c.Read(make([]byte, 1)); err == nil {
				t.Errorf("%s: connection still open after %s", name, resp.Status)
			}
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed), isReset(err):
			// Cut off without a response.
		default:
			t.Errorf("%s: not cut off: %v", name, err)
		}
	}
	close(stop)
	if n := <-trickled; n >= len(env) {
		t.Errorf("the slow client sent its whole body (%d bytes)", n)
	}
	// The slow command never ran: only the two fan commands did.
	if calls := r.rec.Calls(); len(calls) != 2 {
		t.Errorf("device saw %d commands, want 2", len(calls))
	}
	if l, _, _ := r.pins(); l != gpio.Low {
		t.Error("the slow client's command ran")
	}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && !op.Timeout()
}

// TestShutdownHalts: Shutdown halts the device behind the handler, whether
// New got a *device.Device itself or a devicetest.Recorder in front of it.
func TestShutdownHalts(t *testing.T) {
	for _, direct := range []bool{true, false} {
		t.Run(map[bool]string{true: "device", false: "Recorder"}[direct], func(t *testing.T) {
			r := newRig(t, nil)
			h := r.handler // through the Recorder r.rec
			if direct {
				h = hub.New(r.opener, r.dev, &hub.Options{Logger: slog.New(slog.DiscardHandler)})
			}
			if _, ok := h.(hub.Halter); !ok {
				t.Fatal("the handler is not a Halter")
			}
			srv, url, done := startServer(t, h, nil)
			r.url = url
			r.command(t, "light", `{"on":true}`)
			r.command(t, "fan", `{"speed":3}`)
			if l, f, _ := r.pins(); l != gpio.High || f != gpio.High {
				t.Fatalf("pins %v %v", l, f)
			}
			if err := srv.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := <-done; !errors.Is(err, http.ErrServerClosed) {
				t.Errorf("Serve returned %v", err)
			}
			if l, f, _ := r.pins(); l != gpio.Low || f != gpio.Low {
				t.Errorf("after Shutdown: light %v fan %v, want Low Low", l, f)
			}
			wantHalts := 1
			if direct {
				wantHalts = 0 // the recorder is not in the way
			}
			if r.rec.Halts() != wantHalts {
				t.Errorf("%d recorder halts, want %d", r.rec.Halts(), wantHalts)
			}
			if _, err := http.Get(url + hub.HealthPath); err == nil {
				t.Error("the server still answers after Shutdown")
			}
		})
	}
}

// TestShutdownWaits: Shutdown lets a command in progress finish, then
// halts; with a deadline, it stops waiting and still halts.
func TestShutdownWaits(t *testing.T) {
	for _, deadline := range []bool{false, true} {
		devKey, owner := testKey(t, "device"), testKey(t, "owner")
		opener := &command.Opener{Device: devKey, Owners: command.StaticOwners(owner.PublicKey())}
		b := &blocking{entered: make(chan string, 1), release: make(chan struct{})}
		halter := &devicetest.Recorder{}
		srv, url, _ := startServer(t, hub.New(opener, b, nil), &hub.ServerOptions{Halter: halter})
		env, err := command.Seal(nil, owner, devKey.PublicKey(), command.Command{Name: "long"}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		type result struct {
			status int
			err    error
		}
		got := make(chan result, 1)
		go func() {
			resp, err := http.Post(url+hub.CommandsPath, "application/octet-stream", strings.NewReader(string(env)))
			if err != nil {
				got <- result{0, err}
				return
			}
			resp.Body.Close()
			got <- result{resp.StatusCode, nil}
		}()
		<-b.entered

		ctx, cancel := context.Background(), context.CancelFunc(func() {})
		if deadline {
			ctx, cancel = context.WithTimeout(ctx, 100*time.Millisecond)
		}
		shut := make(chan error, 1)
		go func() { shut <- srv.Shutdown(ctx) }()
		if !deadline {
			select {
			case err := <-shut:
				t.Fatalf("Shutdown returned (%v) with a command in progress", err)
			case <-time.After(100 * time.Millisecond):
			}
			if halter.Halts() != 0 {
				t.Fatal("halted before the command finished")
			}
			close(b.release)
			if r := <-got; r.err != nil || r.status != http.StatusOK {
				t.Errorf("command in progress: %d %v", r.status, r.err)
			}
			if err := <-shut; err != nil {
				t.Errorf("Shutdown: %v", err)
			}
		} else {
			if err := <-shut; !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Shutdown past its deadline: %v", err)
			}
			if r := <-got; r.err == nil {
				t.Errorf("command cut off by Shutdown got %d", r.status)
			}
		}
		cancel()
		if halter.Halts() != 1 {
			t.Errorf("deadline %v: %d halts, want 1", deadline, halter.Halts())
		}
	}
}

// TestMaxConns: over the bound, a connection waits while every one is
// busy, and gets in as soon as one goes idle: the idle one is closed.
func TestMaxConns(t *testing.T) {
	r := newRig(t, nil)
	_, url, _ := startServer(t, r.handler, &hub.ServerOptions{MaxConns: 1})
	addr := strings.TrimPrefix(url, "http://")

	// The first connection is busy: its request has headers and half a
	// body.
	first, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	body := []byte("0123456789")
	fmt.Fprintf(first, "POST %s HTTP/1.1\r\nHost: hub\r\nContent-Length: %d\r\n\r\n%s", hub.CommandsPath, len(body), body[:5])

	second, err := net.Dial("tcp", addr) // the kernel accepts; the server does not serve it
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	fmt.Fprintf(second, "GET %s HTTP/1.1\r\nHost: hub\r\n\r\n", hub.HealthPath)
	second.SetReadDeadline(time.Now().Add(150 * time.Millisecond))
	sr := bufio.NewReader(second)
	if _, err := sr.ReadByte(); err == nil {
		t.Fatal("a second connection was served while the first is busy")
	}

	// The first request ends (refused) and its connection goes idle: the
	// server closes it to serve the second.
	first.Write(body[5:])
	first.SetReadDeadline(time.Now().Add(5 * time.Second))
	fr := bufio.NewReader(first)
	resp, err := http.ReadResponse(fr, nil)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("first: %v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	second.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err = http.ReadResponse(bufio.NewReader(second), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("second, after the first went idle: %v %v", resp, err)
	}
	if _, err := fr.ReadByte(); err != io.EOF {
		t.Errorf("the idle first connection: %v, want EOF (closed)", err)
	}
}

// TestSlowClientHoldsNoSlot: a client still sending its body holds no
// in-flight slot, so with a limit of one, others are served meanwhile.
func TestSlowClientHoldsNoSlot(t *testing.T) {
	r := newRig(t, &hub.Options{MaxInFlight: 1, MaxWait: -1})
	_, url, _ := startServer(t, r.handler, nil)
	env := r.seal(t, r.owner, "light", `{"on":true}`)
	slow, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	// Headers and half the body, then nothing.
	fmt.Fprintf(slow, "POST %s HTTP/1.1\r\nHost: hub\r\nContent-Length: %d\r\n\r\n", hub.CommandsPath, len(env))
	slow.Write(env[:len(env)/2])
	// Let the server read what came.
	req, _ := http.NewRequest(http.MethodGet, url+hub.HealthPath, nil)
	do(t, nil, req)

	r.url = url
	for _, s := range []string{`{"speed":1}`, `{"speed":2}`} {
		if rep := r.command(t, "fan", s); !rep.OK {
			t.Fatalf("fan %s: %s", s, rep.Error)
		}
	}
	// The slow client finishes at last, and is served too.
	slow.Write(env[len(env)/2:])
	slow.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(slow), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("slow client: %v %v", resp, err)
	}
	if l, _, _ := r.pins(); l != gpio.High {
		t.Error("the slow client's command did not run")
	}
}

func TestServerCloseAndListen(t *testing.T) {
	halter := &devicetest.Recorder{}
	h := hub.HandlerFunc(func(context.Context, *command.Request) (any, error) { return nil, nil })
	opener := &command.Opener{Device: testKey(t, "device"), Owners: command.StaticOwners()}
	srv := hub.NewServer(hub.New(opener, h, nil), "256.0.0.1:1", &hub.ServerOptions{Halter: halter})
	if err := srv.ListenAndServe(); err == nil || errors.Is(err, http.ErrServerClosed) {
		t.Errorf("ListenAndServe on a bad address: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if halter.Halts() != 1 {
		t.Errorf("Close: %d halts, want 1", halter.Halts())
	}
	halter.HaltErr = errors.New("relay stuck")
	if err := srv.Shutdown(context.Background()); !errors.Is(err, halter.HaltErr) {
		t.Errorf("Shutdown with a failing Halt: %v", err)
	}
}
