package restore

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
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
