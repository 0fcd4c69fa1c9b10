package queue

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lafs-backup/lafs-backup/fsmeta"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

var goldenHeader = Header{
	Version: Version,
	Source:  "/srv/backups/backup 2026-11-20\n\\x",
	Started: time.Date(2026, 11, 20, 3, 0, 0, 500_000_000, time.UTC),
}

func meta(t fsmeta.Type, perm uint32) fsmeta.Meta {
	modeBits := map[fsmeta.Type]uint32{
		fsmeta.TypeFile: 0o100000, fsmeta.TypeDir: 0o40000, fsmeta.TypeSymlink: 0o120000,
		fsmeta.TypeFIFO: 0o10000, fsmeta.TypeSocket: 0o140000, fsmeta.TypeCharDev: 0o20000,
		fsmeta.TypeBlockDev: 0o60000,
	}
	return fsmeta.Meta{Type: t, Mode: modeBits[t] | perm, Size: 42, MtimeNs: 1763607600123456789,
		CtimeNs: 1763607601987654321, Dev: 2049, Ino: 100, Nlink: 1}
}

// goldenEntries covers every field and every escape of the format.
func goldenEntries() []Entry {
	with := func(p string, m fsmeta.Meta, f func(*fsmeta.Meta)) Entry {
		if f != nil {
			f(&m)
		}
		return Entry{Path: p, Meta: m}
	}
	es := []Entry{
		with("", meta(fsmeta.TypeDir, 0o755), func(m *fsmeta.Meta) { m.Ino, m.Nlink = 2, 9 }),
		with("bin", meta(fsmeta.TypeDir, 0o2755), nil),
		with("bin/ping", meta(fsmeta.TypeFile, 0o4755), func(m *fsmeta.Meta) { m.Caps = "cap_net_raw=ep" }),
		with("bin/su", meta(fsmeta.TypeFile, 0o755), func(m *fsmeta.Meta) {
			m.Caps = "cap_chown,cap_setuid=ep [rootid=1000];x/y"
			m.ACL = []string{"u::rwx", "u:1000:r-x", "g::r-x", "m::r-x", "o::r-x"}
		}),
		with("shared", meta(fsmeta.TypeDir, 0o3770), func(m *fsmeta.Meta) {
			m.ACL = []string{"u::rwx", "g::rwx", "o::---", "d:u::rwx", "d:g::rwx", "d:g:100:r-x", "d:m::rwx", "d:o::---"}
		}),
		with("shared/odd,acl", meta(fsmeta.TypeFile, 0o640), func(m *fsmeta.Meta) {
			m.ACL = []string{"u::rw-", "x/y,z w", "o::---"}
		}),
		with("dev", meta(fsmeta.TypeDir, 0o755), nil),
		with("dev/null", meta(fsmeta.TypeCharDev, 0o666), func(m *fsmeta.Meta) { m.Rdev, m.Size = 259, 0 }),
		with("dev/sda", meta(fsmeta.TypeBlockDev, 0o660), func(m *fsmeta.Meta) { m.Rdev, m.GID = 2048, 6 }),
		with("dev/zero-rdev", meta(fsmeta.TypeCharDev, 0o600), nil),
		with("dev/fifo", meta(fsmeta.TypeFIFO, 0o600), func(m *fsmeta.Meta) { m.Size = 0 }),
		with("dev/sock", meta(fsmeta.TypeSocket, 0o777), func(m *fsmeta.Meta) { m.Size = 0 }),
		with("link to dir", meta(fsmeta.TypeSymlink, 0o777), func(m *fsmeta.Meta) { m.Size = 3 }),
		with(" lead and trail ", meta(fsmeta.TypeFile, 0o644), func(m *fsmeta.Meta) { m.UID, m.GID = 1000, 1000 }),
		with("new\nline\ttab\rcr", meta(fsmeta.TypeFile, 0o644), func(m *fsmeta.Meta) { m.MtimeNs = -1_500_000_000 }),
		with(`back\slash`, meta(fsmeta.TypeFile, 0o644), func(m *fsmeta.Meta) { m.Nlink, m.Ino = 2, 7 }),
		with("hard link", meta(fsmeta.TypeFile, 0o644), func(m *fsmeta.Meta) { m.Nlink, m.Ino = 2, 7 }),
		with("bad\xff\xc3utf8", meta(fsmeta.TypeFile, 0o600), nil),
		with("café ünïcode", meta(fsmeta.TypeFile, 0o600), nil),
		with("#hash", meta(fsmeta.TypeFile, 0o600), nil),
		with("not#first", meta(fsmeta.TypeFile, 0o600), nil),
		with("ctl\x00\x01\x7f", meta(fsmeta.TypeFile, 0o600), nil),
		with("xattrs", meta(fsmeta.TypeFile, 0o644), func(m *fsmeta.Meta) {
			m.Xattrs = map[string][]byte{
				"user.comment":        []byte("hello world"),
				"user.empty":          {},
				"user.bin":            {0, 1, 2, 0xff, '\n'},
				"trusted.a=b c":       []byte("x"),
				"security.ima\x00odd": []byte("y"),
			}
		}),
	}
	sortQueueOrder(es)
	return es
}

