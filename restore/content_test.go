package restore

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/treeformat"
)

func TestCopySparse(t *testing.T) {
	data := make([]byte, 3<<20+100) // zeros, a few data blocks, a zero tail
	copy(data[5000:], "middle")
	copy(data[2<<20:], "later")
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var progress int64
	n, err := copySparse(f, bytes.NewReader(data), func(k int64) { progress += k })
	if err != nil || n != int64(len(data)) || progress != n {
		t.Fatalf("copySparse: %d bytes (progress %d), %v", n, progress, err)
	}
	got, err := os.ReadFile(f.Name())
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("content differs (%d bytes, %v)", len(got), err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	if st.Blocks*512 > 64<<10 {
		t.Errorf("%d bytes allocated: holes were written", st.Blocks*512)
	}
}

// TestCopyHoles: the recorded holes stay holes, zeros outside them are
// written (the source had them allocated), and bytes that are not zero
// inside a recorded hole are written all the same (content wins).
func TestCopyHoles(t *testing.T) {
	const mib = 1 << 20
	data := make([]byte, 8*mib+100)
	copy(data, bytes.Repeat([]byte("a"), mib))                                                         // data
	copy(data[6*mib:], "stray")                                                                        // inside the second hole
	holes := []treeformat.Hole{{Off: mib, Len: 4 * mib}, {Off: 5*mib + 4096, Len: 3*mib - 4096 + 100}} // [5 MiB, +4 KiB) is zeros, allocated
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := copyHoles(f, iotest.HalfReader(bytes.NewReader(data)), holes, func(int64) {})
	if err != nil || n != int64(len(data)) {
		t.Fatalf("copyHoles: %d bytes, %v", n, err)
	}
	got, err := os.ReadFile(f.Name())
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("content differs (%d bytes, %v)", len(got), err)
	}
	fd := int(f.Fd())
	for _, tc := range []struct {
		at   int64
		data bool
	}{{0, true}, {mib, false}, {3 * mib, false}, {5 * mib, true}, {5*mib + 4096, false}, {6 * mib, true}, {7 * mib, false}} {
		next, err := unix.Seek(fd, tc.at, unix.SEEK_DATA)
		if isData := err == nil && next == tc.at; isData != tc.data {
			t.Errorf("offset %d: data %v (next data at %d, %v), want %v", tc.at, isData, next, err, tc.data)
		}
	}
}

func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{
		"a": true, "..a": true, "a..": true, ".hidden": true, "bad\xff": true, " ": true,
		"": false, ".": false, "..": false, "a/b": false, "/": false, "a\x00": false,
	} {
		if got := checkName(name) == nil; got != ok {
			t.Errorf("checkName(%q) ok=%v, want %v", name, got, ok)
		}
	}
}
