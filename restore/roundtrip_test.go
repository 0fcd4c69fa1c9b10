package restore_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/internal/needs"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/restore"
)

const (
	t1 = "1700000000123456789" // mtime_ns values
	t2 = "1600000000000000001"
)

var bigText = strings.Repeat("all work and no play makes jack a dull boy\n", 8000)

// v1Tree is an awkward tree in the shapes of docs/metadata.md, as the uploader
// writes it, under a format-1 wrapper.
func v1Tree() tnode {
	own := func(mode string, kv ...any) map[string]any {
		m := md(append([]any{"uid", "1000", "gid", "100", "mode", mode, "mtime", 1700000000.1234567, "mtime_ns", t1}, kv...)...)
		return m
	}
	link := func(kv ...any) map[string]any {
		return md(append([]any{"uid", "1000", "gid", "100", "mtime_ns", t2}, kv...)...)
	}
	hardData := strings.Repeat("hardlinked content ", 10)
	tree := dirNode(own("40755"), map[string]tnode{
		"plain.txt":   file(strings.Repeat("p", 100), own("100644", "size", "100")),
		"empty":       file("", own("100600", "size", "0")),
		"big.txt":     xzFile(bigText, own("100644", "size", "344000")),
		"emptydir":    dirNode(own("40700"), map[string]tnode{}),
		"link":        file("plain.txt", link()),
		"longlink":    file("/"+strings.Repeat("long/", 20)+"target", link()),
		"hard2":       file(hardData, own("100644", "size", "190")),
		"hard1":       file(hardData, own("100644", "size", "190", "hardlink", b64("hard2"))),
		"fifo":        file("", own("10640")),
		"null":        file("", own("20666", "rdev", "1:3")),
		"bad\\xff":    file("bad", own("100644", "size", "3", "rawname", b64("bad\xff"))),
		"café":        file("nfc", own("100644", "size", "3")),
		"café~1":      file("nfd", own("100644", "size", "3", "rawname", b64("cafe\u0301"))),
		"secs":        file("seconds only", md("uid", "0", "gid", "0", "mode", "100644", "mtime", 1600000000.5)),
		"with-xattrs": file("x", own("100644", "size", "1", "xattrs", map[string]any{"user.comment": b64("hello\x00bin")})),
		"sub": dirNode(own("42775", "acls", "u::rwx,g::rwx,g:50:r-x,m::rwx,o::r-x,d:u::rwx,d:g::r-x,d:o::---"), map[string]tnode{
			"capfile": file("#!/bin/true\n", md("uid", "0", "gid", "0", "mode", "104755", "caps", "cap_net_raw=ep", "mtime_ns", t1, "size", "12")),
			"acl.txt": file("acl", own("100640", "size", "3", "acls", "u::rw-,u:1000:r--,g::r--,m::r--,o::---")),
			"h3":      file(hardData, own("100644", "size", "190", "hardlink", b64("hard2"))),
		}),
	})
	return dirNode(nil, map[string]tnode{
		"backup.1": {dir: true, kids: tree.kids, md: own("40751", "lafs-backup-format", "1")},
	})
}

var (
	v1Once sync.Once
	v1Cap  lafsapi.Cap
)

// v1Root builds v1Tree once per test binary.
func v1Root(t *testing.T) (*lafsapi.Client, lafsapi.Cap) {
	t.Helper()
	c, _ := gridClient(t)
	v1Once.Do(func() { v1Cap = build(t, c, v1Tree()) })
	if v1Cap.IsZero() {
		t.Fatal("building the test tree failed")
	}
	return c, v1Cap
}

// want is what one restored path must look like.
type want struct {
	path    string
	typ     fsmeta.Type
	mode    uint32 // permission and special bits
	uid     uint32
	gid     uint32
	mtimeNs int64
	content string // files: content; symlinks: target
	acl     []string
	caps    string
	xattrs  map[string][]byte
	rdev    uint64
}

