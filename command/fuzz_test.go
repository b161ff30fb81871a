package command

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/nemiot/nemiot/command/internal/format"
	"github.com/nemiot/nemiot/nem"
)

// fuzzKeys are the keys of testdata/js-envelopes.json, so that its
// envelopes seed the fuzzers as valid inputs.
type fuzzKeys struct {
	device *nem.PrivateKey
	owners []*nem.PrivateKey
	base   time.Time // the date of the first vector
	vecs   [][]byte  // the vector envelopes
}

func loadFuzzKeys(f *testing.F) *fuzzKeys {
	f.Helper()
	v := loadJSVectors(f)
	k := &fuzzKeys{base: time.UnixMilli(v.Cases[0].TimeMs)}
	parse := func(s string) *nem.PrivateKey {
		p, err := nem.ParsePrivateKey(s)
		if err != nil {
			f.Fatal(err)
		}
		return p
	}
	k.device = parse(v.Device.PrivateKey)
	for _, o := range v.Owners {
		k.owners = append(k.owners, parse(o.PrivateKey))
	}
	for _, c := range v.Cases {
		env, err := hex.DecodeString(c.Envelope)
		if err != nil {
			f.Fatal(err)
		}
		k.vecs = append(k.vecs, env)
	}
	return k
}

// opener returns a fresh Opener for the vectors' device and owners, its
// clock 5 s after the first vector.
func (k *fuzzKeys) opener(window time.Duration) *Opener {
	var pubs []nem.PublicKey
	for _, o := range k.owners {
		pubs = append(pubs, o.PublicKey())
	}
	now := k.base.Add(5 * time.Second)
	return &Opener{Device: k.device, Owners: StaticOwners(pubs...), Window: window,
		Clock: func() time.Time { return now }, NotBefore: now.Add(-24 * time.Hour)}
}

// requireCorpus fails unless testdata/fuzz/name holds seed files.
func requireCorpus(f *testing.F, name string) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", name, "*"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no committed seed corpus for %s: %v", name, err)
	}
}

// checkRefusal fails unless err is nil or one of the package's typed
// refusals, opaque to the network and free of the device's secret.
func checkRefusal(t *testing.T, err error, secret string) {
	t.Helper()
	if err == nil {
		return
	}
	if !isKnownRefusal(err) || Opaque(err) != ErrRefused {
		t.Fatalf("untyped error %T: %v", err, err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatal("error text holds a private key")
	}
}

// FuzzOpenEnvelope feeds raw bytes to Opener.Open. Invariants: no panic;
// every error is a typed refusal; an accepted envelope is a command whose
// second opening is a replay. (That whatever parses re-encodes byte for
// byte is format's FuzzParse, seeded with this corpus.)
func FuzzOpenEnvelope(f *testing.F) {
	k := loadFuzzKeys(f)
	requireCorpus(f, "FuzzOpenEnvelope")
	for _, env := range k.vecs {
		f.Add(env)
	}
	dev := k.device.PublicKey()
	gcm, _ := Seal(detRand("fuzz gcm"), k.owners[0], dev, Command{Name: "light", Args: json.RawMessage(`{"on":true}`)}, k.base)
	cbc, _ := SealCBC(detRand("fuzz cbc"), k.owners[1], dev, Command{Name: "fan", Args: json.RawMessage(`2`)}, k.base)
	f.Add(gcm)
	f.Add(cbc)
	f.Add([]byte{})
	f.Add([]byte{1, 3, 2})
	secret := k.device.Hex()
	f.Fuzz(func(t *testing.T, env []byte) {
		e, perr := parseEnvelope(env)
		o := k.opener(time.Hour)
		req, err := o.Open(ctx, env)
		checkRefusal(t, err, secret)
		if err != nil {
			return
		}
		if perr != nil || e.Kind == KindReply || req.Command.Name == "" || !bytes.Equal(req.Nonce[:], env[format.OffNonce:format.OffNonce+NonceSize]) {
			t.Fatalf("accepted %x as %+v (parse error %v)", env, req, perr)
		}
		if _, err := o.Open(ctx, env); !isKnownRefusal(err) || !isReason(err, ErrReplay) {
			t.Fatalf("second opening: %v", err)
		}
	})
}

func isReason(err, reason error) bool {
	re, ok := err.(*RefusedError)
	return ok && re.Reason == reason
}

// FuzzOpen seals an arbitrary plaintext body, of any kind and suite and at
// any date, into an envelope the owner really signed, so that the fuzzer
// reaches the checks after the signature: window, decryption, JSON.
// Invariants: no panic; typed refusals only; an accepted envelope is a
// command whose body is a JSON object with a non-empty "cmd", and its
// reply (echoing its args) opens, or fails with ErrInvalidCommand for args
// that are not UTF-8.
func FuzzOpen(f *testing.F) {
	k := loadFuzzKeys(f)
	requireCorpus(f, "FuzzOpen")
	f.Add(KindCommand, SuiteGCM, int64(0), []byte(`{"cmd":"light","args":{"on":true},"pad":"00"}`))
	f.Add(KindCommand, SuiteCBC, int64(-29_000), []byte(`{"cmd":"x"}`))
	f.Add(KindCosigned, SuiteGCM, int64(1000), []byte(`{"cmd":"unlock","args":null,"pad":"ab"}`))
	f.Add(KindReply, SuiteCBC, int64(0), []byte(`{"re":"00","ok":true}`))
	f.Add(KindCommand, SuiteGCM, int64(31_000), []byte(`{"cmd":""}`))
	f.Add(KindCommand, SuiteGCM, int64(0), []byte("\xff\xfe"))
	dev := k.device.PublicKey()
	secret := k.device.Hex()
	sender, cosigner := k.owners[0], k.owners[1]
	sk, err := sender.SharedKey(dev)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, kind, suite byte, dt int64, body []byte) {
		if suite != SuiteCBC {
			suite = SuiteGCM
		}
		if !format.KnownKind(kind) {
			kind = KindCommand
		}
		o := k.opener(0)
		ms := uint64(o.Clock().UnixMilli() + dt)
		nonce := [NonceSize]byte{byte(dt), kind, suite}
		env, err := build(detRand("fuzz open"), sender, sk, dev, kind, suite, ms, &nonce, body)
		if err != nil {
			t.Fatal(err)
		}
		if kind == KindCosigned {
			// build leaves the count at 0: add one real cosignature.
			e, err := parse(env, true)
			if err != nil {
				t.Fatal(err)
			}
			sig := cosigner.Sign(e.SignedMessage())
			pub := cosigner.PublicKey()
			env[len(env)-1] = 1
			env = append(append(env, pub[:]...), sig[:]...)
		}
		req, err := o.Open(ctx, env)
		checkRefusal(t, err, secret)
		if err != nil {
			return
		}
		var b map[string]json.RawMessage
		var name string
		if kind == KindReply || json.Unmarshal(body, &b) != nil || json.Unmarshal(b["cmd"], &name) != nil || name == "" || name != req.Command.Name {
			t.Fatalf("accepted kind %d body %q as %+v", kind, body, req.Command)
		}
		rep, err := req.Reply(detRand("fuzz reply"), req.Command.Args, nil)
		if err != nil {
			// Args keep the bytes the sender wrote, invalid UTF-8 in a
			// string included (the readers take it as U+FFFD); a reply
			// whose result is not UTF-8 is not sent.
			if errors.Is(err, ErrInvalidCommand) && !utf8.Valid(req.Command.Args) {
				return
			}
			t.Fatal(err)
		}
		got, err := OpenReply(sender, dev, env, rep, o.Clock())
		if err != nil || !got.OK {
			t.Fatalf("reply to an accepted command: %+v, %v", got, err)
		}
	})
}

