// Package leaktest checks that a secret-holding type never shows its secret
// in text: under every fmt verb, as a value, a pointer or inside containers,
// wrapped by fmt.Errorf, logged by log/slog, or encoded by encoding/json.
//
// [Check] prints a key every way it knows, then swaps the key's secret for
// another in place (same addresses) and prints it again: any output that
// changes shows the secret, in whatever encoding. It also searches the
// output for the secret bytes in hex (both cases), decimal byte lists, Go
// syntax and raw form.
package leaktest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// Rendering is one text form of the value under test.
type Rendering struct {
	How string // how it was made, e.g. `Sprintf("%+x", []T{v})`
	Out string
	// Methods is true where fmt or slog hand the value itself to its own
	// Format, GoString or LogValue method, so the output is exactly the
	// type's redacted placeholder.
	Methods bool
}

// Verbs are the format verbs tried: every ASCII letter, including those fmt
// reports as bad verbs.
const Verbs = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// flags are the flag, width and precision sets tried with every verb.
var flags = []string{"", "+", "#", "-", " ", "0", "+#", "12", "-12.5", "#012", ".40", "[1]"}

type container struct {
	name    string
	v       any
	methods bool // fmt hands v's own methods the whole value
}

// containers puts *p and p inside everything a program might print.
func containers[T any](p *T) []container {
	v := *p
	type nested struct{ inner struct{ v T } }
	cs := []container{
		{"v", v, true},
		{"&v", p, true},
		{"reflect.ValueOf(v)", reflect.ValueOf(v), true},
		{"[]T{v}", []T{v}, false},
		{"[]*T{p}", []*T{p}, false},
		{"[1]T{v}", [1]T{v}, false},
		{"map[string]T", map[string]T{"k": v}, false},
		{"map[string]*T", map[string]*T{"k": p}, false},
		{"struct{V T}", struct{ V T }{v}, false},
		{"struct{v T}", struct{ v T }{v}, false},
		{"struct{V *T}", struct{ V *T }{p}, false},
		{"struct{v *T}", struct{ v *T }{p}, false},
		{"struct{V any}", struct{ V any }{v}, false},
		{"struct{v any}", struct{ v any }{v}, false},
		{"nested", nested{struct{ v T }{v}}, false},
		{"[]any{v, &v}", []any{v, p}, false},
	}
	if t := reflect.TypeFor[T](); t.Comparable() {
		m := reflect.MakeMap(reflect.MapOf(t, reflect.TypeFor[int]()))
		m.SetMapIndex(reflect.ValueOf(v), reflect.ValueOf(1))
		cs = append(cs, container{"map[T]int", m.Interface(), false})
	}
	return cs
}

