package uploader

import (
	"encoding/base64"
	"sort"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/fsmeta"
)

// Edge metadata keys (docs/metadata.md). The first six are the original
// tool's; the key "tahoe" is never written.
const (
	mdUID      = "uid"
	mdGID      = "gid"
	mdMode     = "mode"
	mdCaps     = "caps"
	mdACLs     = "acls"
	mdEnc      = "enc"
	mdMtime    = "mtime"
	mdMtimeNs  = "mtime_ns"
	mdSize     = "size"
	mdXattrs   = "xattrs"
	mdRdev     = "rdev"
	mdHardlink = "hardlink"
	mdRawname  = "rawname"
	// FormatKey marks the wrapper's child edge of a tree written by this
	// tool; a root without it was written by the original Python tool.
	FormatKey     = "lafs-backup-format"
	FormatVersion = "1"
)

// edgeMeta is the edge metadata of an entry from its recorded metadata and
// mtime (which for files and symlinks comes from phase two's own stat).
// Values are strings except mtime (a JSON number: the gateway's web UI and
// SFTP read it as one) and xattrs (an object).
func edgeMeta(m fsmeta.Meta, mtimeNs int64) map[string]any {
	md := map[string]any{
		mdUID:     strconv.FormatUint(uint64(m.UID), 10),
		mdGID:     strconv.FormatUint(uint64(m.GID), 10),
		mdMtime:   mtimeSeconds(mtimeNs),
		mdMtimeNs: strconv.FormatInt(mtimeNs, 10),
	}
	if m.Type != fsmeta.TypeSymlink {
		// The absence of mode is the original tool's symlink marker.
		md[mdMode] = strconv.FormatUint(uint64(m.Mode), 8)
		if m.Caps != "" {
			md[mdCaps] = m.CapsText()
		}
	}
	if len(m.ACL) > 0 {
		md[mdACLs] = m.ACLText()
	}
	if len(m.Xattrs) > 0 {
		md[mdXattrs] = xattrsMeta(m.Xattrs)
	}
	if m.Type == fsmeta.TypeCharDev || m.Type == fsmeta.TypeBlockDev {
		md[mdRdev] = strconv.FormatUint(uint64(unix.Major(m.Rdev)), 10) + ":" +
			strconv.FormatUint(uint64(unix.Minor(m.Rdev)), 10)
	}
	return md
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

// fileMeta adds what a file's content adds: its original size, always, and
// enc when it was compressed.
func fileMeta(md map[string]any, size int64, enc string) map[string]any {
	md[mdSize] = strconv.FormatInt(size, 10)
	if enc != "" {
		md[mdEnc] = enc
	}
	return md
}

// withName returns md plus rawname when the on-grid name is not the raw
// name. md is not modified (it may be shared with a cache key).
func withName(md map[string]any, raw, onGrid string) map[string]any {
	if raw == onGrid {
		return md
	}
	out := make(map[string]any, len(md)+1)
	for k, v := range md {
		out[k] = v
	}
	out[mdRawname] = base64.StdEncoding.EncodeToString([]byte(raw))
	return out
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
