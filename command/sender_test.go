package command

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nemiot/nemiot/command/internal/format"
	"github.com/nemiot/nemiot/nem"
)

func newSender(t testing.TB, f *fixture) *Sender {
	t.Helper()
	s, err := NewSender(f.owner, f.device.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSenderSealIdentical: given the same randomness, a Sender's envelopes
// are byte for byte the functions', in both suites, and the device opens
// them.
func TestSenderSealIdentical(t *testing.T) {
	f := newFixture(t)
	s := newSender(t, f)
	dev := f.device.PublicKey()
	cmds := []Command{
		{Name: "x"},
		{Name: "light", Args: json.RawMessage(`{"on":true,"level":80}`)},
		{Name: "héllo 🌍", Args: json.RawMessage(`["a",1,null]`)},
	}
	for _, tc := range []struct {
		name   string
		fn     func(*fixture, string, Command) ([]byte, error)
		method func(string, Command) ([]byte, error)
	}{
		{"GCM",
			func(f *fixture, seed string, c Command) ([]byte, error) {
				return Seal(detRand(seed), f.owner, dev, c, t0)
			},
			func(seed string, c Command) ([]byte, error) { return s.Seal(detRand(seed), c, t0) }},
		{"CBC",
			func(f *fixture, seed string, c Command) ([]byte, error) {
				return SealCBC(detRand(seed), f.owner, dev, c, t0)
			},
			func(seed string, c Command) ([]byte, error) { return s.SealCBC(detRand(seed), c, t0) }},
	} {
		for i, cmd := range cmds {
			seed := fmt.Sprint(tc.name, i)
			want, err := tc.fn(f, seed, cmd)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tc.method(seed, cmd)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s %q: Sender's envelope differs:\n got %x\nwant %x", tc.name, cmd.Name, got, want)
			}
			req, err := f.opener.Open(ctx, got)
			if err != nil {
				t.Fatalf("%s %q: %v", tc.name, cmd.Name, err)
			}
			if req.Command.Name != cmd.Name || !bytes.Equal(req.Command.Args, cmd.Args) {
				t.Errorf("%s: device read %+v, want %+v", tc.name, req.Command, cmd)
			}
		}
	}
	// Fresh randomness: two envelopes differ.
	a, _ := s.Seal(nil, cmds[0], t0)
	b, _ := s.Seal(nil, cmds[0], t0)
	if bytes.Equal(a[format.OffNonce:format.OffNonce+NonceSize], b[format.OffNonce:format.OffNonce+NonceSize]) {
		t.Error("two Seal(nil, …) share a nonce")
	}
}

// TestSenderOpenReplyMatches: on good replies and on every refusal the
// function gives, Sender.OpenReply answers alike, reason and text.
func TestSenderOpenReplyMatches(t *testing.T) {
	f := newFixture(t)
	s := newSender(t, f)
	dev := f.device.PublicKey()
	other := testKey(t, "other device")
	for _, suite := range []byte{SuiteGCM, SuiteCBC} {
		env, err := seal(detRand(fmt.Sprint("sent", suite)), f.owner, dev, Command{Name: "x"}, t0, suite)
		if err != nil {
			t.Fatal(err)
		}
		req, err := f.opener.Open(ctx, env)
		if err != nil {
			t.Fatal(err)
		}
		good, err := req.Reply(detRand("reply"), map[string]int{"n": 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		failed, err := req.Reply(detRand("reply2"), nil, errors.New("jammed"))
		if err != nil {
			t.Fatal(err)
		}
		otherEnv, _ := Seal(detRand("other"), f.owner, dev, Command{Name: "y"}, t0)
		forOther, _ := Seal(detRand("other"), f.owner, other.PublicKey(), Command{Name: "y"}, t0)
		cases := []struct {
			name        string
			sent, reply []byte
			now         time.Time
		}{
			{"ok", env, good, t0},
			{"not ok", env, failed, t0},
			{"late", env, good, t0.Add(DefaultWindow + time.Second)},
			{"early", env, good, t0.Add(-DefaultWindow - time.Second)},
			{"another command", otherEnv, good, t0},
			{"sent to another device", forOther, good, t0},
			{"sent is a reply", good, good, t0},
			{"reply is a command", env, env, t0},
			{"empty reply", env, nil, t0},
			{"empty sent", nil, good, t0},
		}
		for i := range good {
			cases = append(cases, struct {
				name        string
				sent, reply []byte
				now         time.Time
			}{fmt.Sprint("flip ", i), env, flipByte(good, i), t0})
		}
		for _, tc := range cases {
			want, wantErr := OpenReply(f.owner, dev, tc.sent, tc.reply, tc.now)
			got, gotErr := s.OpenReply(tc.sent, tc.reply, tc.now)
			if !reflect.DeepEqual(got, want) || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Errorf("suite %d, %s: Sender gives %+v, %v; OpenReply %+v, %v", suite, tc.name, got, gotErr, want, wantErr)
			}
			if wantErr != nil {
				var re *RefusedError
				if !errors.As(gotErr, &re) || !isKnownRefusal(gotErr) {
					t.Errorf("suite %d, %s: %v is not a known refusal", suite, tc.name, gotErr)
				}
			}
		}
		if r, err := s.OpenReply(env, good, t0); err != nil || !r.OK || string(r.Result) != `{"n":1}` {
			t.Errorf("suite %d: %+v, %v", suite, r, err)
		}
	}
}

func flipByte(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x20
	return c
}

func TestNewSenderErrors(t *testing.T) {
	f := newFixture(t)
	if _, err := NewSender(nil, f.device.PublicKey()); !errors.Is(err, ErrInvalidCommand) {
		t.Errorf("no app key: %v", err)
	}
	notPoint, _ := nem.ParsePublicKey("0200000000000000000000000000000000000000000000000000000000000000")
	if _, err := NewSender(f.owner, notPoint); !errors.Is(err, nem.ErrInvalidKey) {
		t.Errorf("device key %s: %v", notPoint, err)
	}
	// The all-zero key is a point of small order: anyone could read the
	// commands and forge the replies (TestWeakDeviceKey has them all).
	if _, err := NewSender(f.owner, nem.PublicKey{}); !errors.Is(err, nem.ErrWeakKey) {
		t.Errorf("all-zero device key: %v", err)
	}
	// A Sender not made by NewSender refuses instead of panicking.
	for _, s := range []*Sender{nil, {}} {
		if _, err := s.Seal(nil, Command{Name: "x"}, t0); !errors.Is(err, ErrInvalidCommand) {
			t.Errorf("%v: Seal: %v", s, err)
		}
		if _, err := s.SealCBC(nil, Command{Name: "x"}, t0); !errors.Is(err, ErrInvalidCommand) {
			t.Errorf("%v: SealCBC: %v", s, err)
		}
		_, err := s.OpenReply(nil, nil, t0)
		wantRefused(t, err, ErrConfig)
		if !s.Device().IsZero() {
			t.Errorf("%v: Device() = %s", s, s.Device())
		}
	}
	s := newSender(t, f)
	if _, err := s.Seal(nil, Command{}, t0); !errors.Is(err, ErrInvalidCommand) {
		t.Errorf("empty name: %v", err)
	}
	if _, err := s.Seal(nil, Command{Name: "x"}, time.UnixMilli(-1)); err == nil {
		t.Error("a date before 1970 sealed")
	}
	if s.Device() != f.device.PublicKey() {
		t.Error("Device() is not the device key")
	}
}

// TestSenderPrintsNoSecret: every fmt verb prints the public description.
func TestSenderPrintsNoSecret(t *testing.T) {
	f := newFixture(t)
	s := newSender(t, f)
	want := "command.Sender(" + f.owner.PublicKey().String() + " to " + f.device.PublicKey().String() + ")"
	secret := hex.EncodeToString(f.owner.Bytes())
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q", "%d"} {
		got := fmt.Sprintf(verb, s)
		if got != want || strings.Contains(got, secret) {
			t.Errorf("%s: %q", verb, got)
		}
	}
	if got := fmt.Sprint((*Sender)(nil)); got != "command.Sender(none)" {
		t.Errorf("nil: %q", got)
	}
}

// TestSenderConcurrent seals and opens replies with one Sender from many
// goroutines.
func TestSenderConcurrent(t *testing.T) {
	f := newFixture(t)
	f.opener.Window = time.Hour
	s := newSender(t, f)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 8 {
				env, err := s.Seal(nil, Command{Name: fmt.Sprint("c", g, i)}, t0)
				if err != nil {
					t.Error(err)
					return
				}
				req, err := f.opener.Open(ctx, env)
				if err != nil {
					t.Error(err)
					return
				}
				rep, err := req.Reply(nil, i, nil)
				if err != nil {
					t.Error(err)
					return
				}
				r, err := s.OpenReply(env, rep, t0)
				if err != nil || string(r.Result) != fmt.Sprint(i) {
					t.Errorf("reply %+v, %v", r, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
