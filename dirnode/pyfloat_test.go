package dirnode

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"testing"
)

// TestPyFloatRepr compares with repr(float) in Python on the doubles of
// testdata/floats.json (testdata/genfloat.py).
func TestPyFloatRepr(t *testing.T) {
	b, err := os.ReadFile("testdata/floats.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases [][2]string
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 3000 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		bits, err := hex.DecodeString(c[0])
		if err != nil {
			t.Fatal(err)
		}
		f := math.Float64frombits(binary.BigEndian.Uint64(bits))
		if got := pyFloatRepr(f); got != c[1] {
			t.Errorf("pyFloatRepr(%v) = %q, Python says %q", f, got, c[1])
		}
	}
}
