// Package mqtttest runs a real MQTT broker for tests: Eclipse Mosquitto,
// started on free loopback ports with a generated configuration, as
// net/http/httptest runs an HTTP server and nistest a NEM network. It also
// has [Proxy], a loopback TCP relay that misbehaves on demand (down, cut,
// cut in the middle of a packet), to put between a client and the broker.
//
// # Where to start
//
// Call [Start] in a test; it returns a [*Broker] with a plain listener
// ([Broker.URL]), a TLS listener whose certificate a CA made in the test
// signed ([Broker.TLSURL], [Broker.CAFile], [Broker.ClientTLS]) and a
// listener that wants a username and password ([Broker.AuthURL],
// [Broker.Username], [Broker.Password]). The broker stops when the test
// ends; [Broker.Restart] restarts it on the same ports.
//
// Mosquitto 2.x must be installed (Debian: apt-get install -y mosquitto).
// Without it Start skips the test with one line that says so, unless the
// environment has CI=true: there a missing broker fails the test.
package mqtttest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// InstallHint is the command that installs the broker the tests need.
const InstallHint = "apt-get install -y mosquitto"

// Options configures [Start]; nil means the defaults.
type Options struct {
	// Persistence keeps sessions, subscriptions and queued messages across
	// a Restart (mosquitto's persistence, written when it stops).
	Persistence bool
	// MaxQueued is how many QoS 1 messages the broker queues per client
	// (mosquitto's max_queued_messages); 0 means 20,000.
	MaxQueued int
}

// Broker is a running mosquitto. Its fields are set by Start.
type Broker struct {
	// URL is the plain listener, tcp://127.0.0.1:PORT (anonymous).
	URL string
	// TLSURL is the TLS listener, ssl://127.0.0.1:PORT (anonymous; a
	// client certificate is asked for but not required).
	TLSURL string
	// AuthURL is a plain listener that wants Username and Password.
	AuthURL string
	// Username and Password are the only credentials AuthURL takes.
	Username, Password string
	// CAFile is the PEM file of the test CA that signed the broker's
	// certificate (for the broker's name 127.0.0.1).
	CAFile string
	// ClientCertFile and ClientKeyFile are a client certificate the test
	// CA signed, and its key.
	ClientCertFile, ClientKeyFile string

	t       testing.TB
	bin     string
	dir     string
	conf    string
	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	ports   [3]int
	caPool  *x509.CertPool
	logFile string
}

