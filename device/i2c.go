package device

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"

	"periph.io/x/conn/v3"
)

// I2CReadOpts configures an [I2CRead]. Zero fields take the value from
// [DefaultI2CReadOpts].
type I2CReadOpts struct {
	// MaxLen bounds the bytes one command may read; at most 1024.
	MaxLen int
	// Regs, when not nil, lists the only registers a command may read, and
	// makes "reg" mandatory. Use it for chips where a read has side effects
	// (clear-on-read status registers, FIFOs).
	Regs []byte
}

// DefaultI2CReadOpts is used when NewI2CRead is passed nil: up to 32 bytes
// from any register.
var DefaultI2CReadOpts = I2CReadOpts{MaxLen: 32}

// I2CRead reads bytes from a device on a bus, typically a sensor register.
// Its args are {"reg": 0..255, "n": 1..MaxLen}: it writes reg, then reads n
// bytes in one transaction; without "reg" it only reads. Its result is
// {"reg": reg, "n": n, "hex": "0a1b…"} and its state {"conn": name,
// "last": the last result or null}. It has no outputs, so Halt does nothing.
type I2CRead struct {
	c      conn.Conn
	maxLen int
	regs   []byte
	last   map[string]any
}

var _ Action = (*I2CRead)(nil)

// NewI2CRead returns an I2CRead on c, typically an *i2c.Dev
// (&i2c.Dev{Bus: bus, Addr: 0x40}). opts may be nil.
func NewI2CRead(c conn.Conn, opts *I2CReadOpts) (*I2CRead, error) {
	if c == nil {
		return nil, configErr("i2c: nil conn")
	}
	o := DefaultI2CReadOpts
	if opts != nil {
		if opts.MaxLen < 0 || opts.MaxLen > 1024 {
			return nil, configErr("i2c: MaxLen %d not in 1..1024", opts.MaxLen)
		}
		if opts.MaxLen != 0 {
			o.MaxLen = opts.MaxLen
		}
		o.Regs = slices.Clone(opts.Regs)
	}
	return &I2CRead{c: c, maxLen: o.MaxLen, regs: o.Regs}, nil
}

// String returns the conn's name.
func (r *I2CRead) String() string { return r.c.String() }

// Halt does nothing: a read has no outputs.
func (r *I2CRead) Halt() error { return nil }

// Do reads per args {"reg": 0..255, "n": 1..MaxLen}.
func (r *I2CRead) Do(ctx context.Context, raw json.RawMessage) (any, error) {
	a, err := parseArgs(raw)
	if err != nil {
		return nil, err
	}
	if err := a.only("reg", "n"); err != nil {
		return nil, err
	}
	n, err := a.integer("n", 1, int64(r.maxLen))
	if err != nil {
		return nil, err
	}
	var w []byte
	res := map[string]any{"n": n}
	if a.has("reg") || r.regs != nil {
		reg, err := a.integer("reg", 0, 255)
		if err != nil {
			return nil, err
		}
		if r.regs != nil && !slices.Contains(r.regs, byte(reg)) {
			return nil, badArgs("register %d is not readable", reg)
		}
		w = []byte{byte(reg)}
		res["reg"] = reg
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	buf := make([]byte, n)
	if err := r.c.Tx(w, buf); err != nil {
		return nil, &PinError{Pin: r.c.String(), Op: "tx", Err: err}
	}
	res["hex"] = hex.EncodeToString(buf)
	r.last = res
	return maps.Clone(res), nil
}

// State returns {"conn": name, "last": the last result or null}.
func (r *I2CRead) State() any {
	var last any
	if r.last != nil {
		last = maps.Clone(r.last)
	}
	return map[string]any{"conn": r.c.String(), "last": last}
}
