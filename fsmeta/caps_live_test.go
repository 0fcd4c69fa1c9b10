package fsmeta

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// randomCaps returns a capSet a file can hold: the effective set is empty
// or exactly permitted|inheritable.
func randomCaps(r *rand.Rand) capSet {
	var s capSet
	density := r.IntN(4) // 0 sparse .. 3 dense
	bits := capNamedBits
	if r.IntN(8) == 0 {
		bits = capMaxBits
	}
	for n := range bits {
		if r.IntN(4) > density {
			continue
		}
		switch r.IntN(3) {
		case 0:
			s.perm |= 1 << n
		case 1:
			s.inh |= 1 << n
		default:
			s.perm |= 1 << n
			s.inh |= 1 << n
		}
	}
	if r.IntN(2) == 0 {
		s.eff = s.perm | s.inh
	}
	if r.IntN(10) == 0 {
		s.rootID = uint32(1 + r.IntN(70000))
	}
	return s
}

func fixedCaps() []capSet {
	all := capAllNamed
	return []capSet{
		{perm: all, inh: all, eff: all},
		{perm: all, eff: all},
		{inh: all},
		{perm: all &^ 1},
		{perm: all, inh: all &^ (1 << 25)},
		{perm: all, inh: 1 << 13, eff: all},
		{perm: 1<<12 | 1<<13, eff: 1<<12 | 1<<13},
		{perm: 1 << 40, inh: 1 << 39},
		{perm: 1<<63 | 1<<41, inh: 1 << 41},
		{},
		{perm: 1 << 13, eff: 1 << 13, rootID: 1000},
	}
}

// TestCapsAgainstGetcap writes capability xattrs and compares DecodeCaps
// with what `getcap -n` prints for them, then checks that setcap, given
// that text, writes the bytes EncodeCaps makes.
func TestCapsAgainstGetcap(t *testing.T) {
	needRootTools(t, "getcap", "setcap")
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	sets := fixedCaps()
	for range 300 {
		sets = append(sets, randomCaps(r))
	}
	files := make([]string, len(sets))
	for i, s := range sets {
		b, err := s.xattr()
		if err != nil {
			t.Fatalf("%+v: %v", s, err)
		}
		files[i] = filepath.Join(dir, fmt.Sprintf("f%03d", i))
		touch(t, files[i])
		if err := unix.Setxattr(files[i], capXattr, b, 0); err != nil {
			t.Fatalf("setxattr %x: %v", b, err)
		}
	}
	out := run(t, "getcap", append([]string{"-n"}, files...)...)
	got := map[string]string{}
	for line := range strings.Lines(out) {
		name, text, _ := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		got[name] = text
	}
	if len(got) != len(sets) {
		t.Fatalf("getcap printed %d lines for %d files:\n%s", len(got), len(sets), out)
	}
	var golden strings.Builder
	for i, s := range sets {
		fmt.Fprintf(&golden, "%x\t%s\n", mustXattr(t, files[i]), got[files[i]])
		text, err := DecodeCaps(mustXattr(t, files[i]))
		if err != nil || text != got[files[i]] {
			t.Errorf("set %+v: DecodeCaps = %q, %v; getcap -n = %q", s, text, err, got[files[i]])
		}
		checkSetcap(t, files[i], got[files[i]])
	}
	if *update {
		if err := os.WriteFile(getcapGolden, []byte(golden.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkSetcap runs setcap with text on file and compares the xattr it
// writes with EncodeCaps(text).
func checkSetcap(t *testing.T, file, text string) {
	t.Helper()
	want, err := EncodeCaps(text)
	if err != nil {
		t.Errorf("EncodeCaps(%q): %v", text, err)
		return
	}
	capText, rootID, _ := splitRootID(text)
	args := []string{strings.TrimSpace(capText), file}
	if rootID != 0 {
		args = append([]string{"-n", fmt.Sprint(rootID)}, args...)
	}
	run(t, "setcap", args...)
	if got := mustXattr(t, file); !bytes.Equal(got, want) {
		t.Errorf("setcap %q wrote %x; EncodeCaps gives %x", text, got, want)
	}
}

func mustXattr(t *testing.T, path string) []byte {
	t.Helper()
	v, ok, err := entryAt{dirfd: unix.AT_FDCWD, name: path}.getXattr(capXattr)
	if err != nil || !ok {
		t.Fatalf("get %s of %s: %v (present %v)", capXattr, path, err, ok)
	}
	return v
}

func touch(t *testing.T, path string) {
	t.Helper()
	fd, err := unix.Open(path, unix.O_CREAT|unix.O_WRONLY|unix.O_EXCL, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
}