// Binary returns the mosquitto executable's path, or "" if it is not
// installed (Debian puts it in /usr/sbin, often not on a user's PATH).
func Binary() string {
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto", "/opt/homebrew/sbin/mosquitto"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// Start starts a broker for t and stops it when t ends. It skips t if
// mosquitto is not installed, or fails it when CI=true.
func Start(t testing.TB, opts *Options) *Broker {
	t.Helper()
	bin := Binary()
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mqtttest: mosquitto not found (CI=true needs it): %s", InstallHint)
		}
		t.Skipf("mqtttest: mosquitto not found; install it with: %s", InstallHint)
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MaxQueued <= 0 {
		o.MaxQueued = 20000
	}
	b := &Broker{t: t, bin: bin, dir: t.TempDir(), Username: "device", Password: "test-" + randHex(8)}
	b.writeCerts()
	if err := os.WriteFile(filepath.Join(b.dir, "passwd"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	passwd := filepath.Join(b.dir, "passwd")
	pw, err := exec.LookPath("mosquitto_passwd")
	if err != nil {
		pw = "/usr/bin/mosquitto_passwd"
	}
	if out, err := exec.Command(pw, "-b", passwd, b.Username, b.Password).CombinedOutput(); err != nil {
		t.Fatalf("mqtttest: mosquitto_passwd: %v: %s", err, out)
	}
	for i := range b.ports {
		b.ports[i] = freePort(t)
	}
	b.URL = "tcp://127.0.0.1:" + strconv.Itoa(b.ports[0])
	b.TLSURL = "ssl://127.0.0.1:" + strconv.Itoa(b.ports[1])
	b.AuthURL = "tcp://127.0.0.1:" + strconv.Itoa(b.ports[2])
	b.logFile = filepath.Join(b.dir, "mosquitto.log")
	var conf bytes.Buffer
	fmt.Fprintf(&conf, "per_listener_settings true\n")
	if u, err := user.Current(); err == nil && os.Geteuid() == 0 {
		// Run as root, mosquitto would switch to the user "mosquitto",
		// who cannot read the test's files.
		fmt.Fprintf(&conf, "user %s\n", u.Username)
	}
	fmt.Fprintf(&conf, "persistence %v\npersistence_location %s/\n", o.Persistence, b.dir)
	fmt.Fprintf(&conf, "max_queued_messages %d\nmax_inflight_messages 100\n", o.MaxQueued)
	// Without it the broker waits on Nagle and delayed ACKs: 40 ms a message.
	fmt.Fprintf(&conf, "set_tcp_nodelay true\n")
	fmt.Fprintf(&conf, "log_dest file %s\nlog_type error\nlog_type warning\nlog_type notice\n", b.logFile)
	fmt.Fprintf(&conf, "\nlistener %d 127.0.0.1\nallow_anonymous true\n", b.ports[0])
	fmt.Fprintf(&conf, "\nlistener %d 127.0.0.1\nallow_anonymous true\ncafile %s\ncertfile %s\nkeyfile %s\nrequire_certificate false\n",
		b.ports[1], b.CAFile, filepath.Join(b.dir, "server.pem"), filepath.Join(b.dir, "server.key"))
	fmt.Fprintf(&conf, "\nlistener %d 127.0.0.1\nallow_anonymous false\npassword_file %s\n", b.ports[2], passwd)
	b.conf = filepath.Join(b.dir, "mosquitto.conf")
	if err := os.WriteFile(b.conf, conf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	b.start()
	t.Cleanup(b.Stop)
	return b
}

// start runs mosquitto and waits until every listener accepts.
func (b *Broker) start() {
	b.t.Helper()
	cmd := exec.Command(b.bin, "-c", b.conf)
	cmd.Dir = b.dir
	// Leave the broker alone when the test is interrupted: Stop ends it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		b.t.Fatalf("mqtttest: starting mosquitto: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	b.mu.Lock()
	b.cmd, b.exited = cmd, exited
	b.mu.Unlock()
	deadline := time.Now().Add(15 * time.Second)
	for _, p := range b.ports {
		for {
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(p), time.Second)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-exited:
				log, _ := os.ReadFile(b.logFile)
				b.t.Fatalf("mqtttest: mosquitto exited: %s", log)
			case <-time.After(10 * time.Millisecond): // waiting on another process's listener
			}
			if time.Now().After(deadline) {
				b.t.Fatalf("mqtttest: mosquitto did not listen on port %d", p)
			}
		}
	}
}

// Stop stops the broker (SIGTERM; it writes its persistence file if it
// keeps one) and waits for it to exit. Stopping a stopped broker does
// nothing.
func (b *Broker) Stop() {
	b.mu.Lock()
	cmd, exited := b.cmd, b.exited
	b.cmd = nil
	b.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-exited
	}
}

// Restart stops the broker and starts it again on the same ports: clients
// lose their connections; with Options.Persistence their sessions survive.
func (b *Broker) Restart() {
	b.t.Helper()
	b.Stop()
	b.start()
}

// Log returns what the broker logged so far (errors, warnings, notices).
func (b *Broker) Log() string {
	out, _ := os.ReadFile(b.logFile)
	return string(out)
}

// ClientTLS returns a TLS configuration that trusts the test CA, for
// TLSURL.
func (b *Broker) ClientTLS() *tls.Config {
	return &tls.Config{RootCAs: b.caPool, MinVersion: tls.VersionTLS12}
}

// writeCerts makes the test CA, the broker's certificate and a client
// certificate, as PEM files in the broker's directory.
func (b *Broker) writeCerts() {
	t := b.t
	t.Helper()
	caKey := newKey(t)
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mqtttest CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	b.caPool = x509.NewCertPool()
	b.caPool.AddCert(ca)
	b.CAFile = filepath.Join(b.dir, "ca.pem")
	writePEM(t, b.CAFile, "CERTIFICATE", caDER)

	issue := func(name string, serial int64, server bool) {
		key := newKey(t)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: name},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}
		if server {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
			tmpl.DNSNames = []string{"localhost"}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		writePEM(t, filepath.Join(b.dir, name+".pem"), "CERTIFICATE", der)
		writePEM(t, filepath.Join(b.dir, name+".key"), "EC PRIVATE KEY", keyDER)
	}
	issue("server", 2, true)
	issue("client", 3, false)
	b.ClientCertFile = filepath.Join(b.dir, "client.pem")
	b.ClientKeyFile = filepath.Join(b.dir, "client.key")
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return fmt.Sprintf("%x", b)
}
