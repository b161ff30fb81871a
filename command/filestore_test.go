package command

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestFileStoreRestart: a device restarted with the same FileStore refuses
// what it accepted before and accepts what it never saw, also when dated
// before the restart.
func TestFileStoreRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "replay")
	f := newFixture(t)
	a := f.seal(t, Command{Name: "a"}, t0.Add(-10*time.Second))
	b := f.seal(t, Command{Name: "b"}, t0.Add(-5*time.Second))
	unseen := f.seal(t, Command{Name: "c"}, t0.Add(-20*time.Second))

	run := func(at time.Time, check func(o *Opener)) {
		t.Helper()
		st, err := OpenFileStore(path)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		o := &Opener{Device: f.device, Owners: f.opener.Owners, Clock: newClock(at).Now, Replay: st}
		check(o)
	}
	run(t0, func(o *Opener) {
		for _, env := range [][]byte{a, b} {
			if _, err := o.Open(ctx, env); err != nil {
				t.Fatal(err)
			}
		}
	})
	run(t0.Add(time.Second), func(o *Opener) {
		for _, env := range [][]byte{a, b} {
			_, err := o.Open(ctx, env)
			wantRefused(t, err, ErrReplay)
		}
		if _, err := o.Open(ctx, unseen); err != nil {
			t.Fatalf("unseen envelope dated before the restart: %v", err)
		}
	})
	// a expires at t0+20 s; b and unseen (t0+25 s, t0+10 s) differ.
	run(t0.Add(21*time.Second), func(o *Opener) {
		_, err := o.Open(ctx, b)
		wantRefused(t, err, ErrReplay)
		if n := o.st.Load().replay.Len(); n != 1 {
			t.Errorf("loaded %d live entries, want 1 (b)", n)
		}
	})
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != int64(len(fileMagic)+recordSize) {
		t.Errorf("file is %d bytes after Load dropped expired entries", fi.Size())
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v", fi.Mode().Perm())
	}
}

func TestFileStoreDamage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "replay")
	st, err := OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	exp := t0.Add(time.Minute)
	for i := range byte(3) {
		if err := st.Save(ctx, ReplayEntry{Nonce: [16]byte{i}, Expires: exp}, t0); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	if err := st.Save(ctx, ReplayEntry{}, t0); err == nil {
		t.Error("Save after Close succeeded")
	}
	data, _ := os.ReadFile(path)
	data[len(fileMagic)+recordSize+20] ^= 1            // corrupt record 1
	data = append(data, make([]byte, recordSize-7)...) // a torn record
	os.WriteFile(path, data, 0o600)

	st, err = OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.Load(ctx, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Nonce[0] != 0 || got[1].Nonce[0] != 2 || !got[1].Expires.Equal(exp) {
		t.Fatalf("loaded %+v, want records 0 and 2", got)
	}
	if got, _ := st.Load(ctx, exp.Add(time.Millisecond)); len(got) != 0 {
		t.Fatalf("expired entries loaded: %d", len(got))
	}
	st.Close()

	foreign := filepath.Join(dir, "notes.txt")
	os.WriteFile(foreign, []byte("shopping list: milk"), 0o600)
	if _, err := OpenFileStore(foreign); err == nil {
		t.Fatal("opened a file that is not a replay store")
	}
	if b, _ := os.ReadFile(foreign); string(b) != "shopping list: milk" {
		t.Fatal("a foreign file was overwritten")
	}
	if _, err := OpenFileStore(filepath.Join(dir, "no", "such", "dir")); err == nil {
		t.Fatal("no error for a missing directory")
	}
}

// TestFileStoreAfterTornTail: records saved after a crash left a torn
// record at the end of the file are read back on the next start (they used
// to start mid-record and fail their checksum, losing replay protection).
func TestFileStoreAfterTornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "replay")
	exp := t0.Add(time.Minute)
	save := func(from, to byte) {
		t.Helper()
		st, err := OpenFileStore(path)
		if err != nil {
			t.Fatal(err)
		}
		for i := from; i < to; i++ {
			if err := st.Save(ctx, ReplayEntry{Nonce: [16]byte{i}, Expires: exp}, t0); err != nil {
				t.Fatal(err)
			}
		}
		st.Close()
	}
	save(0, 2)
	for _, torn := range []int{1, 7, recordSize - 1} {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(bytes.Repeat([]byte{0xa5}, torn)) // a crash in the middle of Save
		f.Close()
		save(byte(torn), byte(torn)+2)
	}
	st, err := OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.Load(ctx, t0)
	if err != nil {
		t.Fatal(err)
	}
	var nonces []byte
	for _, e := range got {
		nonces = append(nonces, e.Nonce[0])
	}
	if want := []byte{0, 1, 1, 2, 7, 8, recordSize - 1, recordSize}; !bytes.Equal(nonces, want) {
		t.Fatalf("loaded nonces %v, want %v", nonces, want)
	}
}

func TestFileStoreCompaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "replay")
	st, err := OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.compactAt = 8
	// Entries i expire at t0+i s; at save i the time is t0+i s, so about
	// half the file is expired whenever it is checked.
	for i := range 40 {
		now := t0.Add(time.Duration(i) * time.Second)
		e := ReplayEntry{Nonce: [16]byte{byte(i)}, Expires: now.Add(time.Duration(i) * time.Second)}
		if err := st.Save(ctx, e, now); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(path)
	n := (len(data) - len(fileMagic)) / recordSize
	if n >= 40 || n < 20 {
		t.Fatalf("file holds %d records after 40 saves, want it compacted to the live ones", n)
	}
	got, err := st.Load(ctx, t0.Add(39*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for i := 20; i < 40; i++ {
		found := false
		for _, e := range got {
			found = found || e.Nonce[0] == byte(i)
		}
		if !found {
			t.Errorf("live entry %d lost in compaction", i)
		}
	}
	if !bytes.HasPrefix(data, []byte(fileMagic)) {
		t.Error("compacted file lost its magic")
	}
}

func TestFileStoreContext(t *testing.T) {
	st, err := OpenFileStore(filepath.Join(t.TempDir(), "replay"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, cancel := contextWithCancel()
	cancel()
	if _, err := st.Load(c, t0); !errors.Is(err, errCanceled) {
		t.Errorf("Load with a canceled context: %v", err)
	}
	if err := st.Save(c, ReplayEntry{}, t0); !errors.Is(err, errCanceled) {
		t.Errorf("Save with a canceled context: %v", err)
	}
}

// TestFileStoreExpiriesTrackFile: the expiries the store keeps in memory
// are those of the intact records in its file, in order, after Open, each
// Save (compacting or not) and Load, also with a damaged record in the file.
func TestFileStoreExpiriesTrackFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "replay")
	st, err := OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string) {
		t.Helper()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var want []int64
		forRecords(data[len(fileMagic):], func(rec []byte) { want = append(want, recordExpiry(rec)) })
		if !slices.Equal(st.expiries, want) {
			t.Fatalf("%s: expiries %v, file %v", what, st.expiries, want)
		}
	}
	save := func(i int, now time.Time) {
		t.Helper()
		e := ReplayEntry{Nonce: [16]byte{byte(i)}, Expires: t0.Add(time.Duration(i) * time.Second)}
		if err := st.Save(ctx, e, now); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 6 {
		save(i, t0)
	}
	st.Close()
	// Damage record 2 and tear a record onto the end.
	data, _ := os.ReadFile(path)
	data[len(fileMagic)+2*recordSize+5] ^= 1
	data = append(data, make([]byte, recordSize/2)...)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if st, err = OpenFileStore(path); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if len(st.expiries) != 5 {
		t.Fatalf("opened with %d expiries, want 5", len(st.expiries))
	}
	check("after Open")
	live, err := st.Load(ctx, t0.Add(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	check("after Load")
	// Entry 3 expires at now, so it is still live; 0 and 1 are expired, 2 damaged.
	if len(live) != 3 || live[0].Nonce[0] != 3 || live[1].Nonce[0] != 4 || live[2].Nonce[0] != 5 {
		t.Fatalf("Load = %v, want entries 3, 4 and 5", live)
	}
	st.compactAt = 8
	for i := 6; i < 30; i++ {
		save(i, t0.Add(time.Duration(i)*time.Second))
		check(fmt.Sprintf("after save %d", i))
	}
}