// FuzzOpenReply feeds OpenReply raw reply bytes, and arbitrary plaintext
// bodies sealed into replies the device really signed, checked against a
// command the app sent. Invariants: no panic; typed refusals only; an
// accepted reply's body is a JSON object whose "re"
// is the sent nonce and whose "ok" is a boolean; a Sender answers every
// input exactly as OpenReply does. (What the body readers accept is
// format's FuzzParseBody, against encoding/json.)
func FuzzOpenReply(f *testing.F) {
	k := loadFuzzKeys(f)
	requireCorpus(f, "FuzzOpenReply")
	app, dev := k.owners[0], k.device.PublicKey()
	now := k.base
	sent, err := Seal(detRand("fuzz sent"), app, dev, Command{Name: "status"}, now)
	if err != nil {
		f.Fatal(err)
	}
	req, err := k.opener(0).Open(ctx, sent)
	if err != nil {
		f.Fatal(err)
	}
	re := hex.EncodeToString(sent[format.OffNonce : format.OffNonce+NonceSize])
	for i, res := range []any{map[string]int{"fan": 2}, nil} {
		rep, err := req.Reply(detRand("fuzz reply"), res, nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(rep, []byte(`{"re":"`+re+`","ok":true,"result":`+strconv.Itoa(i)+`,"pad":"00"}`))
	}
	f.Add([]byte{1, 2, 2}, []byte(`{"re":"`+re+`","ok":false,"error":"no"}`))
	f.Add([]byte{}, []byte(`{"re":"`+re+`"}`))
	f.Add(sent, []byte(`{"re":"zz","ok":true}`))
	secret := app.Hex()
	sk, err := k.device.SharedKey(app.PublicKey())
	if err != nil {
		f.Fatal(err)
	}
	snd, err := NewSender(app, dev)
	if err != nil {
		f.Fatal(err)
	}
	// openReply is OpenReply, checked against the Sender's answer.
	openReply := func(t *testing.T, reply []byte) (*Reply, error) {
		r, err := OpenReply(app, dev, sent, reply, now)
		sr, serr := snd.OpenReply(sent, reply, now)
		if !reflect.DeepEqual(r, sr) || fmt.Sprint(err) != fmt.Sprint(serr) {
			t.Fatalf("OpenReply gives %+v, %v; Sender.OpenReply %+v, %v", r, err, sr, serr)
		}
		return r, err
	}
	f.Fuzz(func(t *testing.T, reply, body []byte) {
		_, err := openReply(t, reply)
		checkRefusal(t, err, secret)

		nonce := [NonceSize]byte{9}
		for _, suite := range []byte{SuiteGCM, SuiteCBC} {
			signed, err := build(detRand("fuzz body"), k.device, sk, app.PublicKey(), KindReply, suite, uint64(now.UnixMilli()), &nonce, body)
			if err != nil {
				t.Fatal(err)
			}
			r, err := openReply(t, signed)
			checkRefusal(t, err, secret)
			if err != nil {
				continue
			}
			var b struct {
				Re string `json:"re"`
				OK *bool  `json:"ok"`
			}
			if json.Unmarshal(body, &b) != nil || !strings.EqualFold(b.Re, re) || b.OK == nil || *b.OK != r.OK {
				t.Fatalf("accepted reply body %q as %+v", body, r)
			}
		}
	})
}
