package chk

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/lafs-backup/lafs-backup/internal/tahoehash"
)

// golden is testdata/golden.json, written by testdata/gen.py with Tahoe's
// own encoder.
type golden struct {
	Secret             string   `json:"secret"`
	ShareHashOrdersSHA string   `json:"share_hash_orders_sha256"`
	ShareHashOrdersN7  []string `json:"share_hash_orders_n7"`
	Cases              []goldenCase
}

type goldenCase struct {
	K, N           int
	Size           int64
	MaxSegmentSize int   `json:"max_segment_size"`
	Seed           int64 `json:"seed"`
	ForceV2        bool  `json:"force_v2"`
	Cap            string
	StorageIndex   string `json:"storage_index"`
	SegmentSize    int    `json:"segment_size"`
	NumSegments    int64  `json:"num_segments"`
	AllocatedSize  int64  `json:"allocated_size"`
	Header         string
	UEB            string
	Shares         []struct {
		Data    string `json:"data_sha256"`
		Trailer string `json:"trailer_sha256"`
		All     string `json:"sha256"`
	}
}

func (c goldenCase) name() string {
	v2 := ""
	if c.ForceV2 {
		v2 = "/v2"
	}
	return fmt.Sprintf("%d-of-%d/%d/seg%d%s", c.K, c.N, c.Size, c.MaxSegmentSize, v2)
}

func (c goldenCase) params() Params {
	return Params{Needed: c.K, Total: c.N, MaxSegmentSize: c.MaxSegmentSize}
}

