package zfec

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

func TestNewErrors(t *testing.T) {
	for _, tc := range []struct {
		k, n int
		ok   bool
	}{
		{1, 1, true},
		{3, 10, true},
		{256, 256, true},
		{1, 256, true},
		{0, 1, false},
		{-1, 3, false},
		{0, 0, false},
		{4, 3, false},
		{2, 257, false},
		{257, 257, false},
	} {
		c, err := New(tc.k, tc.n)
		if tc.ok {
			if err != nil || c.K() != tc.k || c.N() != tc.n {
				t.Errorf("New(%d, %d) = %v, %v", tc.k, tc.n, c, err)
			}
			continue
		}
		if !errors.Is(err, ErrInvalid) || c != nil {
			t.Errorf("New(%d, %d) = %v, %v; want ErrInvalid", tc.k, tc.n, c, err)
		}
	}
}

// blocks returns n random blocks of size bytes, the first k encoded.
func blocks(t testing.TB, c *Code, size int, rng *rand.Rand) [][]byte {
	all := make([][]byte, c.N())
	for i := range all {
		all[i] = make([]byte, size)
		if i < c.K() {
			for j := range all[i] {
				all[i][j] = byte(rng.Uint32())
			}
		}
	}
	c.Encode(all[:c.K()], all[c.K():])
	return all
}

func TestDecodeErrors(t *testing.T) {
	c, err := New(3, 5)
	if err != nil {
		t.Fatal(err)
	}
	all := blocks(t, c, 10, rand.New(rand.NewPCG(1, 2)))
	short := all[4][:9]
	for _, tc := range []struct {
		name   string
		blocks [][]byte
		nums   []int
		want   string
	}{
		{"too few blocks", all[:2], []int{0, 1}, "2 blocks and 2 block numbers"},
		{"too many blocks", all[:4], []int{0, 1, 2, 3}, "4 blocks"},
		{"fewer numbers than blocks", all[:3], []int{0, 1}, "3 blocks and 2 block numbers"},
		{"duplicate primary", all[:3], []int{0, 1, 1}, "block number 1 given twice"},
		{"duplicate check", [][]byte{all[3], all[3], all[4]}, []int{3, 3, 4}, "block number 3 given twice"},
		{"number too big", all[:3], []int{0, 1, 5}, "block number 5 out of range 0..4"},
		{"negative number", all[:3], []int{0, -1, 2}, "block number -1 out of range"},
		{"lengths differ", [][]byte{all[0], all[1], short}, []int{0, 1, 4}, "block 4 is 9 bytes, block 0 is 10"},
		{"nil blocks", nil, nil, "0 blocks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.Decode(tc.blocks, tc.nums)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Decode = %v, %v; want ErrInvalid saying %q", got, err, tc.want)
			}
		})
	}
}

func TestEncodePanics(t *testing.T) {
	c, err := New(2, 4)
	if err != nil {
		t.Fatal(err)
	}
	b := func(n int) []byte { return make([]byte, n) }
	for _, tc := range []struct {
		name     string
		src, dst [][]byte
		want     string
	}{
		{"one source", [][]byte{b(4)}, [][]byte{b(4), b(4)}, "1 source and 2 check blocks"},
		{"three checks", [][]byte{b(4), b(4)}, [][]byte{b(4), b(4), b(4)}, "2 source and 3 check blocks"},
		{"source lengths", [][]byte{b(4), b(5)}, [][]byte{b(4), b(4)}, "source block 1 is 5 bytes"},
		{"check length", [][]byte{b(4), b(4)}, [][]byte{b(4), b(3)}, "check block 1 is 3 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r, _ := recover().(string)
				if !strings.Contains(r, tc.want) {
					t.Fatalf("panic %q, want one saying %q", r, tc.want)
				}
			}()
			c.Encode(tc.src, tc.dst)
		})
	}
}

// TestDecodeRandom decodes random codes from random subsets in random
// order, with sizes around the chunk boundaries of combine.
func TestDecodeRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	sizes := []int{0, 1, 5, 8, chunkBytes - 1, chunkBytes, chunkBytes + 1, 2*chunkBytes + 13}
	for range 60 {
		n := 1 + rng.IntN(40)
		k := 1 + rng.IntN(n)
		c, err := New(k, n)
		if err != nil {
			t.Fatal(err)
		}
		size := sizes[rng.IntN(len(sizes))]
		all := blocks(t, c, size, rng)
		nums := rng.Perm(n)[:k]
		checkDecode(t, c, all, nums)
	}
}

// TestDecodeKeepsInputs checks that Decode leaves its inputs alone and
// returns the primary blocks it was given as they are.
func TestDecodeKeepsInputs(t *testing.T) {
	c, err := New(3, 7)
	if err != nil {
		t.Fatal(err)
	}
	all := blocks(t, c, 100, rand.New(rand.NewPCG(5, 6)))
	in := [][]byte{all[6], all[1], all[4]}
	saved := [][]byte{bytes.Clone(all[6]), bytes.Clone(all[1]), bytes.Clone(all[4])}
	got, err := c.Decode(in, []int{6, 1, 4})
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if !bytes.Equal(in[i], saved[i]) {
			t.Fatalf("input %d changed", i)
		}
	}
	if &got[1][0] != &all[1][0] {
		t.Error("primary block 1 was copied, want the input returned")
	}
	if !bytes.Equal(got[0], all[0]) || !bytes.Equal(got[2], all[2]) {
		t.Error("recovered primary blocks differ")
	}
}

func TestEncodeDoesNotAllocate(t *testing.T) {
	c, err := New(3, 10)
	if err != nil {
		t.Fatal(err)
	}
	all := blocks(t, c, 43691, rand.New(rand.NewPCG(7, 8)))
	if n := testing.AllocsPerRun(20, func() { c.Encode(all[:3], all[3:]) }); n != 0 {
		t.Errorf("Encode allocates %v times per call", n)
	}
}

// TestEncodeConcurrent encodes with one Code from several goroutines (run
// it with -race) and checks every result against a serial encoding.
func TestEncodeConcurrent(t *testing.T) {
	c, err := New(3, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := blocks(t, c, 5000, rand.New(rand.NewPCG(9, 10)))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			dst := make([][]byte, 7)
			for j := range dst {
				dst[j] = make([]byte, 5000)
			}
			for range 20 {
				c.Encode(want[:3], dst)
				for j := range dst {
					if !bytes.Equal(dst[j], want[3+j]) {
						t.Errorf("concurrent Encode: block %d differs", 3+j)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}
