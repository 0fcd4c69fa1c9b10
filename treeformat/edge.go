package treeformat

import (
	"encoding/base64"
	"sort"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/fsmeta"
)

// Edge metadata keys (docs/metadata.md). The first six are the original
// tool's; the key "tahoe" belongs to the gateway and is never written.
const (
	KeyUID      = "uid"
	KeyGID      = "gid"
	KeyMode     = "mode"
	KeyCaps     = "caps"
	KeyACLs     = "acls"
	KeyEnc      = "enc"
	KeyMtime    = "mtime"
	KeyMtimeNs  = "mtime_ns"
	KeySize     = "size"
	KeyXattrs   = "xattrs"
	KeyRdev     = "rdev"
	KeyHardlink = "hardlink"
	KeyRawname  = "rawname"
	// KeySparse lists a sparse file's holes, which restore recreates
	// (sparse.go, docs/metadata.md).
	KeySparse = "sparse"

	// FormatKey marks the root wrapper's one child edge of a tree written
	// by this tool; a root without it was written by the original Python
	// tool. FormatVersion is the version written, and the only one read.
	FormatKey     = "lafs-backup-format"
	FormatVersion = "1"

	// EncXZ is the one content encoding: the content is one .xz stream.
	EncXZ = "xz"
)

// Edge is what the edge from a directory to one child records about it.
type Edge struct {
	// Meta is the child's metadata: type, owner, mode, caps, ACL, xattrs,
	// mtime (MtimeNs), rdev, and for a regular file Size, its original
	// (uncompressed) size. Dev, Ino and Nlink are never recorded.
	Meta fsmeta.Meta
	// Enc is the content encoding: "" or EncXZ.
	Enc string
	// Hardlink is the raw path, from the tree root, of the first member of
	// the child's hardlink group; "" if none.
	Hardlink string
	// RawName is the raw name bytes when they differ from the on-grid name
	// (see AssignNames); "" otherwise.
	RawName string
	// Format is FormatVersion on the root wrapper's one child, else "".
	Format string
	// Holes are a sparse regular file's holes, ascending; its content
	// holds zeros there (the cap is a dense file's). Encode records them
	// in KeySparse (SparseZeros beyond MaxHoles).
	Holes []Hole
	// Sparse: KeySparse is present; with no Holes (SparseZeros, or a
	// value that is not a hole list) restore leaves every all-zero block
	// as a hole. Encode writes SparseZeros for Sparse without Holes.
	Sparse bool

	// Decode only (Encode always records both):
	Owner     bool // uid and gid were recorded
	SizeKnown bool // Meta.Size is the original size (recorded, or the original tool's uncompressed filenode size)
}

// Encode returns the edge metadata of e as it is sent to the gateway
// (POST /uri?t=mkdir-immutable) and hashed into directory cache keys.
// Values are strings except mtime (a JSON number: the gateway's web UI and
// SFTP read it as one) and xattrs (an object). A symlink has no mode (the
// original tool's symlink marker) and no caps; only a regular file has a
// size. The map is new on every call.
func Encode(e Edge) map[string]any {
	m := e.Meta
	md := map[string]any{
		KeyUID:     strconv.FormatUint(uint64(m.UID), 10),
		KeyGID:     strconv.FormatUint(uint64(m.GID), 10),
		KeyMtime:   mtimeSeconds(m.MtimeNs),
		KeyMtimeNs: strconv.FormatInt(m.MtimeNs, 10),
	}
	if m.Type != fsmeta.TypeSymlink {
		md[KeyMode] = strconv.FormatUint(uint64(m.Mode), 8)
		if m.Caps != "" {
			md[KeyCaps] = m.CapsText()
		}
	}
	if len(m.ACL) > 0 {
		md[KeyACLs] = m.ACLText()
	}
	if len(m.Xattrs) > 0 {
		md[KeyXattrs] = xattrsMeta(m.Xattrs)
	}
	if m.Type == fsmeta.TypeCharDev || m.Type == fsmeta.TypeBlockDev {
		md[KeyRdev] = strconv.FormatUint(uint64(unix.Major(m.Rdev)), 10) + ":" +
			strconv.FormatUint(uint64(unix.Minor(m.Rdev)), 10)
	}
	encodeRest(md, e)
	return md
}

// encodeRest adds what is not in fsmeta.Meta (and a file's size).
func encodeRest(md map[string]any, e Edge) {
	if e.Meta.Type == fsmeta.TypeFile {
		md[KeySize] = strconv.FormatInt(e.Meta.Size, 10)
	}
	if e.Enc != "" {
		md[KeyEnc] = e.Enc
	}
	if e.Hardlink != "" {
		md[KeyHardlink] = b64(e.Hardlink)
	}
	if e.RawName != "" {
		md[KeyRawname] = b64(e.RawName)
	}
	if e.Format != "" {
		md[FormatKey] = e.Format
	}
	if len(e.Holes) > 0 || e.Sparse {
		md[KeySparse] = encodeHoles(e.Holes)
	}
}

// WrapperEdge is the edge of the root wrapper's one child: the source
// root's own metadata and the format marker. The wrapper is a directory
// with exactly this one child, named after the backup.
func WrapperEdge(root fsmeta.Meta) Edge {
	return Edge{Meta: root, Format: FormatVersion}
}

// IsWrapperChild reports whether the only child of a directory, a
// directory itself when dir is set, with edge metadata md, makes that
// directory a root wrapper: its edge carries FormatKey (of any version).
func IsWrapperChild(dir bool, md map[string]any) bool {
	_, ok := md[FormatKey]
	return ok && dir
}

// mtimeSeconds is float seconds, as exact as a float64 allows (mtime_ns is
// the exact value).
func mtimeSeconds(ns int64) float64 {
	return float64(ns/1e9) + float64(ns%1e9)/1e9
}

func xattrsMeta(xs map[string][]byte) map[string]any {
	names := make([]string, 0, len(xs))
	for name := range xs {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make(map[string]any, len(xs))
	for _, name := range names {
		out[name] = base64.StdEncoding.EncodeToString(xs[name])
	}
	return out
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