// render returns every text form of *p, and of *p in the containers cs,
// that [Check] compares. The containers are made once, so that what fmt
// prints for their own addresses (%p on a slice or map) stays the same.
func render[T any](p *T, cs []container) []Rendering {
	var out []Rendering
	for _, c := range cs {
		for _, verb := range Verbs {
			for _, f := range flags {
				format := "%" + f + string(verb)
				out = append(out, Rendering{
					How:     fmt.Sprintf("Sprintf(%q, %s)", format, c.name),
					Out:     fmt.Sprintf(format, c.v),
					Methods: c.methods && !strings.ContainsRune("pwT", verb),
				})
			}
		}
		for _, format := range []string{"%v", "%w", "%+v", "%#v", "%p", "%s"} {
			out = append(out, Rendering{
				How:     fmt.Sprintf("Errorf(%q, %s)", format, c.name),
				Out:     fmt.Errorf(format, c.v).Error(),
				Methods: c.methods && !strings.ContainsAny(format, "pw"),
			})
		}
		out = append(out,
			Rendering{"Sprint(" + c.name + ")", fmt.Sprint(c.v), c.methods},
			Rendering{"Sprintln(" + c.name + ")", strings.TrimSuffix(fmt.Sprintln(c.v), "\n"), c.methods},
			Rendering{"Errorf(wrapped %v, " + c.name + ")", fmt.Errorf("outer: %w", fmt.Errorf("inner %v", c.v)).Error(), false},
		)
		if b, err := json.Marshal(c.v); err == nil {
			out = append(out, Rendering{"json.Marshal(" + c.name + ")", string(b), false})
		}
	}
	for _, h := range []struct {
		name string
		new  func(*bytes.Buffer) slog.Handler
	}{
		{"JSON", func(b *bytes.Buffer) slog.Handler {
			return slog.NewJSONHandler(b, &slog.HandlerOptions{ReplaceAttr: noTime})
		}},
		{"text", func(b *bytes.Buffer) slog.Handler {
			return slog.NewTextHandler(b, &slog.HandlerOptions{ReplaceAttr: noTime})
		}},
	} {
		var args []any
		for i, c := range cs {
			args = append(args, "a"+strconv.Itoa(i), c.v)
			var b bytes.Buffer
			slog.New(h.new(&b)).Info("m", "k", c.v)
			out = append(out, Rendering{"slog " + h.name + " " + c.name, b.String(), false})
		}
		var b bytes.Buffer
		slog.New(h.new(&b)).With("with", *p).WithGroup("g").Info("all", append(args, slog.Group("grp", "v", *p, "p", p))...)
		out = append(out, Rendering{"slog " + h.name + " every container", b.String(), false})
	}
	return out
}

// noTime drops the time attribute, so that two runs log the same text.
func noTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// Forms returns text that a printed secret would contain: each aligned
// 4-byte piece of it in lower- and upper-case hex, as a decimal byte list
// (fmt's %v, and JSON's), in Go syntax (%#v) and raw. Any 7 leaked
// consecutive bytes hold at least one such piece.
func Forms(secret []byte) []string {
	var out []string
	for i := 0; i+4 <= len(secret); i += 4 {
		w := secret[i : i+4]
		dec := make([]string, 4)
		goHex := make([]string, 4)
		for j, b := range w {
			dec[j] = strconv.Itoa(int(b))
			goHex[j] = fmt.Sprintf("%#02x", b)
		}
		out = append(out,
			hex.EncodeToString(w), strings.ToUpper(hex.EncodeToString(w)),
			strings.Join(dec, " "), strings.Join(dec, ","), strings.Join(goHex, ", "),
			string(w),
		)
	}
	return out
}

// Check fails t if any text form of *p shows the secret, or if a form made
// by the type's own methods is not exactly placeholder. swap must exchange
// the secret material *p refers to with other material of the same kind,
// in place, so that addresses stay the same; Check calls it twice (to swap
// and to swap back). secrets are the byte strings that must not appear.
func Check[T any](t testing.TB, p *T, placeholder string, swap func(), secrets ...[]byte) {
	t.Helper()
	cs := containers(p)
	before := render(p, cs)
	swap()
	after := render(p, cs)
	swap()
	if len(before) != len(after) {
		t.Fatalf("leaktest: %d renderings before the swap, %d after", len(before), len(after))
	}
	var forms []string
	for _, s := range secrets {
		forms = append(forms, Forms(s)...)
	}
	failures, methods := 0, 0
	for i, r := range before {
		bad := ""
		if r.Methods {
			methods++
			if r.Out != placeholder {
				bad = fmt.Sprintf("is %q, want %q", r.Out, placeholder)
			}
		}
		if r.Out != after[i].Out {
			bad = fmt.Sprintf("changes with the secret: %q then %q", r.Out, after[i].Out)
		}
		for _, f := range forms {
			if strings.Contains(r.Out, f) {
				bad = fmt.Sprintf("contains secret bytes as %q: %q", f, r.Out)
				break
			}
		}
		if bad != "" {
			t.Errorf("%s %s", r.How, bad)
			if failures++; failures == 20 {
				t.Fatalf("leaktest: stopping after %d leaks (of %d renderings)", failures, len(before))
			}
		}
	}
	if methods < 100 {
		t.Errorf("leaktest: only %d renderings went through the type's own methods", methods)
	}
}
