package zfec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/lafs-backup/lafs-backup/internal/needs"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.json from testdata/gen.py")

const goldenPath = "testdata/golden.json"

// golden is testdata/golden.json, written by testdata/gen.py with the
// Python zfec module (see docs/zfec.md).
type golden struct {
	Zfec  string
	Codes []struct {
		K, N   int
		Decode [][]int
		Cases  []struct {
			Size  int
			Check []string
		}
	}
}

func readGolden(t *testing.T) golden {
	t.Helper()
	data, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatalf("%s: %v", goldenPath, err)
	}
	if len(g.Codes) == 0 {
		t.Fatalf("%s has no codes", goldenPath)
	}
	return g
}

// goldenBlock is primary block i of the golden case (k, n, size), the same
// bytes gen.py feeds to Python: SHA-256("zfec-golden k n size i c") for
// c = 0, 1, ... concatenated and cut to size.
func goldenBlock(k, n, size, i int) []byte {
	var out []byte
	for c := 0; len(out) < size; c++ {
		h := sha256.Sum256(fmt.Appendf(nil, "zfec-golden %d %d %d %d %d", k, n, size, i, c))
		out = append(out, h[:]...)
	}
	return out[:size]
}

// show renders a block as gen.py does: hex up to 32 bytes, else its SHA-256.
func show(b []byte) string {
	if len(b) <= 32 {
		return hex.EncodeToString(b)
	}
	h := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(h[:])
}

// TestGolden encodes every golden case and compares each check block with
// Python's, then decodes it from every recorded subset of blocks.
func TestGolden(t *testing.T) {
	g := readGolden(t)
	for _, code := range g.Codes {
		c, err := New(code.K, code.N)
		if err != nil {
			t.Fatalf("New(%d, %d): %v", code.K, code.N, err)
		}
		for _, tc := range code.Cases {
			name := fmt.Sprintf("%d-of-%d/%dB", code.K, code.N, tc.Size)
			t.Run(name, func(t *testing.T) {
				all := goldenEncode(t, c, tc.Size, tc.Check)
				for _, nums := range code.Decode {
					checkDecode(t, c, all, nums)
				}
			})
		}
	}
}

// goldenEncode encodes the golden primary blocks, compares the check blocks
// with want and returns all n blocks.
func goldenEncode(t *testing.T, c *Code, size int, want []string) [][]byte {
	t.Helper()
	k, n := c.K(), c.N()
	if len(want) != n-k {
		t.Fatalf("golden file has %d check blocks, want %d", len(want), n-k)
	}
	all := make([][]byte, n)
	for i := range all {
		if i < k {
			all[i] = goldenBlock(k, n, size, i)
		} else {
			all[i] = bytes.Repeat([]byte{0xa5}, size) // Encode must overwrite
		}
	}
	c.Encode(all[:k], all[k:])
	for j, b := range all[k:] {
		if got := show(b); got != want[j] {
			t.Fatalf("block %d = %s, Python zfec made %s", k+j, got, want[j])
		}
	}
	return all
}

func checkDecode(t *testing.T, c *Code, all [][]byte, nums []int) {
	t.Helper()
	blocks := make([][]byte, len(nums))
	for i, num := range nums {
		blocks[i] = all[num]
	}
	got, err := c.Decode(blocks, nums)
	if err != nil {
		t.Fatalf("Decode(%v): %v", nums, err)
	}
	for p := range c.K() {
		if !bytes.Equal(got[p], all[p]) {
			t.Fatalf("Decode(%v): primary block %d differs", nums, p)
		}
	}
}

// TestGoldenCurrent runs testdata/gen.py with the Tahoe virtualenv's
// Python and checks that the committed golden file is what it prints
// (-update rewrites the file). Without the virtualenv it skips, or fails
// under CI=true.
func TestGoldenCurrent(t *testing.T) {
	python := filepath.Join(testgrid.VenvDir(), "bin", "python")
	if _, err := os.Stat(python); err != nil {
		needs.Unmet(t, "Python zfec: %v (run scripts/tahoe-venv)", err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(python, "testdata/gen.py")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s testdata/gen.py: %v\n%s", python, err, stderr.Bytes())
	}
	if *update {
		if err := os.WriteFile(goldenPath, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	committed, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, committed) {
		var now, then golden
		if json.Unmarshal(out, &now) == nil && json.Unmarshal(committed, &then) == nil && now.Zfec != then.Zfec {
			t.Fatalf("the virtualenv has zfec %s, %s was made with zfec %s: check the outputs still agree, then -update",
				now.Zfec, goldenPath, then.Zfec)
		}
		t.Fatalf("%s is not what testdata/gen.py prints now; run go test ./zfec -run TestGoldenCurrent -update", goldenPath)
	}
}
