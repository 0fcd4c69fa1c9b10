package uploader

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/lafs-backup/lafs-backup/entrycache"
	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/internal/pathesc"
	"github.com/lafs-backup/lafs-backup/internal/pxz"
)

// Cache keys are entrycache.Key hashes (SHA-256 over length-prefixed parts),
// so no cap and no path is stored in key form and no two different part
// lists hash the same input. This file decides the parts: every key starts
// with a kind, then the configured source pattern; the source root (the
// picked match) is in none of them. docs/metadata.md lists the parts;
// key_test.go pins golden values: any change here invalidates every user's
// cache and must bump entrycache's key version.
type keyHash struct{ parts [][]byte }

func newKey(kind, pattern string) *keyHash {
	k := &keyHash{parts: make([][]byte, 0, 16)}
	k.str(kind)
	k.str(pattern)
	return k
}

func (k *keyHash) str(s string) { k.parts = append(k.parts, []byte(s)) }

func (k *keyHash) num(i int64) { k.str(strconv.FormatInt(i, 10)) }

func (k *keyHash) sum() [32]byte { return entrycache.Key(k.parts...) }

// recorded adds the metadata phase one recorded that a restore applies:
// type, owner, mode, caps, ACL and xattrs (sorted by name). Size and mtime
// are added by the callers from their own stat; dev, ino and nlink never
// (they change after a copy or a restore).
func (k *keyHash) recorded(m fsmeta.Meta) {
	k.str(m.Type.String())
	k.num(int64(m.UID))
	k.num(int64(m.GID))
	k.num(int64(m.Mode))
	k.str(m.Caps)
	k.str(m.ACLText())
	names := make([]string, 0, len(m.Xattrs))
	for name := range m.Xattrs {
		names = append(names, name)
	}
	sort.Strings(names)
	k.num(int64(len(names)))
	for _, name := range names {
		k.str(name)
		k.str(string(m.Xattrs[name]))
	}
}

// encoding is the encoding decision as it enters a file key: "none", or xz
// with the settings that determine its output: for a file of up to
// parallelMin bytes one stream whose dictionary follows from the size and
// the largest dictionary, for a larger one the block encoder's settings.
func encoding(compress bool, maxDict int, size int64) string {
	switch {
	case !compress:
		return "none"
	case size > parallelMin:
		return fmt.Sprintf("xz;blocks=%d;dict=%d;%s", pxz.DefaultBlockSize, blockDict(maxDict), pxzEncoderID)
	}
	return fmt.Sprintf("xz;dictmax=%d;%s", maxDict, xzEncoderID)
}

// fileKey: source pattern, relative path, size and mtime (from phase two's
// stat), recorded metadata, and the encoding decision with xz settings.
func fileKey(pattern, rel string, m fsmeta.Meta, size, mtimeNs int64, enc string) [32]byte {
	k := newKey("file", pattern)
	k.str(rel)
	k.num(size)
	k.num(mtimeNs)
	k.recorded(m)
	k.str(enc)
	return k.sum()
}

// symlinkKey: source pattern, relative path and target. The content of a
// symlink's filenode is its target and nothing else.
func symlinkKey(pattern, rel, target string) [32]byte {
	k := newKey("symlink", pattern)
	k.str(rel)
	k.str(target)
	return k.sum()
}

// keyChild is one child as it enters a directory key.
type keyChild struct {
	name string // on-grid name
	dir  bool
	cap  string
	meta map[string]any
}

// dirKey: source pattern, the directory's own recorded metadata and mtime,
// then every child sorted by on-grid name: name, kind, cap and metadata
// (as canonical JSON, exactly what is sent). Child names are in the key:
// the original tool omitted them and restored renamed files under old names.
func dirKey(pattern string, own fsmeta.Meta, children []keyChild) ([32]byte, error) {
	k := newKey("dir", pattern)
	k.recorded(own)
	k.num(own.MtimeNs)
	if err := k.children(children); err != nil {
		return [32]byte{}, err
	}
	return k.sum(), nil
}

// wrapperKey: source pattern and the wrapper's one child.
func wrapperKey(pattern string, child keyChild) ([32]byte, error) {
	k := newKey("wrapper", pattern)
	if err := k.children([]keyChild{child}); err != nil {
		return [32]byte{}, err
	}
	return k.sum(), nil
}

func (k *keyHash) children(cs []keyChild) error {
	sorted := append([]keyChild(nil), cs...)
	sort.Slice(sorted, func(a, b int) bool { return sorted[a].name < sorted[b].name })
	k.num(int64(len(sorted)))
	for _, c := range sorted {
		meta, err := json.Marshal(c.meta)
		if err != nil {
			return fmt.Errorf("encode metadata of %s: %w", pathesc.Escape(c.name), err)
		}
		k.str(c.name)
		if c.dir {
			k.str("dirnode")
		} else {
			k.str("filenode")
		}
		k.str(c.cap)
		k.str(string(meta))
	}
	return nil
}
