//go:build js && wasm

package main

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"syscall/js"
	"time"
)

func main() {
	api := map[string]any{
		"version":   runtime.Version(),
		"session":   js.FuncOf(jsSession),
		"unlock":    js.FuncOf(jsUnlock),
		"keptOwner": js.FuncOf(jsKeptOwner),
		"address":   js.FuncOf(jsAddress),
	}
	js.Global().Set("nemiot", js.ValueOf(api))
	select {} // serve the page's calls until it closes
}

// fail is the page's view of an error: {error, code}.
func fail(err error) any {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Code: CodeUsage, Err: err}
	}
	return map[string]any{"error": e.Error(), "code": string(e.Code)}
}

func str(args []js.Value, i int) string {
	if i >= len(args) || args[i].Type() != js.TypeString {
		return ""
	}
	return args[i].String()
}

// bytesArg copies the Uint8Array args[i] into Go memory.
func bytesArg(args []js.Value, i int) ([]byte, bool) {
	if i >= len(args) || !args[i].InstanceOf(js.Global().Get("Uint8Array")) {
		return nil, false
	}
	b := make([]byte, args[i].Length())
	js.CopyBytesToGo(b, args[i])
	return b, true
}

// options reads the test-only opts object args[i]: rand bytes, now (Unix
// ms) and iterations (PBKDF2, for keep).
func options(args []js.Value, i int) (rand io.Reader, now time.Time, iter int) {
	now, iter = time.Now(), KeepIterations
	if i >= len(args) || args[i].Type() != js.TypeObject {
		return nil, now, iter
	}
	o := args[i]
	if r := o.Get("rand"); r.Truthy() {
		if b, ok := bytesArg([]js.Value{r}, 0); ok {
			rand = bytes.NewReader(b)
		}
	}
	if n := o.Get("now"); n.Type() == js.TypeNumber {
		now = time.UnixMilli(int64(n.Float()))
	}
	if n := o.Get("iterations"); n.Type() == js.TypeNumber {
		iter = n.Int()
	}
	return rand, now, iter
}

func jsAddress(_ js.Value, args []js.Value) any {
	a, err := address(str(args, 0), str(args, 1))
	if err != nil {
		return fail(err)
	}
	return a
}

func jsKeptOwner(_ js.Value, args []js.Value) any {
	p, err := keptOwner(str(args, 0))
	if err != nil {
		return fail(err)
	}
	return p.String()
}

func jsSession(_ js.Value, args []js.Value) any {
	s, err := newSession(str(args, 0), str(args, 1))
	if err != nil {
		return fail(err)
	}
	return sessionObject(s)
}

func jsUnlock(_ js.Value, args []js.Value) any {
	s, err := unlock(str(args, 0), str(args, 1), str(args, 2))
	if err != nil {
		return fail(err)
	}
	return sessionObject(s)
}

// sessionObject is the page's handle on s: methods, and the owner's
// public key. It holds no key material.
func sessionObject(s *session) js.Value {
	var funcs []js.Func
	fn := func(f func([]js.Value) any) js.Func {
		jf := js.FuncOf(func(_ js.Value, args []js.Value) any { return f(args) })
		funcs = append(funcs, jf)
		return jf
	}
	obj := map[string]any{
		"owner": s.owner.String(),
		"address": fn(func(args []js.Value) any {
			a, err := address(s.owner.String(), str(args, 0))
			if err != nil {
				return fail(err)
			}
			return a
		}),
		"device": fn(func(args []js.Value) any {
			if err := s.setDevice(str(args, 0)); err != nil {
				return fail(err)
			}
			return map[string]any{}
		}),
		"seal": fn(func(args []js.Value) any {
			rand, now, _ := options(args, 2)
			env, err := s.seal(rand, str(args, 0), str(args, 1), now)
			if err != nil {
				return fail(err)
			}
			out := js.Global().Get("Uint8Array").New(len(env))
			js.CopyBytesToJS(out, env)
			return map[string]any{"envelope": out}
		}),
		"open": fn(func(args []js.Value) any {
			sent, ok1 := bytesArg(args, 0)
			reply, ok2 := bytesArg(args, 1)
			if !ok1 || !ok2 {
				return fail(errorf(CodeUsage, "open(sent, reply): both must be Uint8Arrays"))
			}
			_, now, _ := options(args, 2)
			r, err := s.open(sent, reply, now)
			if err != nil {
				return fail(err)
			}
			return map[string]any{
				"verified": true,
				"ok":       r.OK,
				"result":   string(r.Result),
				"message":  r.Error,
				"time":     r.Time.UnixMilli(),
			}
		}),
		"keep": fn(func(args []js.Value) any {
			rand, _, iter := options(args, 1)
			kept, err := s.keep(rand, str(args, 0), iter)
			if err != nil {
				return fail(err)
			}
			return map[string]any{"kept": kept}
		}),
	}
	obj["close"] = fn(func([]js.Value) any {
		*s = session{}
		for _, f := range funcs {
			f.Release()
		}
		return nil
	})
	return js.ValueOf(obj)
}
