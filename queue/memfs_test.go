package queue

import (
	"io/fs"
	"path"
	"strings"
	"syscall"

	"github.com/lafs-backup/lafs-backup/fsmeta"
)

// memFS is an in-memory tree with injectable failures.
type memFS struct {
	nodes        map[string]*memNode // absolute path -> node
	readDirCalls map[string]int
}

type memNode struct {
	m          fsmeta.Meta
	listType   fsmeta.Type // what ReadDir reports; 0 = unknown
	head       string
	readDirErr error
	readErr    error
}

const memRoot = "/mem"

// newMemFS builds a tree from "path:type" specs (type f, d, l, p, s, c, b;
// "d" for the root is implied). ReadDir reports types unless unknown is set.
func newMemFS(specs ...string) *memFS {
	fsys := &memFS{nodes: map[string]*memNode{}, readDirCalls: map[string]int{}}
	fsys.add(memRoot, fsmeta.TypeDir)
	for _, s := range specs {
		i := strings.LastIndexByte(s, ':')
		t := map[string]fsmeta.Type{"f": fsmeta.TypeFile, "d": fsmeta.TypeDir, "l": fsmeta.TypeSymlink,
			"p": fsmeta.TypeFIFO, "s": fsmeta.TypeSocket, "c": fsmeta.TypeCharDev, "b": fsmeta.TypeBlockDev}[s[i+1:]]
		fsys.add(memRoot+"/"+s[:i], t)
	}
	return fsys
}

func (f *memFS) add(p string, t fsmeta.Type) *memNode {
	m := meta(t, 0o644)
	m.Ino = uint64(len(f.nodes) + 1)
	n := &memNode{m: m, listType: t}
	f.nodes[p] = n
	return n
}

func (f *memFS) node(rel string) *memNode {
	if rel == "" {
		return f.nodes[memRoot]
	}
	return f.nodes[memRoot+"/"+rel]
}

func (f *memFS) OpenDir(p string) (Dir, error) { return openPathDir(f, p) }

func (f *memFS) ReadDir(p string) ([]DirEntry, error) {
	f.readDirCalls[p]++
	n, ok := f.nodes[p]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: p, Err: syscall.ENOENT}
	}
	if n.readDirErr != nil {
		return nil, n.readDirErr
	}
	var out []DirEntry
	for q, c := range f.nodes {
		if q != p && path.Dir(q) == p {
			out = append(out, DirEntry{Name: path.Base(q), Type: c.listType})
		}
	}
	return out, nil
}

func (f *memFS) Read(p string, _ fsmeta.Options) (fsmeta.Meta, error) {
	n, ok := f.nodes[p]
	if !ok {
		return fsmeta.Meta{}, &fs.PathError{Op: "lstat", Path: p, Err: syscall.ENOENT}
	}
	if n.readErr != nil {
		return fsmeta.Meta{}, n.readErr
	}
	return n.m, nil
}

func (f *memFS) Head(p string, k int) ([]byte, error) {
	n, ok := f.nodes[p]
	if !ok || n.m.Type != fsmeta.TypeFile {
		return nil, &fs.PathError{Op: "open", Path: p, Err: syscall.EINVAL}
	}
	return []byte(n.head[:min(k, len(n.head))]), nil
}
