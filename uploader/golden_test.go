package uploader

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/internal/needs"
)

// mixedTree builds a tree with one entry of every kind and returns the
// entries with synthetic ACL, caps and xattrs added (phase one would read
// them from disk; the uploader only carries them).
func mixedTree(t *testing.T) (string, []Entry) {
	t.Helper()
	needs.Root(t, "chown and mknod")
	root := t.TempDir()
	write(t, root, "small.txt", []byte("hello, world\n"))
	write(t, root, "big.txt", text(300<<10))
	write(t, root, "random.bin", random(200<<10, 1))
	write(t, root, "plain.dat", text(1000))
	write(t, root, "setuid", text(100))
	write(t, root, "hard1", text(60))
	if err := os.Link(filepath.Join(root, "hard1"), filepath.Join(root, "hard2")); err != nil {
		t.Fatal(err)
	}
	write(t, root, "sub/nested.txt", text(70))
	if err := os.Mkdir(filepath.Join(root, "empty"), 0o700); err != nil {
		t.Fatal(err)
	}
	mustDo(t, os.Symlink("small.txt", filepath.Join(root, "link")))
	mustDo(t, os.Symlink(string(bytes.Repeat([]byte("long/"), 16)), filepath.Join(root, "longlink")))
	mustDo(t, unix.Mkfifo(filepath.Join(root, "fifo"), 0o640))
	mustDo(t, unix.Mknod(filepath.Join(root, "sock"), unix.S_IFSOCK|0o755, 0))
	mustDo(t, unix.Mknod(filepath.Join(root, "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
	mustDo(t, unix.Mknod(filepath.Join(root, "loop0"), unix.S_IFBLK|0o660, int(unix.Mkdev(7, 0))))
	for _, name := range []string{"bad\xff", `bad\xff`, "\u00e9", "e\u0301", "a\nb"} {
		write(t, root, "names/"+name, []byte(name))
	}
	mustDo(t, os.Chmod(root, 0o750))
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := os.Lchown(p, 1000, 100); err != nil {
			return err
		}
		setTime(t, p, baseTime)
		return nil
	})
	mustDo(t, err)
	mustDo(t, unix.Chmod(filepath.Join(root, "setuid"), 0o4755)) // after chown, which clears it
	setTime(t, filepath.Join(root, "setuid"), baseTime)
	fixDirTimes(t, root)

	entries := walkTree(t, root)
	for i := range entries {
		m := &entries[i].Meta
		switch entries[i].Path {
		case "setuid":
			m.Caps = "cap_net_bind_service,cap_net_raw=ep cap_chown=i"
		case "sub":
			m.ACL = []string{"u::rwx", "u:1001:r-x", "g::r-x", "m::r-x", "o::---", "d:u::rwx", "d:g::r-x", "d:o::---"}
		case "plain.dat":
			m.ACL = []string{"u::rw-", "g::r--", "g:50:rw-", "m::rw-", "o::r--"}
			m.Xattrs = map[string][]byte{"user.comment": []byte("a comment"), "user.bin": {0, 1, 2, 255}}
		}
	}
	return root, entries
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestGoldenTree(t *testing.T) {
	root, entries := mixedTree(t)
	g, c := newFakeGrid(), newFakeCache()
	u := newUploader(t, g, c, testOptions(root))
	cap, st, err := u.Run(t.Context(), &sliceEntries{es: entries})
	if err != nil {
		t.Fatal(err)
	}
	if st.Incomplete() || st.Entries != int64(len(entries)) {
		t.Errorf("stats %+v", st)
	}
	checkGolden(t, "tree.json", dump(t, g, cap))

	// Every file's content comes back from the grid (xz -d for enc: xz).
	for _, e := range entries {
		if e.Meta.Type != fsmeta.TypeFile {
			continue
		}
		want, err := os.ReadFile(filepath.Join(root, e.Path))
		mustDo(t, err)
		ch := child(t, g, cap, append([]string{"backup.1"}, splitAll(e.Path)...)...)
		got, ok := g.content(ch.Cap)
		if !ok {
			t.Fatalf("%s: no content", e.Path)
		}
		if ch.Metadata["enc"] == "xz" {
			got = unxz(t, got)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: content differs after the round trip", e.Path)
		}
	}
}

func splitAll(p string) []string {
	var out []string
	for p != "" {
		parent, name := splitPath(p)
		out = append([]string{name}, out...)
		p = parent
	}
	return out
}

// unxz decodes with the real xz binary.
func unxz(t *testing.T, data []byte) []byte {
	t.Helper()
	needs.Tools(t, "xz")
	cmd := exec.Command("xz", "-d", "-c")
	cmd.Stdin = bytes.NewReader(data)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("xz -d: %v: %s", err, stderr.String())
	}
	return out
}
