package restore

import (
	"bytes"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ulikunitz/xz"

	"github.com/lafs-backup/lafs-backup/internal/needs"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

func compressible(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = "abcd \n"[r.IntN(6)]
	}
	return b
}

func goXZ(t *testing.T, data []byte, dict int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := xz.WriterConfig{DictCap: dict}.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func systemXZ(t *testing.T, data []byte, args ...string) []byte {
	t.Helper()
	needs.Tools(t, "xz")
	cmd := exec.Command("xz", append([]string{"-c"}, args...)...)
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("xz %v: %v", args, err)
	}
	return out
}

// TestXZGuardPassesStreams: streams of both encoders (one block, several
// blocks with sizes in their headers, every check type, concatenated
// streams with padding, incompressible chunks) pass unchanged and decode.
func TestXZGuardPassesStreams(t *testing.T) {
	data := compressible(400 << 10)
	random := make([]byte, 100<<10)
	rnd := rand.New(rand.NewPCG(3, 4))
	for i := range random {
		random[i] = byte(rnd.Uint32())
	}
	cases := map[string][]byte{
		"go":           goXZ(t, data, 1<<20),
		"go random":    goXZ(t, random, 64<<10),
		"go empty":     goXZ(t, nil, 4096),
		"xz -9":        systemXZ(t, data, "-9"),
		"xz blocks":    systemXZ(t, data, "--block-size=64KiB", "-T2"),
		"xz crc32":     systemXZ(t, data, "--check=crc32"),
		"xz sha256":    systemXZ(t, data, "--check=sha256"),
		"xz none":      systemXZ(t, random, "--check=none"),
		"concatenated": append(append(goXZ(t, data[:1000], 4096), 0, 0, 0, 0), systemXZ(t, data[1000:], "-1")...),
	}
	for name, stream := range cases {
		t.Run(name, func(t *testing.T) {
			g := guardXZ(bytes.NewReader(stream), minDictLimit)
			defer g.Close()
			got, err := io.ReadAll(g)
			if err != nil || !bytes.Equal(got, stream) {
				t.Fatalf("guard passed %d of %d bytes: %v", len(got), len(stream), err)
			}
			r, err := xz.NewReader(guardXZ(bytes.NewReader(stream), minDictLimit))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, r); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// withDict rewrites the LZMA2 dictionary code in the first block header
// of stream (and the header's CRC32).
func withDict(t *testing.T, stream []byte, code byte) []byte {
	t.Helper()
	s := bytes.Clone(stream)
	h := s[12 : 12+(int(s[12])+1)*4]
	i := bytes.Index(h, []byte{0x21, 0x01})
	if i < 0 {
		t.Fatal("no LZMA2 filter in the block header")
	}
	h[i+2] = code
	crc := crc32.ChecksumIEEE(h[:len(h)-4])
	h[len(h)-4], h[len(h)-3], h[len(h)-2], h[len(h)-1] = byte(crc), byte(crc>>8), byte(crc>>16), byte(crc>>24)
	return s
}

// TestXZGuardRefusesHugeDictionary: a block header asking for 1 GiB (or
// the 4 GiB maximum) is refused before the decoder sees it.
func TestXZGuardRefusesHugeDictionary(t *testing.T) {
	stream := goXZ(t, compressible(1000), 4096)
	for _, code := range []byte{36, 40} {
		bad := withDict(t, stream, code)
		seen := 0
		_, err := io.ReadAll(io.TeeReader(guardXZ(bytes.NewReader(bad), minDictLimit), writerFunc(func(p []byte) { seen += len(p) })))
		if !errors.Is(err, errDictTooLarge) {
			t.Fatalf("code %d: %v, want errDictTooLarge", code, err)
		}
		if seen > 12 {
			t.Fatalf("code %d: %d bytes passed: the block header reached the decoder", code, seen)
		}
	}
	// The same stream with an allowed dictionary decodes.
	ok := withDict(t, stream, 20) // 4 MiB
	if _, err := io.ReadAll(guardXZ(bytes.NewReader(ok), minDictLimit)); err != nil {
		t.Fatal(err)
	}
}

type writerFunc func([]byte)

func (f writerFunc) Write(p []byte) (int, error) { f(p); return len(p), nil }

func TestDictLimit(t *testing.T) {
	for _, tc := range []struct{ size, want int64 }{
		{-1, 64 << 20}, {0, 64 << 20}, {100, 64 << 20}, {64 << 20, 64 << 20},
		{64<<20 + 1, 128 << 20}, {1 << 30, 1 << 30}, {10 << 30, 1536 << 20},
	} {
		if got := dictLimit(tc.size); got != tc.want {
			t.Errorf("dictLimit(%d) = %d, want %d", tc.size, got, tc.want)
		}
	}
}

// TestRestoreRefusesXZBomb: on the real grid, a file whose xz stream asks
// for a 1 GiB dictionary although its recorded size is 1000 bytes is not
// restored (reported, no file left), and the rest of the tree is.
func TestRestoreRefusesXZBomb(t *testing.T) {
	g := testgrid.Shared(t)
	c, err := lafsapi.New(g.URL(), lafsapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	bomb, err := c.UploadBytes(ctx, withDict(t, goXZ(t, compressible(1000), 4096), 36))
	if err != nil {
		t.Fatal(err)
	}
	fine, err := c.UploadBytes(ctx, goXZ(t, compressible(1000), 4096))
	if err != nil {
		t.Fatal(err)
	}
	md := func() map[string]any {
		return map[string]any{"mode": "100644", "uid": "0", "gid": "0", "enc": "xz", "size": "1000"}
	}
	tree, err := c.MkdirImmutable(ctx, map[string]lafsapi.Child{
		"bomb": {Cap: bomb, Metadata: md()},
		"fine": {Cap: fine, Metadata: md()},
	})
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "target")
	st, err := Run(ctx, c, tree, Options{Target: target})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Failed) != 1 || !strings.Contains(st.Failed[0].Error(), "bomb") ||
		!strings.Contains(st.Failed[0].Error(), errDictTooLarge.Error()) {
		t.Fatalf("failures %v, want bomb refused for its dictionary", st.Failed)
	}
	if _, err := os.Lstat(filepath.Join(target, "bomb")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("bomb left behind: %v", err)
	}
	if got, err := os.ReadFile(filepath.Join(target, "fine")); err != nil || !bytes.Equal(got, compressible(1000)) {
		t.Errorf("fine: %d bytes, %v", len(got), err)
	}
}