// sortQueueOrder sorts entries into queue order (strictly decreasing).
func sortQueueOrder(es []Entry) {
	slices.SortFunc(es, func(a, b Entry) int { return comparePaths(b.Path, a.Path) })
}

func writeQueue(t testing.TB, h Header, es []Entry) []byte {
	t.Helper()
	return writeQueueSummary(t, h, es, Summary{})
}

// goldenSummary is the walk summary of the golden queue's trailer.
var goldenSummary = Summary{Errors: 2, Skipped: 5}

func writeQueueSummary(t testing.TB, h Header, es []Entry, sum Summary) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, h)
	if err != nil {
		t.Fatal(err)
	}
	w.SetSummary(sum)
	for _, e := range es {
		if err := w.Write(e); err != nil {
			t.Fatalf("Write(%q): %v", e.Path, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readAll(data []byte) (Header, []Entry, error) {
	h, es, _, err := readAllSummary(data)
	return h, es, err
}

// readAllSummary also returns the trailer's summary (nil when the queue
// does not record one).
func readAllSummary(data []byte) (Header, []Entry, *Summary, error) {
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		return Header{}, nil, nil, err
	}
	var es []Entry
	for {
		e, err := r.Next()
		if err == io.EOF {
			if s, ok := r.Summary(); ok {
				return r.Header(), es, &s, nil
			}
			return r.Header(), es, nil, nil
		}
		if err != nil {
			return r.Header(), es, nil, err
		}
		es = append(es, e)
	}
}

func normalize(es []Entry) []Entry {
	out := slices.Clone(es)
	for i := range out {
		m := &out[i].Meta
		if len(m.ACL) == 0 {
			m.ACL = nil
		}
		if len(m.Xattrs) == 0 {
			m.Xattrs = nil
		}
		for k, v := range m.Xattrs {
			if v == nil {
				m.Xattrs[k] = []byte{}
			}
		}
	}
	return out
}

func TestGolden(t *testing.T) {
	data := writeQueueSummary(t, goldenHeader, goldenEntries(), goldenSummary)
	golden := filepath.Join("testdata", "golden.queue")
	if *update {
		if err := os.WriteFile(golden, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(data, want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n%s", golden, data)
	}
	h, es, sum, err := readAllSummary(want)
	if err != nil {
		t.Fatal(err)
	}
	if h.Source != goldenHeader.Source || !h.Started.Equal(goldenHeader.Started) || h.Version != Version {
		t.Errorf("header = %+v, want %+v", h, goldenHeader)
	}
	if sum == nil || *sum != goldenSummary {
		t.Errorf("trailer summary %v, want %+v", sum, goldenSummary)
	}
	if !reflect.DeepEqual(normalize(es), normalize(goldenEntries())) {
		t.Errorf("entries read back differ:\n got %+v\nwant %+v", es, goldenEntries())
	}
}

// TestReadsOlderVersions: queues written before ctime_ns (version 1) and
// before the trailer's summary (version 2) are still read; CtimeNs is 0
// (unknown) in version 1, and neither says what the walk left out.
func TestReadsOlderVersions(t *testing.T) {
	for _, tc := range []struct {
		file    string
		version int
		ctime   bool
	}{
		{"golden-v1.queue", 1, false},
		{"golden-v2.queue", 2, true},
	} {
		data, err := os.ReadFile(filepath.Join("testdata", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		h, es, sum, err := readAllSummary(data)
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		want := goldenEntries()
		for i := range want {
			if !tc.ctime {
				want[i].CtimeNs = 0
			}
		}
		if h.Version != tc.version || sum != nil || !reflect.DeepEqual(normalize(es), normalize(want)) {
			t.Errorf("%s: version %d, summary %v, entries %+v; want version %d, none, %+v", tc.file, h.Version, sum, es, tc.version, want)
		}
	}
}

// Every proper prefix of a queue is refused as incomplete, never read as
// a shorter valid queue.
func TestTruncatedRefused(t *testing.T) {
	data := writeQueue(t, goldenHeader, goldenEntries())
	for n := range len(data) {
		_, _, err := readAll(data[:n])
		if err == nil || !errors.Is(err, ErrIncomplete) {
			t.Fatalf("prefix of %d/%d bytes: err = %v, want ErrIncomplete", n, len(data), err)
		}
	}
}

// Any single changed byte is detected.
func TestCorruptionDetected(t *testing.T) {
	data := writeQueue(t, goldenHeader, goldenEntries())
	for i := range data {
		bad := bytes.Clone(data)
		bad[i] ^= 0x01
		if _, _, err := readAll(bad); err == nil {
			t.Fatalf("flipping byte %d (%q) went unnoticed", i, data[i])
		}
	}
	if _, _, err := readAll(append(bytes.Clone(data), "x 0:0:100644\n"...)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("data after trailer: %v", err)
	}
}

func TestReaderRefuses(t *testing.T) {
	hdr := "#lafs-backup-queue 1 started=2026-01-01T00:00:00Z source=/x\n"
	cases := map[string]string{
		"no header":        "a 0:0:100644 type=file size=0 mtime_ns=0 dev=0 ino=0 nlink=1\n",
		"future version":   "#lafs-backup-queue 3 started=2026-01-01T00:00:00Z source=/x\n",
		"header no source": "#lafs-backup-queue 2 started=2026-01-01T00:00:00Z\n",
		"unknown field":    hdr + " 0:0:40755 type=dir size=0 mtime_ns=0 dev=0 ino=0 nlink=1 colour=red\n",
		"missing field":    hdr + " 0:0:40755 type=dir size=0 mtime_ns=0 dev=0 ino=0\n",
		"type mismatch":    hdr + " 0:0:40755 type=file size=0 mtime_ns=0 dev=0 ino=0 nlink=1\n",
		"bad escape":       hdr + "a\\q 0:0:100644 type=file size=0 mtime_ns=0 dev=0 ino=0 nlink=1\n",
		"dotdot":           hdr + "a/../b 0:0:100644 type=file size=0 mtime_ns=0 dev=0 ino=0 nlink=1\n",
		"out of order":     hdr + "a 0:0:100644 type=file size=0 mtime_ns=0 dev=0 ino=0 nlink=1\nb 0:0:100644 type=file size=0 mtime_ns=0 dev=0 ino=0 nlink=1\n",
		"no trailer":       hdr + " 0:0:40755 type=dir size=0 mtime_ns=0 dev=0 ino=0 nlink=1\n",
	}
	for name, q := range cases {
		if _, _, err := readAll([]byte(q)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestWriterRefuses(t *testing.T) {
	w, err := NewWriter(io.Discard, goldenHeader)
	if err != nil {
		t.Fatal(err)
	}
	file := meta(fsmeta.TypeFile, 0o644)
	if err := w.Write(Entry{Path: "b", Meta: file}); err != nil {
		t.Fatal(err)
	}
	bad := []Entry{
		{Path: "c", Meta: file},     // out of order
		{Path: "b", Meta: file},     // repeated
		{Path: "a//x", Meta: file},  // empty component
		{Path: "/abs", Meta: file},  // leading slash
		{Path: "a/./x", Meta: file}, // dot
		{Path: "a", Meta: fsmeta.Meta{Type: fsmeta.TypeDir, Mode: 0o100644}},
	}
	for _, e := range bad {
		if err := w.Write(e); err == nil {
			t.Errorf("Write(%q, %v) accepted", e.Path, e.Type)
		}
	}
	if err := w.Close(); err == nil {
		t.Error("Close without a root entry accepted")
	}
}

func TestComparePaths(t *testing.T) {
	// Increasing order.
	order := []string{"", "a", "a/z", "a\x00", "a b", "b", "b/\x00", "b/x", "b\x00"}
	for i := range order {
		for j := range order {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := comparePaths(order[i], order[j]); got != want {
				t.Errorf("comparePaths(%q, %q) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
}

func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", " ", "#x", "a\\b", "\n", "\xff\xfe", "é", "a=b;c/d,e", "\\x4", "\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, fl := range []field{fieldPath, fieldXattr, fieldCaps, fieldACL} {
			enc := string(appendEscaped(nil, s, fl))
			if !utf8.ValidString(enc) || strings.ContainsAny(enc, " \n\r\t\x00") {
				t.Fatalf("field %d: escaped %q = %q has unsafe bytes", fl, s, enc)
			}
			if fl == fieldPath && strings.HasPrefix(enc, "#") {
				t.Fatalf("path %q escaped to %q starts with #", s, enc)
			}
			dec, err := unescape(enc, fl)
			if err != nil || dec != s {
				t.Fatalf("field %d: %q -> %q -> %q, %v", fl, s, enc, dec, err)
			}
		}
	})
}

// FuzzRoundTrip writes arbitrary byte-string paths with arbitrary
// metadata and reads back exactly the same entries.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("a/b c/\n"), "cap_x=ep [rootid=1]", "u::rw-\x00g:1:r--", "user.x", []byte{0, 1}, uint32(7), uint32(0o4755), int64(-5), uint64(3))
	f.Add([]byte("\xff/\\/#/ "), "", "", "", []byte(nil), uint32(0), uint32(0), int64(0), uint64(0))
	f.Fuzz(func(t *testing.T, names []byte, caps, acl, xname string, xval []byte, id, mode uint32, mtime int64, n uint64) {
		es := fuzzEntries(names, caps, acl, xname, xval, id, mode, mtime, n)
		h := Header{Version: Version, Source: string(names), Started: time.Unix(0, mtime).UTC()}
		data := writeQueue(t, h, es)
		gh, got, err := readAll(data)
		if err != nil {
			t.Fatalf("read back: %v\n%s", err, data)
		}
		if gh.Source != h.Source || !gh.Started.Equal(h.Started) {
			t.Fatalf("header %+v, want %+v", gh, h)
		}
		if !reflect.DeepEqual(normalize(got), normalize(es)) {
			t.Fatalf("round trip differs:\n got %+v\nwant %+v\n%s", got, es, data)
		}
	})
}

var allTypes = []fsmeta.Type{fsmeta.TypeFile, fsmeta.TypeDir, fsmeta.TypeSymlink, fsmeta.TypeFIFO,
	fsmeta.TypeSocket, fsmeta.TypeCharDev, fsmeta.TypeBlockDev}

func fuzzEntries(names []byte, caps, acl, xname string, xval []byte, id, mode uint32, mtime int64, n uint64) []Entry {
	seen := map[string]bool{"": true}
	var paths []string
	prefix := ""
	for c := range strings.SplitSeq(string(names), "/") {
		if c == "" || c == "." || c == ".." {
			continue
		}
		for _, p := range []string{c, prefix + c} {
			if !seen[p] {
				seen[p] = true
				paths = append(paths, p)
			}
		}
		prefix += c + "/"
	}
	var acls []string
	for a := range strings.SplitSeq(acl, "\x00") {
		if a != "" {
			acls = append(acls, a)
		}
	}
	es := []Entry{{Path: "", Meta: meta(fsmeta.TypeDir, mode&0o7777)}}
	for i, p := range paths {
		m := meta(allTypes[(int(mode)+i)%len(allTypes)], (mode+uint32(i))&0o7777)
		m.UID, m.GID, m.MtimeNs, m.Size = id+uint32(i), id^uint32(i), mtime-int64(i), int64(n>>1)
		m.Dev, m.Ino, m.Nlink, m.Rdev = n, n+uint64(i), n*3, n>>uint(i%64)
		m.Caps, m.ACL = caps, acls
		if i%2 == 0 {
			m.Xattrs = map[string][]byte{xname: xval, xname + "=2": nil}
		}
		es = append(es, Entry{Path: p, Meta: m})
	}
	sortQueueOrder(es)
	return es
}

// parseUint and parseInt agree with strconv on every input, errors
// included.
func FuzzParseNumbers(f *testing.F) {
	for _, s := range []string{"", "0", "7", "-1", "+1", "18446744073709551615", "18446744073709551616", "9223372036854775807",
		"-9223372036854775808", "-9223372036854775809", "00012", "1_000", " 1", "-", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := parseUint(s)
		wu, werr := strconv.ParseUint(s, 10, 64)
		if u != wu || (err == nil) != (werr == nil) {
			t.Errorf("parseUint(%q) = %d, %v; strconv: %d, %v", s, u, err, wu, werr)
		}
		i, err := parseInt(s)
		wi, werr := strconv.ParseInt(s, 10, 64)
		if i != wi || (err == nil) != (werr == nil) {
			t.Errorf("parseInt(%q) = %d, %v; strconv: %d, %v", s, i, err, wi, werr)
		}
	})
}

// Skip passes over entries as if they had been read: the entries after
// them, the order check and the trailer's count and checksum still hold;
// skipping past the end is an error.
func TestSkip(t *testing.T) {
	data := writeQueue(t, goldenHeader, goldenEntries())
	want := goldenEntries()
	for _, c := range []struct {
		at, n int
		ok    bool
	}{{0, 0, true}, {0, 3, true}, {5, 10, true}, {0, len(want) - 1, true}, {2, len(want) - 2, true},
		{0, len(want), true}, {0, len(want) + 1, false}, {3, len(want), false}} {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		got := []Entry{}
		for len(got) < c.at {
			e, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, e)
		}
		if err := r.Skip(int64(c.n)); err != nil {
			if c.ok {
				t.Errorf("Skip(%d) after %d: %v", c.n, c.at, err)
			}
			continue
		}
		for {
			e, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("after Skip(%d) at %d: %v", c.n, c.at, err)
			}
			got = append(got, e)
		}
		rest := append(append([]Entry{}, want[:c.at]...), want[c.at+c.n:]...)
		if !c.ok || !reflect.DeepEqual(normalize(got), normalize(rest)) {
			t.Errorf("Skip(%d) at %d: read %d entries, want %d (ok %v)", c.n, c.at, len(got), len(rest), c.ok)
		}
	}
	// The entry after a skip is checked against the last one skipped.
	hdr := "#lafs-backup-queue 2 started=2026-01-01T00:00:00Z source=/x\n"
	line := func(p string) string { return p + " 0:0:100644 type=file size=0 mtime_ns=0 dev=0 ino=0 nlink=1\n" }
	r, err := NewReader(strings.NewReader(hdr + line("a") + line("b")))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Skip(1); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("b after a skipped a: %v, want out of order", err)
	}
}

// TestOwnerModeField: the uid:gid:mode field takes exactly three numbers.
func TestOwnerModeField(t *testing.T) {
	hdr := "#lafs-backup-queue 2 started=2026-01-01T00:00:00Z source=/x\n"
	for _, c := range []struct {
		field string
		ok    bool
	}{
		{"0:0:100644", true},
		{"1000:65534:100600/", true},
		{"4294967295:4294967295:100644", true},
		{"0:0", false},
		{"0:0:100644:1", false},
		{"0::100644", false},
		{":0:100644", false},
		{"0:0:", false},
		{"0:0:9", false},
		{"4294967296:0:100644", false},
		{"a:0:100644", false},
	} {
		r, err := NewReader(strings.NewReader(hdr + "f " + c.field + " type=file size=0 mtime_ns=0 dev=0 ino=0 nlink=1\n"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Next()
		if c.ok && err != nil {
			t.Errorf("%q: %v", c.field, err)
		}
		if !c.ok && !errors.Is(err, ErrCorrupt) {
			t.Errorf("%q: err %v, want ErrCorrupt", c.field, err)
		}
	}
}
