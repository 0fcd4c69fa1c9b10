package uploader

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/lafs-backup/lafs-backup/treeformat"
)

// writeSparse makes a file of size bytes holding data at each offset of
// at, holes elsewhere, with the tests' mtime.
func writeSparse(t *testing.T, path string, size int64, at map[int64][]byte) []byte {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	all := make([]byte, size)
	for off, d := range at {
		if _, err := f.WriteAt(d, off); err != nil {
			t.Fatal(err)
		}
		copy(all[off:], d)
	}
	f.Close()
	setTime(t, path, baseTime)
	return all
}

// TestSparseFileEdgeListsHoles: a sparse file is uploaded as its bytes
// (the cap a dense copy gets) and its edge lists the holes; an unchanged
// rerun reuses it without reading and still lists them, so the directory
// is the same; a file with more holes than listed says "zeros".
func TestSparseFileEdgeListsHoles(t *testing.T) {
	const mib = 1 << 20
	root := t.TempDir()
	data := writeSparse(t, filepath.Join(root, "disk.img"), 8*mib, map[int64][]byte{
		0: bytes.Repeat([]byte("a"), mib), 7 * mib: bytes.Repeat([]byte("z"), mib)})
	write(t, root, "dense.img", data)
	many := map[int64][]byte{}
	for i := range int64(treeformat.MaxHoles + 1) {
		many[i*8192] = []byte("x")
	}
	writeSparse(t, filepath.Join(root, "many.img"), (treeformat.MaxHoles+1)*8192, many)
	fixDirTimes(t, root)
	g, c := newFakeGrid(), newFakeCache()
	opts := testOptions(root)
	cap1, _ := backup(t, g, c, opts)
	top, _ := g.dir(child(t, g, cap1, "backup.1").Cap)
	img, dense := top["disk.img"], top["dense.img"]
	if img.Metadata[treeformat.KeySparse] != "1048576:6291456" {
		t.Errorf("disk.img: sparse %v, want the one hole from 1 MiB to 7 MiB", img.Metadata[treeformat.KeySparse])
	}
	if _, ok := dense.Metadata[treeformat.KeySparse]; ok || img.Cap != dense.Cap {
		t.Errorf("a dense copy has sparse %v, or another cap than the sparse file", dense.Metadata[treeformat.KeySparse])
	}
	if got, _ := g.content(img.Cap); !bytes.Equal(got, data) {
		t.Error("the sparse file's content is not its bytes with zeros in the holes")
	}
	if v := top["many.img"].Metadata[treeformat.KeySparse]; v != treeformat.SparseZeros {
		t.Errorf("many.img: sparse %v, want %q", v, treeformat.SparseZeros)
	}
	g.requests()
	cap2, st := backup(t, g, c, opts)
	if cap2 != cap1 || st.FilesUploaded != 0 || len(g.requests()) != 0 {
		t.Errorf("unchanged rerun: another cap (%v) or requests (stats %+v)", cap2 != cap1, st)
	}
}
