package restore_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lafs-backup/lafs-backup/internal/needs"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/queue"
	"github.com/lafs-backup/lafs-backup/restore"
	"github.com/lafs-backup/lafs-backup/uploader"
)

// TestBackupRestoreVerify is the whole cycle on the real grid: phase one
// (queue.WriteFile) and phase two (uploader) back up an awkward tree made
// with the system's own tools; restore brings it back as root; verify
// --content passes against the restored tree and against the source; and
// getfacl, getcap, find -printf (stat) and cmp agree independently.
func TestBackupRestoreVerify(t *testing.T) {
	requireRoot(t)
	needs.Tools(t, "setfacl", "getfacl", "setcap", "getcap", "setfattr", "cmp", "find")
	c, _ := gridClient(t)
	base := t.TempDir()
	src := filepath.Join(base, "snap.1")
	makeAwkwardTree(t, src)

	root := backup(t, c, src)
	for name, enc := range map[string]any{"big.log": "xz", "random.bin": nil} {
		if n, err := c.Info(t.Context(), root, "snap.1", name); err != nil || n.Metadata["enc"] != enc {
			t.Errorf("%s: enc %v, want %v (%v)", name, n.Metadata["enc"], enc, err)
		}
	}
	target := filepath.Join(base, "restored")
	st, err := restore.Run(t.Context(), c, root, restore.Options{Target: target})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range st.Failed {
		t.Errorf("restore failure: %v", f)
	}
	if st.Hardlinks != 2 || st.Special != 2 || st.Name != "snap.1" {
		t.Errorf("stats %+v", st)
	}
	for _, dir := range []string{target, src} {
		vs, err := restore.Verify(t.Context(), c, root, restore.VerifyOptions{Dir: dir, Content: true, Xattrs: true})
		if err != nil {
			t.Fatal(err)
		}
		if !vs.Match() {
			t.Errorf("verify --content %s: %v", dir, vs.Differences)
		}
	}
	independentCompare(t, src, target)
}

// makeAwkwardTree builds the phase-one test's kinds of entries with shell
// tools: ACLs, caps, setgid and sticky directories, setuid, symlinks,
// hardlinks, a FIFO, a device, odd names, empty files and directories, a
// 20 MB compressible file, xz and plain files, xattrs.
func makeAwkwardTree(t *testing.T, src string) {
	t.Helper()
	big := strings.Repeat("twenty megabytes of compressible log lines, numbered: 0123456789\n", 20<<20/65)
	random := make([]byte, 300<<10)
	for i := range random {
		random[i] = byte(i*7919 + i/251*31 + i*i)
	}
	files := map[string]string{
		"big.log":           big,
		"random.bin":        string(random),
		"small.txt":         "small\n",
		"empty":             "",
		"docs/readme.txt":   strings.Repeat("documentation ", 1000),
		"docs/h1":           strings.Repeat("hardlinked ", 20),
		"bad\xffname":       "not utf-8",
		"café":              "nfc",
		"cafe\u0301":        "nfd",
		"a\nb":              "newline in the name",
		"shared/setgid/f":   "in a setgid dir",
		"bin/ping":          "#!/bin/true\n",
		"bin/suid":          "#!/bin/true\n",
		"acl/file":          "acl",
		"xattr/file":        "xattr",
		"deep/1/2/3/4/leaf": "deep",
	}
	for rel, data := range files {
		p := filepath.Join(src, rel)
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(data), 0o644))
	}
	must(t, os.MkdirAll(filepath.Join(src, "emptydir"), 0o700))
	must(t, os.Link(filepath.Join(src, "docs/h1"), filepath.Join(src, "h2")))
	must(t, os.Link(filepath.Join(src, "docs/h1"), filepath.Join(src, "deep/h3")))
	must(t, os.Symlink("small.txt", filepath.Join(src, "link")))
	must(t, os.Symlink("/"+strings.Repeat("x/", 40)+"dangling", filepath.Join(src, "deep/longlink")))
	sh(t, src, "mkfifo -m 0640 fifo && mknod -m 0660 null c 1 3")
	sh(t, src, `chmod 2775 shared/setgid && chmod 1777 shared && chmod 4755 bin/suid &&
		chown 1000:100 small.txt docs && chown -h 1001:101 link &&
		setcap cap_net_raw=ep bin/ping &&
		setfacl -m u:1000:rwx,g:50:r-x,m::rwx acl && setfacl -d -m u:1000:rwx,o::--- acl &&
		setfacl -m u:1001:r--,m::r-- acl/file &&
		setfattr -n user.comment -v hello xattr/file && setfattr -n trusted.x -v 0x00ff xattr/file &&
		touch -h -d '2001-02-03 04:05:06.123456789' link deep/longlink &&
		touch -d '2011-02-03 04:05:06.987654321' big.log emptydir`)
}