func v1Wants() []want {
	const u, g = 1000, 100
	hard := strings.Repeat("hardlinked content ", 10)
	return []want{
		{path: "", typ: fsmeta.TypeDir, mode: 0o751, uid: u, gid: g, mtimeNs: 1700000000123456789},
		{path: "plain.txt", typ: fsmeta.TypeFile, mode: 0o644, uid: u, gid: g, mtimeNs: 1700000000123456789, content: strings.Repeat("p", 100)},
		{path: "empty", typ: fsmeta.TypeFile, mode: 0o600, uid: u, gid: g, mtimeNs: 1700000000123456789},
		{path: "big.txt", typ: fsmeta.TypeFile, mode: 0o644, uid: u, gid: g, mtimeNs: 1700000000123456789, content: bigText},
		{path: "emptydir", typ: fsmeta.TypeDir, mode: 0o700, uid: u, gid: g, mtimeNs: 1700000000123456789},
		{path: "link", typ: fsmeta.TypeSymlink, uid: u, gid: g, mtimeNs: 1600000000000000001, content: "plain.txt"},
		{path: "longlink", typ: fsmeta.TypeSymlink, uid: u, gid: g, mtimeNs: 1600000000000000001, content: "/" + strings.Repeat("long/", 20) + "target"},
		{path: "hard2", typ: fsmeta.TypeFile, mode: 0o644, uid: u, gid: g, mtimeNs: 1700000000123456789, content: hard},
		{path: "hard1", typ: fsmeta.TypeFile, mode: 0o644, uid: u, gid: g, mtimeNs: 1700000000123456789, content: hard},
		{path: "fifo", typ: fsmeta.TypeFIFO, mode: 0o640, uid: u, gid: g, mtimeNs: 1700000000123456789},
		{path: "null", typ: fsmeta.TypeCharDev, mode: 0o666, uid: u, gid: g, mtimeNs: 1700000000123456789, rdev: unix.Mkdev(1, 3)},
		{path: "bad\xff", typ: fsmeta.TypeFile, mode: 0o644, uid: u, gid: g, mtimeNs: 1700000000123456789, content: "bad"},
		{path: "café", typ: fsmeta.TypeFile, mode: 0o644, uid: u, gid: g, mtimeNs: 1700000000123456789, content: "nfc"},
		{path: "cafe\u0301", typ: fsmeta.TypeFile, mode: 0o644, uid: u, gid: g, mtimeNs: 1700000000123456789, content: "nfd"},
		{path: "secs", typ: fsmeta.TypeFile, mode: 0o644, mtimeNs: 1600000000500000000, content: "seconds only"},
		{path: "with-xattrs", typ: fsmeta.TypeFile, mode: 0o644, uid: u, gid: g, mtimeNs: 1700000000123456789, content: "x",
			xattrs: map[string][]byte{"user.comment": []byte("hello\x00bin")}},
		{path: "sub", typ: fsmeta.TypeDir, mode: 0o2775, uid: u, gid: g, mtimeNs: 1700000000123456789,
			acl: []string{"u::rwx", "g::rwx", "g:50:r-x", "m::rwx", "o::r-x", "d:u::rwx", "d:g::r-x", "d:o::---"}},
		{path: "sub/capfile", typ: fsmeta.TypeFile, mode: 0o4755, mtimeNs: 1700000000123456789, content: "#!/bin/true\n", caps: "cap_net_raw=ep"},
		{path: "sub/acl.txt", typ: fsmeta.TypeFile, mode: 0o640, uid: u, gid: g, mtimeNs: 1700000000123456789, content: "acl",
			acl: []string{"u::rw-", "u:1000:r--", "g::r--", "m::r--", "o::---"}},
		{path: "sub/h3", typ: fsmeta.TypeFile, mode: 0o644, uid: u, gid: g, mtimeNs: 1700000000123456789, content: hard},
	}
}

func requireRoot(t *testing.T) {
	t.Helper()
	needs.Root(t, "owners, devices, caps")
}

func TestRestoreV1RoundTrip(t *testing.T) {
	requireRoot(t)
	c, root := v1Root(t)
	target := filepath.Join(t.TempDir(), "out")
	st, err := restore.Run(t.Context(), c, root, restore.Options{Target: target})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range st.Failed {
		t.Errorf("failed: %v", f)
	}
	if st.Format != restore.FormatV1 || st.Name != "backup.1" {
		t.Errorf("format %v name %q", st.Format, st.Name)
	}
	if st.Files != 11 || st.Dirs != 3 || st.Symlinks != 2 || st.Hardlinks != 2 || st.Special != 2 {
		t.Errorf("stats %+v", st)
	}
	checkWants(t, target, v1Wants())
	checkEntries(t, target, v1Wants())
	sameFile(t, filepath.Join(target, "hard2"), filepath.Join(target, "hard1"), filepath.Join(target, "sub/h3"))
}

// checkWants compares every wanted path with what is on disk.
func checkWants(t *testing.T, root string, wants []want) {
	t.Helper()
	for _, w := range wants {
		p := filepath.Join(root, w.path)
		m, err := fsmeta.Read(p, fsmeta.Options{Xattrs: true})
		if err != nil {
			t.Errorf("%q: %v", w.path, err)
			continue
		}
		exp := fsmeta.Meta{Type: w.typ, Mode: m.Mode&unix.S_IFMT | w.mode, UID: w.uid, GID: w.gid,
			MtimeNs: w.mtimeNs, ACL: w.acl, Caps: w.caps, Xattrs: w.xattrs, Rdev: w.rdev, Size: int64(len(w.content))}
		if w.typ == fsmeta.TypeSymlink {
			exp.Mode = m.Mode
		}
		if d := fsmeta.Diff(exp, m, fsmeta.DiffOptions{Xattrs: true}); len(d) > 0 {
			t.Errorf("%q: %v", w.path, d)
		}
		switch w.typ {
		case fsmeta.TypeFile:
			if b, err := os.ReadFile(p); err != nil || string(b) != w.content {
				t.Errorf("%q: content %.40q, %v", w.path, b, err)
			}
		case fsmeta.TypeSymlink:
			if s, err := os.Readlink(p); err != nil || s != w.content {
				t.Errorf("%q: target %q, %v", w.path, s, err)
			}
		}
	}
}

// checkEntries makes sure nothing but the wanted paths exists.
func checkEntries(t *testing.T, root string, wants []want) {
	t.Helper()
	ok := map[string]bool{}
	for _, w := range wants {
		ok[w.path] = true
	}
	filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			rel = ""
		}
		if !ok[rel] {
			t.Errorf("unexpected %q", rel)
		}
		return nil
	})
}

func sameFile(t *testing.T, paths ...string) {
	t.Helper()
	var first uint64
	for i, p := range paths {
		var st syscall.Stat_t
		if err := syscall.Lstat(p, &st); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = st.Ino
		} else if st.Ino != first {
			t.Errorf("%s is not a hardlink of %s", p, paths[0])
		}
	}
}
