package mqtt_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/hub"
	"github.com/nemiot/nemiot/mqtt"
	"github.com/nemiot/nemiot/mqtt/mqtttest"
	"github.com/nemiot/nemiot/nem"
)

// TestRoundTrip: an owner's commands reach a device through mosquitto
// and come back as verified replies, ok and not ok; the device subscribed
// before it said it was online.
func TestRoundTrip(t *testing.T) {
	b := mqtttest.Start(t, nil)
	r := newRig(t, "roundtrip")
	d := r.startDevice(t, fast(b.URL), nil)
	app := dial(t, fast(b.URL), r.owner, nil)

	p, err := app.Presence(context.Background(), r.dev.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	if want := (mqtt.Presence{Online: true, PublicKey: r.dev.PublicKey().String(), Address: r.dev.PublicKey().Address(nem.Testnet).String(), Network: "testnet"}); *p != want {
		t.Errorf("presence %+v, want %+v", *p, want)
	}
	for _, name := range []string{"light", "fan", "status"} {
		send(t, app, r.dev.PublicKey(), name)
	}
	rep, err := app.Send(context.Background(), r.dev.PublicKey(), command.Command{Name: "fail"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.Error != "the fan is jammed" {
		t.Errorf("fail: ok=%v %q", rep.OK, rep.Error)
	}
	if st := d.Stats(); st.Replied != 4 || st.Refused != 0 || st.Connects != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestTLSAndCredentials: the device reaches the broker over TLS with the
// test CA (and a client certificate), and with a username and password
// from the environment on a listener that wants them; without them it is
// refused.
func TestTLSAndCredentials(t *testing.T) {
	b := mqtttest.Start(t, nil)
	r := newRig(t, "tls")

	tlsCfg, err := mqtt.LoadTLS(b.CAFile, b.ClientCertFile, b.ClientKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := fast(b.TLSURL)
	cfg.TLS = tlsCfg
	r.startDevice(t, cfg, nil)
	send(t, dial(t, cfg, r.owner, nil), r.dev.PublicKey(), "over-tls")

	// The system roots do not know the test CA.
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, err := mqtt.Dial(ctx, fast(b.TLSURL), r.owner, nil); err == nil {
		t.Error("TLS without the test CA connected")
	}

	t.Setenv(mqtt.EnvUsername, b.Username)
	t.Setenv(mqtt.EnvPassword, b.Password)
	auth := fast(b.AuthURL)
	auth.Credentials = mqtt.CredentialsFromEnv()
	send(t, dial(t, auth, r.owner, nil), r.dev.PublicKey(), "with-password")
	if s := fmt.Sprintf("%v %+v %#v %v %+v", auth.Credentials, auth.Credentials, auth.Credentials, auth, auth); strings.Contains(s, b.Password) {
		t.Errorf("credentials print the password: %s", s)
	}

	ctx2, cancel2 := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel2()
	if _, err := mqtt.Dial(ctx2, fast(b.AuthURL), r.owner, nil); err == nil {
		t.Error("connected without credentials to a listener that wants them")
	}
}

// TestRefusedIsSilence: an envelope the device refuses (a stranger's, a
// replay) gets no message at all on any reply topic; the app's Send times
// out with the presence that tells it the device was there.
func TestRefusedIsSilence(t *testing.T) {
	b := mqtttest.Start(t, nil)
	r := newRig(t, "silence")
	var logs bytes.Buffer
	var logMu sync.Mutex
	cfg := fast(b.URL)
	cfg.Logger = slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logs}, nil))
	d := r.startDevice(t, cfg, nil)

	// A spy on every reply topic of the device.
	watcher := newWatcher(t, b.URL, mqtt.DefaultPrefix+"/"+r.dev.PublicKey().String()+"/replies/#")

	stranger := dial(t, fast(b.URL), testKey(t, "stranger"), &mqtt.ClientOptions{Timeout: 300 * time.Millisecond})
	_, err := stranger.Send(context.Background(), r.dev.PublicKey(), command.Command{Name: "light"})
	var nr *mqtt.NoReplyError
	if !errors.As(err, &nr) || !errors.Is(err, mqtt.ErrNoReply) {
		t.Fatalf("stranger: %v, want a NoReplyError", err)
	}
	if nr.Presence == nil || !nr.Presence.Online || !strings.Contains(err.Error(), "no reply within 300ms; the device refused it or is offline") {
		t.Errorf("stranger: %v (presence %+v)", err, nr.Presence)
	}
	if n := r.h.count(); n != 0 {
		t.Errorf("the handler ran %d times for a stranger", n)
	}
	// The owner's command is answered: the watcher sees exactly one reply.
	app := dial(t, fast(b.URL), r.owner, nil)
	send(t, app, r.dev.PublicKey(), "light")
	if got := watcher.wait(t, 1); got != 1 || watcher.count() != 1 {
		t.Errorf("%d messages on the reply topics, want only the owner's reply", got)
	}
	if st := d.Stats(); st.Refused != 1 || st.Replied != 1 {
		t.Errorf("stats %+v", st)
	}
	logMu.Lock()
	if !strings.Contains(logs.String(), "not an owner") {
		t.Errorf("the refusal's reason is not in the device's log:\n%s", logs.String())
	}
	logMu.Unlock()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestHTTPAndMQTTShareOneReplayCache: one Opener serves HTTP and MQTT at
// once; an envelope the hub took over HTTP is a replay over MQTT, and is
// met with silence.
func TestHTTPAndMQTTShareOneReplayCache(t *testing.T) {
	b := mqtttest.Start(t, nil)
	r := newRig(t, "shared")
	r.startDevice(t, fast(b.URL), nil)
	srv := httptest.NewServer(hub.New(r.opener, r.h, nil))
	defer srv.Close()

	env, err := command.Seal(nil, r.owner, r.dev.PublicKey(), command.Command{Name: "light"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(srv.URL+hub.CommandsPath, "application/octet-stream", bytes.NewReader(env))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP: %s", resp.Status)
	}
	watcher := newWatcher(t, b.URL, mqtt.DefaultPrefix+"/"+r.dev.PublicKey().String()+"/replies/#")
	pub := newWatcher(t, b.URL, "unused/#")
	pub.publish(t, mqtt.CommandsTopic("", r.dev.PublicKey()), env)
	// Then a fresh command over MQTT: its reply is the only one.
	send(t, dial(t, fast(b.URL), r.owner, nil), r.dev.PublicKey(), "fan")
	if got := watcher.wait(t, 1); got != 1 {
		t.Errorf("%d replies over MQTT, want 1 (the replayed envelope gets none)", got)
	}
	if n := r.h.count(); n != 2 || r.h.twice() != 0 {
		t.Errorf("handler ran %d times (%d twice), want 2", n, r.h.twice())
	}
}

// TestShutdown: Shutdown publishes offline, halts the handler, and the app
// then sees the device offline; a device cut off without a word is marked
// offline by its last will.
func TestShutdown(t *testing.T) {
	b := mqtttest.Start(t, nil)
	r := newRig(t, "shutdown")
	d := r.startDevice(t, fast(b.URL), nil)
	app := dial(t, fast(b.URL), r.owner, nil)
	if err := d.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r.h.halts != 1 {
		t.Errorf("halted %d times, want 1", r.h.halts)
	}
	if err := d.Shutdown(context.Background()); !errors.Is(err, mqtt.ErrClosed) {
		t.Errorf("second Shutdown: %v, want ErrClosed", err)
	}
	p, err := app.Presence(context.Background(), r.dev.PublicKey())
	if err != nil || p.Online {
		t.Fatalf("presence after Shutdown: %+v, %v", p, err)
	}

	// The last will: a device whose connection dies.
	r2 := newRig(t, "will")
	proxy := mqtttest.NewProxy(t, strings.TrimPrefix(b.URL, "tcp://"))
	r2.startDevice(t, fast(proxy.URL()), nil)
	if p, err := app.Presence(context.Background(), r2.dev.PublicKey()); err != nil || !p.Online {
		t.Fatalf("presence: %+v, %v", p, err)
	}
	proxy.Down()
	w := newWatcher(t, b.URL, mqtt.StatusTopic("", r2.dev.PublicKey()))
	if !w.until(t, func(m []byte) bool { return bytes.Contains(m, []byte(`"online":false`)) }) {
		t.Fatal("no offline presence after the connection died")
	}
}
