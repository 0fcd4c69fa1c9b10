package tahoehash

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// vector is one line of testdata/vectors.json, written by testdata/gen.py
// from Tahoe's own Python.
type vector struct {
	Fn  string   `json:"fn"`
	In  []string `json:"in"`
	Int []int    `json:"int"`
	Out string   `json:"out"`
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	return vs
}

func unhex(t *testing.T, ss []string) [][]byte {
	t.Helper()
	out := make([][]byte, len(ss))
	for i, s := range ss {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

func d(b []byte) Digest     { return Digest(b) }
func k(b []byte) [16]byte   { return [16]byte(b) }
func p20(b []byte) [20]byte { return [20]byte(b) }
func hx(b []byte) string    { return hex.EncodeToString(b) }

// compute evaluates one vector's function with the Go implementation.
func compute(v vector, in [][]byte) (string, error) {
	switch v.Fn {
	case "netstring":
		return hx(Netstring(in[0])), nil
	case "base32":
		return Base32(in[0]), nil
	case "tagged_hash":
		h := TaggedHash(in[0], in[1])
		return hx(h[:]), nil
	case "tagged_hash16":
		h := TaggedHash(in[0], in[1])
		return hx(h[:16]), nil
	case "tagged_pair_hash":
		h := TaggedPairHash(in[0], in[1], in[2])
		return hx(h[:]), nil
	case "block_hash":
		h := BlockHash(in[0])
		return hx(h[:]), nil
	case "ueb_hash":
		h := UEBHash(in[0])
		return hx(h[:]), nil
	case "crypttext_hash":
		return hashed(NewCrypttextHasher(), in[0]), nil
	case "crypttext_segment_hash":
		return hashed(NewCrypttextSegmentHasher(), in[0]), nil
	case "plaintext_hash":
		return hashed(NewPlaintextHasher(), in[0]), nil
	case "plaintext_segment_hash":
		return hashed(NewPlaintextSegmentHasher(), in[0]), nil
	case "storage_index":
		si := StorageIndex(k(in[0]))
		return hx(si[:]), nil
	case "convergence":
		c, err := ConvergenceHasher(v.Int[0], v.Int[1], v.Int[2], in[0])
		if err != nil {
			return "", err
		}
		c.Write(in[1])
		key := c.Key()
		return hx(key[:]), nil
	case "empty_leaf_hash":
		h := EmptyLeafHash(v.Int[0])
		return hx(h[:]), nil
	case "pair_hash":
		h := PairHash(d(in[0]), d(in[1]))
		return hx(h[:]), nil
	case "hashtree":
		var all []byte
		for _, n := range NewTree(digests(in)) {
			all = append(all, n[:]...)
		}
		return hx(all), nil
	case "needed_for":
		var s []string
		for _, i := range NewTree(digests(in)).NeededFor(v.Int[0]) {
			s = append(s, strconv.Itoa(i))
		}
		return strings.Join(s, ","), nil
	}
	return computeLease(v, in)
}

func computeLease(v vector, in [][]byte) (string, error) {
	var h Digest
	switch v.Fn {
	case "client_renewal":
		h = ClientRenewalSecret(in[0])
	case "client_cancel":
		h = ClientCancelSecret(in[0])
	case "file_renewal":
		h = FileRenewalSecret(d(in[0]), k(in[1]))
	case "file_cancel":
		h = FileCancelSecret(d(in[0]), k(in[1]))
	case "bucket_renewal":
		h = BucketRenewalSecret(d(in[0]), p20(in[1]))
	case "bucket_cancel":
		h = BucketCancelSecret(d(in[0]), p20(in[1]))
	default:
		return "", fmt.Errorf("unknown function %q", v.Fn)
	}
	return hx(h[:]), nil
}

func hashed(h *Hasher, data []byte) string {
	h.Write(data)
	s := h.Sum()
	return hx(s[:])
}

func digests(in [][]byte) []Digest {
	out := make([]Digest, len(in))
	for i, b := range in {
		out[i] = d(b)
	}
	return out
}

func TestVectors(t *testing.T) {
	vs := loadVectors(t)
	seen := map[string]int{}
	for i, v := range vs {
		got, err := compute(v, unhex(t, v.In))
		if err != nil {
			t.Errorf("vector %d (%s): %v", i, v.Fn, err)
			continue
		}
		if got != v.Out {
			t.Errorf("vector %d (%s %v): got %s, Tahoe says %s", i, v.Fn, v.Int, got, v.Out)
		}
		seen[v.Fn]++
	}
	if len(seen) < 23 {
		t.Errorf("only %d functions covered: %v", len(seen), seen)
	}
}

func TestBase32RoundTrip(t *testing.T) {
	for n := 0; n < 40; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*37 + n)
		}
		got, err := DecodeBase32(Base32(b))
		if err != nil || hx(got) != hx(b) {
			t.Fatalf("%d bytes: round trip gave %x, %v", n, got, err)
		}
	}
}

func TestDecodeBase32Rejects(t *testing.T) {
	secretish := "qqqqqqqqqqqqqqqqqqqqqqqqqx" // 26 characters, last two bits set
	for _, s := range []string{"A", "aa=", "ab\ncd", "01", "a", "ab", "aaa", secretish} {
		if _, err := DecodeBase32(s); err == nil {
			t.Errorf("DecodeBase32(%q) accepted", s)
		} else if strings.Contains(err.Error(), secretish[:8]) {
			t.Errorf("error %q quotes its input", err)
		}
	}
}

func TestConvergenceHasherRejects(t *testing.T) {
	for _, p := range [][3]int{{0, 1, 1}, {3, 2, 3}, {1, 257, 1}, {1, 1, -1}} {
		if _, err := ConvergenceHasher(p[0], p[1], p[2], nil); err == nil {
			t.Errorf("ConvergenceHasher(%v) accepted", p)
		}
	}
}

func TestHasherReset(t *testing.T) {
	h := NewBlockHasher()
	h.Write([]byte("first"))
	h.Reset(BlockTag())
	h.Write([]byte("second"))
	if h.Sum() != BlockHash([]byte("second")) {
		t.Error("Reset kept state")
	}
}

func TestTreeNodes(t *testing.T) {
	for n, want := range map[int]int{1: 1, 2: 3, 3: 7, 4: 7, 5: 15, 256: 511} {
		if got := TreeNodes(n); got != want {
			t.Errorf("TreeNodes(%d) = %d, want %d", n, got, want)
		}
		if got := len(NewTree(make([]Digest, n))); got != want {
			t.Errorf("len(NewTree(%d leaves)) = %d, want %d", n, got, want)
		}
	}
}
