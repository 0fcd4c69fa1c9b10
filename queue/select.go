package queue

import (
	"bytes"
	"path"
	"path/filepath"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/filter"
	"github.com/lafs-backup/lafs-backup/fsmeta"
)

// SpecialFiles says what the walk does with FIFOs, sockets and devices.
// They are never opened either way.
type SpecialFiles int

const (
	RecordSpecial SpecialFiles = iota // metadata-only entries (default)
	SkipSpecial                       // left out, counted as skipped
)

// Selection is the rules by which a backup leaves entries of its source
// out (docs/phase-one.md): the filter, special files, CACHEDIR.TAG, one
// filesystem, and files never recorded. The walk applies it while it
// writes the queue; verify applies the same rules to a local tree through
// Excluder, so that entries a backup left out on purpose are not extra.
type Selection struct {
	Filter        *filter.Filter // nil: include everything
	OneFileSystem bool           // do not descend into other filesystems; mount points are kept as empty directories
	SpecialFiles  SpecialFiles
	CacheDirTag   bool     // in a directory holding a valid CACHEDIR.TAG keep only the tag file
	SkipPaths     []string // files never recorded (entrycache.DatabaseFiles, the queue), compared by real absolute path
}

const (
	cacheDirTagName = "CACHEDIR.TAG"
	cacheDirTagSig  = "Signature: 8a477f597d28d172789f06886806bc55"
)

// selector applies a Selection through an FS.
type selector struct {
	Selection
	fs       FS
	skip     map[string]bool // absolute real paths never recorded
	skipBase map[string]bool // their base names, checked first
}

func newSelector(s Selection, fs FS) *selector {
	sel := &selector{Selection: s, fs: fs, skip: map[string]bool{}, skipBase: map[string]bool{}}
	for _, p := range s.SkipPaths {
		sel.skipPath(p)
	}
	return sel
}

// skipPath leaves out the file at p (made absolute and real).
func (s *selector) skipPath(p string) {
	r := realPath(p)
	s.skip[r] = true
	s.skipBase[filepath.Base(r)] = true
}

// ownFile reports whether name in the real directory dirAbs is one of
// SkipPaths.
func (s *selector) ownFile(dirAbs, name string) bool {
	return s.skipBase[name] && s.skip[joinAbs(dirAbs, name)]
}

// filtered reports whether the filter excludes rel, and the deciding rule.
func (s *selector) filtered(rel string, isDir bool) (bool, int) {
	inc, rule := s.Filter.Match(rel, isDir)
	return !inc, rule
}

// skipsSpecial reports whether an entry of type t is left out as a
// special file (anything but a file, directory or symlink).
func (s *selector) skipsSpecial(t fsmeta.Type) bool {
	return s.SpecialFiles == SkipSpecial && t != fsmeta.TypeFile && t != fsmeta.TypeDir && t != fsmeta.TypeSymlink
}

// tagged reports whether CacheDirTag applies and the directory at abs holds
// a regular CACHEDIR.TAG file (not a symlink) that starts with the
// signature of the Cache Directory Tagging Specification. ents is its
// listing when the caller has it, else nil.
func (s *selector) tagged(abs string, ents []DirEntry) bool {
	if !s.CacheDirTag {
		return false
	}
	t := fsmeta.Type(0)
	if ents != nil {
		i := slices.IndexFunc(ents, func(e DirEntry) bool { return e.Name == cacheDirTagName })
		if i < 0 {
			return false
		}
		t = ents[i].Type
	}
	tag := joinAbs(abs, cacheDirTagName)
	if t == 0 {
		m, err := s.fs.Read(tag, fsmeta.Options{})
		if err != nil {
			return false
		}
		t = m.Type
	}
	if t != fsmeta.TypeFile {
		return false
	}
	head, err := s.fs.Head(tag, len(cacheDirTagSig))
	return err == nil && bytes.Equal(head, []byte(cacheDirTagSig))
}

// Excluder applies a Selection to a local tree that was not walked: verify
// asks it about the entries it finds there and not in the backup.
type Excluder struct {
	sel     *selector
	root    string // the local tree, absolute and real
	prefix  string // the backup path the tree holds ("" = the whole backup)
	rootDev uint64
}

// Excluder returns the Excluder for the local directory dir, which holds
// the backup's subtree prefix ("" = the whole backup): filter rules are
// matched against prefix/rel, as the walk saw the path from the source root.
func (s Selection) Excluder(dir, prefix string) *Excluder {
	x := &Excluder{sel: newSelector(s, OS{}), root: realPath(dir), prefix: prefix}
	x.rootDev = x.devOf(x.root)
	return x
}

// Excluded reports whether the walk would leave out the entry rel (a raw
// path relative to the Excluder's directory) of type t (0 if unknown): the
// filter excludes it, it is a special file not recorded, it is inside a
// tagged cache directory, its directory is on another filesystem, or it is
// one of SkipPaths.
func (x *Excluder) Excluded(rel string, t fsmeta.Type) bool {
	abs := joinAbs(x.root, rel)
	dir, name := filepath.Split(abs)
	dir = filepath.Clean(dir)
	if out, _ := x.sel.filtered(path.Join(x.prefix, rel), t == fsmeta.TypeDir); out {
		return true
	}
	switch {
	case x.sel.skipsSpecial(t):
		return true
	case name != cacheDirTagName && x.sel.tagged(dir, nil):
		return true
	case x.sel.OneFileSystem && x.devOf(dir) != x.rootDev:
		return true
	}
	return x.sel.ownFile(dir, name)
}

func (x *Excluder) devOf(dir string) uint64 {
	var st unix.Stat_t
	if unix.Lstat(dir, &st) != nil {
		return 0
	}
	return uint64(st.Dev) //nolint:unconvert // differs per arch
}