func sh(t *testing.T, dir, script string) {
	t.Helper()
	cmd := exec.Command("sh", "-ec", script)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
}

// backup runs phase one and phase two into the grid and returns the cap.
func backup(t *testing.T, c *lafsapi.Client, src string) lafsapi.Cap {
	t.Helper()
	qpath := filepath.Join(t.TempDir(), "queue")
	if _, err := queue.WriteFile(t.Context(), qpath, src, queue.BuildOptions{Xattrs: true}); err != nil {
		t.Fatal(err)
	}
	qr, err := queue.Open(qpath)
	if err != nil {
		t.Fatal(err)
	}
	u, err := uploader.New(lafsGrid{c}, memCache{}, uploader.Options{
		Root: src, Name: filepath.Base(src), SourcePattern: src,
		Compress: func(rel string, size int64) bool {
			return strings.HasSuffix(rel, ".log") || strings.HasSuffix(rel, ".txt")
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	capStr, st, err := u.Run(t.Context(), queueEntries{qr})
	if err != nil || st.Incomplete() {
		t.Fatalf("backup: %v, stats %+v", err, st)
	}
	root, err := lafsapi.ParseCap(capStr)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// independentCompare checks the two trees with the system's tools.
func independentCompare(t *testing.T, src, dst string) {
	t.Helper()
	for _, cmd := range []string{
		"getfacl -R -n -p . | sed 's/^# owner: .*//'", // owners are compared by find below
		"getcap -r . | sort",
		"find . -printf '%p %y %#m %U %G %n %T@ %l\\n' | sort",
		"find . -type f -printf '%p %s\\n' | sort",
		"find . \\( -type b -o -type c \\) -exec stat -c '%n %F %t:%T' {} + | sort",
	} {
		a, b := run(t, src, cmd), run(t, dst, cmd)
		if a != b {
			t.Errorf("%s differs:\n--- source\n%s\n--- restored\n%s", cmd, a, b)
		} else if len(a) < 10 {
			t.Errorf("%s printed almost nothing: %q", cmd, a)
		}
	}
	files := strings.Split(strings.TrimSpace(run(t, src, "find . -type f -print0 | tr '\\0' '\\n'")), "\n")
	if len(files) < 15 {
		t.Fatalf("only %d files in the source", len(files))
	}
	for _, f := range files {
		if f == "./a" || f == "b" { // "a\nb" is split by the listing
			continue
		}
		cmd := exec.Command("cmp", filepath.Join(src, f), filepath.Join(dst, f))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("cmp %q: %v %s", f, err, out)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dst, "a\nb")); err != nil || string(b) != "newline in the name" {
		t.Errorf(`"a\nb": %q %v`, b, err)
	}
}

func run(t *testing.T, dir, script string) string {
	t.Helper()
	cmd := exec.Command("sh", "-ec", script)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, errb.String())
	}
	return out.String()
}

// lafsGrid adapts the client to the uploader's Grid port (the CLI has its
// own adapter).
type lafsGrid struct{ c *lafsapi.Client }

func (g lafsGrid) PutFile(ctx context.Context, open func() (io.ReadCloser, error), size int64) (string, error) {
	c, err := g.c.UploadFile(ctx, open, size)
	return c.Secret(), err
}

func (g lafsGrid) Mkdir(ctx context.Context, children map[string]uploader.Child) (string, error) {
	m := make(map[string]lafsapi.Child, len(children))
	for name, ch := range children {
		c, err := lafsapi.ParseCap(ch.Cap)
		if err != nil {
			return "", err
		}
		m[name] = lafsapi.Child{Cap: c, Metadata: ch.Metadata}
	}
	c, err := g.c.MkdirImmutable(ctx, m)
	return c.Secret(), err
}

func (g lafsGrid) Renew(context.Context, string) (bool, error) { return true, nil }

func (g lafsGrid) LIT(data []byte) string { return lafsapi.LITCap(data).Secret() }

// memCache is an entry cache that remembers nothing.
type memCache struct{}

func (memCache) Lookup([32]byte) (uploader.Object, bool, error) { return uploader.Object{}, false, nil }
func (memCache) Use([32]byte, bool, uploader.Seen) error        { return nil }
func (memCache) Put([32]byte, uploader.Object, bool) error      { return nil }
func (memCache) Flush() error                                   { return nil }
func (memCache) LookupSubtree([32]byte) (uploader.Subtree, bool, error) {
	return uploader.Subtree{}, false, nil
}
func (memCache) UseSubtree([32]byte) error                   { return nil }
func (memCache) PutSubtree([32]byte, uploader.Subtree) error { return nil }

// queueEntries feeds a queue to the uploader.
type queueEntries struct{ r *queue.Reader }

func (q queueEntries) Next() (uploader.Entry, error) {
	e, err := q.r.Next()
	return uploader.Entry{Path: e.Path, Meta: e.Meta}, err
}

func (q queueEntries) Close() error { return q.r.Close() }