func loadGolden(t testing.TB) golden {
	t.Helper()
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// content is gen.py's content(seed, size): SHA-256 in counter mode.
func content(seed, size int64) []byte {
	out := make([]byte, 0, size+sha256.Size)
	var in [16]byte
	binary.BigEndian.PutUint64(in[:8], uint64(seed))
	for i := uint64(0); int64(len(out)) < size; i++ {
		binary.BigEndian.PutUint64(in[8:], i)
		s := sha256.Sum256(in[:])
		out = append(out, s[:]...)
	}
	return out[:size]
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func unhexT(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGoldenShares(t *testing.T) {
	g := loadGolden(t)
	secret := unhexT(t, g.Secret)
	if len(g.Cases) < 40 {
		t.Fatalf("only %d golden cases", len(g.Cases))
	}
	for _, c := range g.Cases {
		t.Run(c.name(), func(t *testing.T) {
			forceV2 = c.ForceV2
			defer func() { forceV2 = false }()
			enc, err := Encode(secret, c.params(), content(c.Seed, c.Size))
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, c, enc)
		})
	}
}

func checkGolden(t *testing.T, c goldenCase, enc *Encoded) {
	t.Helper()
	if got := enc.Cap.URI(); got != c.Cap {
		t.Errorf("cap\n got %s\nwant %s", got, c.Cap)
	}
	if got := tahoehash.Base32(enc.StorageIndex[:]); got != c.StorageIndex {
		t.Errorf("storage index %s, want %s", got, c.StorageIndex)
	}
	if len(enc.Shares) != c.N {
		t.Fatalf("%d shares, want %d", len(enc.Shares), c.N)
	}
	header := unhexT(t, c.Header)
	dataEnd := int64(len(header)) + divCeil(c.Size, int64(c.K))
	for i, s := range enc.Shares {
		want := c.Shares[i]
		if int64(len(s)) != c.AllocatedSize {
			t.Fatalf("share %d: %d bytes, want %d", i, len(s), c.AllocatedSize)
		}
		if !bytes.Equal(s[:len(header)], header) {
			t.Errorf("share %d header\n got %x\nwant %x", i, s[:len(header)], header)
		}
		if got := sum(s[len(header):dataEnd]); got != want.Data {
			t.Errorf("share %d: blocks differ", i)
		}
		if got := sum(s[dataEnd:]); got != want.Trailer {
			t.Errorf("share %d: trailer differs", i)
		}
		if got := sum(s); got != want.All {
			t.Errorf("share %d: bytes differ", i)
		}
	}
	ueb := unhexT(t, c.UEB)
	if got := enc.Shares[0][len(enc.Shares[0])-len(ueb):]; !bytes.Equal(got, ueb) {
		t.Errorf("URI extension block\n got %q\nwant %q", got, ueb)
	}
}

// TestStreamingMatchesEncode feeds the Encoder through a reader that
// returns short reads and checks the writes land where Encode put them,
// with EncodeSegment and with EncodeSegmentInto reusing two buffers
// filled with garbage (the padding of a short last segment must be
// zeroed, not left over); and on one core, where segments of 256 KiB and
// more are hashed and erasure-coded sequentially rather than in parallel.
func TestStreamingMatchesEncode(t *testing.T) {
	for _, procs := range []int{1, max(2, runtime.GOMAXPROCS(0))} {
		for _, reuse := range []bool{false, true} {
			t.Run(fmt.Sprintf("procs=%d/reuse=%v", procs, reuse), func(t *testing.T) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				testStreaming(t, reuse)
			})
		}
	}
}

func testStreaming(t *testing.T, reuse bool) {
	g := loadGolden(t)
	secret := unhexT(t, g.Secret)
	for _, c := range g.Cases {
		if c.ForceV2 || c.Size > 2<<20 {
			continue
		}
		data := content(c.Seed, c.Size)
		key, err := ConvergentKey(secret, c.params(), c.Size, iotest.HalfReader(bytes.NewReader(data)))
		if err != nil {
			t.Fatal(err)
		}
		shares, capURI := streamShares(t, key, c.params(), data, reuse)
		if capURI != c.Cap {
			t.Errorf("%s: streamed cap %s, want %s", c.name(), capURI, c.Cap)
		}
		for i, s := range shares {
			if sum(s) != c.Shares[i].All {
				t.Errorf("%s: streamed share %d differs", c.name(), i)
			}
		}
	}
}

// streamShares runs an Encoder and applies each Write at its offset,
// checking that every share's writes are contiguous.
func streamShares(t *testing.T, key [16]byte, p Params, data []byte, reuse bool) ([][]byte, string) {
	t.Helper()
	e, err := NewEncoder(key, p, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	shares := make([][]byte, p.Total)
	put := func(i int, off int64, d []byte) {
		if int64(len(shares[i])) != off {
			t.Fatalf("share %d: write at %d after %d bytes", i, off, len(shares[i]))
		}
		shares[i] = append(shares[i], d...)
	}
	apply := func(w Write) {
		for i, d := range w.Data {
			put(i, w.Offset, d)
		}
	}
	apply(e.Header())
	r := iotest.HalfReader(bytes.NewReader(data))
	var bufs [2][][]byte // for reuse: each filled with 0xa5 first
	for i := range bufs {
		bufs[i] = make([][]byte, p.Total)
		for j := range bufs[i] {
			bufs[i][j] = bytes.Repeat([]byte{0xa5}, e.BlockSize())
		}
	}
	for s := range e.Segments() {
		var w Write
		var err error
		if reuse {
			w, err = e.EncodeSegmentInto(r, bufs[s%2])
		} else {
			w, err = e.EncodeSegment(r)
		}
		if err != nil {
			t.Fatal(err)
		}
		apply(w)
	}
	c, err := e.Finish()
	if err != nil {
		t.Fatal(err)
	}
	for i := range shares {
		put(i, e.TrailerOffset(), e.Trailer(i))
	}
	for i, s := range shares {
		if int64(len(s)) != e.ShareSize() {
			t.Errorf("share %d: %d bytes, ShareSize says %d", i, len(s), e.ShareSize())
		}
	}
	return shares, c.URI()
}

func TestShareHashOrder(t *testing.T) {
	g := loadGolden(t)
	var all strings.Builder
	for n := 1; n <= 256; n++ {
		tree := tahoehash.Tree(make([]tahoehash.Digest, tahoehash.TreeNodes(n)))
		for sh := 0; sh < n; sh++ {
			order := pySetOrder(append(tree.NeededFor(sh), tree.FirstLeaf()+sh))
			s := make([]string, len(order))
			for i, v := range order {
				s[i] = strconv.Itoa(v)
			}
			line := fmt.Sprintf("%d %d %s", n, sh, strings.Join(s, ","))
			if n == 7 && line != g.ShareHashOrdersN7[sh] {
				t.Errorf("got %q, Python says %q", line, g.ShareHashOrdersN7[sh])
			}
			all.WriteString(line + "\n")
		}
	}
	if got := sum([]byte(all.String())); got != g.ShareHashOrdersSHA {
		t.Errorf("share hash orders for n = 1..256 differ from Python's")
	}
}
