package uploader

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"sort"
	"strconv"

	"github.com/lafs-backup/lafs-backup/entrycache"
	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/treeformat"
)

// Subtree keys (docs/uploader.md, Subtrees). A directory's subtree key
// hashes the configured source pattern, the directory's path and a digest
// of every entry below it as phase one recorded it: for each, what its
// edge and its cap are made of (name, type, owner, mode, caps, ACL,
// xattrs, size, mtime, rdev, hardlink reference, and a file's encoding
// decision); a subdirectory enters its parent as its own digest. Content
// is not hashed: like a file key, the key trusts size and mtime for it,
// which is why the path is in the key (two trees with the same listing
// elsewhere are other files). Dev, ino, nlink and ctime are left out:
// they change for every file of an rsync --link-dest snapshot while its
// content does not; ctime only decides whether a subtree may be recorded
// (racy).

// subtreeVersion is part of every subtree key. A subtree row is reused
// without rebuilding anything inside it, so anything that would make the
// uploader build a different directory from the same entries (edge
// metadata, naming, file keys or encodings) must change it.
const subtreeVersion = "2" // 2: sparse files' edges list their holes

// digest is a directory's subtree digest being accumulated: its children's
// records in stream order, then its own.
type digest struct {
	h           hash.Hash
	entries     int64   // entries below, not yet itself
	files, dirs int64   // of them, non-directories and directories
	childDir    []int32 // plan pass: indexes of its subdirectories
}

// subtreeHasher computes subtree digests and keys as entries stream in,
// children before their parent. It holds one digest per directory whose
// children have started and whose own entry has not come yet.
type subtreeHasher struct {
	pattern string
	enc     func(rel string, size int64) string // a file's encoding as its key has it
	open    map[string]*digest
	buf     []byte

	// The last parent parentDigest found: siblings come one after another.
	lastPath string
	last     *digest
}

func newSubtreeHasher(pattern string, enc func(string, int64) string) *subtreeHasher {
	return &subtreeHasher{pattern: pattern, enc: enc, open: map[string]*digest{}}
}

// parentDigest returns the digest the entry at path feeds.
func (s *subtreeHasher) parentDigest(path string) *digest {
	parent, _ := splitPath(path)
	if s.last != nil && parent == s.lastPath {
		return s.last
	}
	d := s.open[parent]
	if d == nil {
		d = &digest{h: sha256.New()}
		s.open[parent] = d
	}
	s.lastPath, s.last = parent, d
	return d
}

// leaf feeds a non-directory entry with its hardlink reference into its
// parent's digest.
func (s *subtreeHasher) leaf(path string, m *fsmeta.Meta, hardlink string) {
	d := s.parentDigest(path)
	_, name := splitPath(path)
	enc := "lit"
	if m.Type == fsmeta.TypeFile && m.Size > maxLIT {
		enc = s.enc(path, m.Size)
	}
	b := s.record(s.buf[:0], 'e', name, m)
	b = appendField(b, hardlink)
	b = appendField(b, enc)
	d.h.Write(b)
	d.entries++
	d.files++
	s.buf = b
}

// dir finishes the directory at path (its own entry) and returns its
// subtree's identity (the entry counts include itself), plus what the
// plan pass collected about its subdirectories. It also feeds the result
// into its parent, unless path is the root.
func (s *subtreeHasher) dir(path string, m *fsmeta.Meta) (subtreeID, []int32) {
	d := s.open[path]
	delete(s.open, path)
	if d == s.last {
		s.last = nil
	}
	if d == nil {
		d = &digest{h: sha256.New()}
	}
	s.buf = s.record(s.buf[:0], 'o', "", m)
	d.h.Write(s.buf)
	id := subtreeID{entries: d.entries + 1, files: d.files, dirs: d.dirs + 1}
	d.h.Sum(id.digest[:0])
	id.key = s.key(path, id.digest)
	if path != "" {
		s.subdir(path, id)
	}
	return id, d.childDir
}

// subdir feeds a finished subdirectory (processed, or reused whole with
// the digest its row was found by) into its parent.
func (s *subtreeHasher) subdir(path string, id subtreeID) {
	p := s.parentDigest(path)
	_, name := splitPath(path)
	b := appendField(s.buf[:0], "d")
	b = appendField(b, name)
	b = append(b, id.digest[:]...)
	p.h.Write(b)
	p.entries += id.entries
	p.files += id.files
	p.dirs += id.dirs
	s.buf = b
}

// key is the subtree key of the directory at path with digest dig.
func (s *subtreeHasher) key(path string, dig [32]byte) [32]byte {
	return entrycache.Key([]byte("subtree"), []byte(subtreeVersion), []byte(treeformat.FormatVersion),
		[]byte(s.pattern), []byte(path), dig[:])
}

// record appends kind, name and the metadata an edge records.
func (s *subtreeHasher) record(b []byte, kind byte, name string, m *fsmeta.Meta) []byte {
	b = appendField(b, string(kind))
	b = appendField(b, name)
	b = appendField(b, m.Type.String())
	for _, v := range [...]int64{int64(m.UID), int64(m.GID), int64(m.Mode), m.Size, m.MtimeNs, int64(m.Rdev)} {
		b = appendInt(b, v)
	}
	b = appendField(b, m.Caps)
	b = appendField(b, m.ACLText())
	names := make([]string, 0, len(m.Xattrs))
	for n := range m.Xattrs {
		names = append(names, n)
	}
	sort.Strings(names)
	b = appendField(b, strconv.Itoa(len(names)))
	for _, n := range names {
		b = appendField(b, n)
		b = appendField(b, string(m.Xattrs[n]))
	}
	return b
}

// appendField appends s with its length in front, so no two field lists
// give the same bytes.
func appendField(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendInt is appendField of v in decimal, without the string.
func appendInt(b []byte, v int64) []byte {
	var d [20]byte
	return appendField(b, string(strconv.AppendInt(d[:0], v, 10)))
}

// racy says whether an entry changed too close to the walk's start to be
// recorded as unchanged: within RacyMargin before it, or after it, or
// with an unknown ctime (a version-1 queue).
func racy(m *fsmeta.Meta, walkStarted int64) bool {
	limit := walkStarted - int64(RacyMargin)
	return m.CtimeNs == 0 || m.CtimeNs >= limit || m.MtimeNs >= limit
}
