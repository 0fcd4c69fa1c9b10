package fsmeta

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DiffOptions says what Diff compares.
type DiffOptions struct {
	// MtimeGranularity compares mtimes truncated to this step (e.g.
	// time.Second for a target filesystem with coarse times); 0 is exact
	// nanoseconds.
	MtimeGranularity time.Duration
	// IgnoreMtime skips mtimes (trees written by the original tool have
	// none).
	IgnoreMtime bool
	// IgnoreOwner skips uid and gid.
	IgnoreOwner bool
	// Xattrs compares Meta.Xattrs; leave it off when either side was read
	// without Options.Xattrs.
	Xattrs bool
	// Resolver turns names in ACL entries into ids before comparing; nil
	// compares names as written.
	Resolver *Resolver
}

// Difference is one field in which two Metas differ, with both values as
// text.
type Difference struct {
	Field string // "type", "size", "mode", "uid", "gid", "acl", "caps", "mtime", "xattr NAME"
	A, B  string
}

func (d Difference) String() string {
	return fmt.Sprintf("%s: %s != %s", d.Field, d.A, d.B)
}

// Diff lists the differences between a and b (for verify). Types are
// compared first: when they differ nothing else is. Size is compared for
// regular files only, mode (permission and special bits) for everything
// but symlinks, whose targets the caller compares. ACLs and caps are
// compared in canonical form, so texts written by the original tool match.
// Dev, Ino and Nlink are never compared.
func Diff(a, b Meta, o DiffOptions) []Difference {
	if a.Type != b.Type {
		return []Difference{{"type", a.Type.String(), b.Type.String()}}
	}
	var d []Difference
	add := func(field, x, y string) {
		if x != y {
			d = append(d, Difference{field, x, y})
		}
	}
	if a.Type == TypeFile {
		add("size", strconv.FormatInt(a.Size, 10), strconv.FormatInt(b.Size, 10))
	}
	if a.Type != TypeSymlink {
		add("mode", fmt.Sprintf("%04o", a.Mode&0o7777), fmt.Sprintf("%04o", b.Mode&0o7777))
	}
	if a.Type == TypeCharDev || a.Type == TypeBlockDev {
		add("rdev", strconv.FormatUint(a.Rdev, 10), strconv.FormatUint(b.Rdev, 10))
	}
	if !o.IgnoreOwner {
		add("uid", strconv.FormatUint(uint64(a.UID), 10), strconv.FormatUint(uint64(b.UID), 10))
		add("gid", strconv.FormatUint(uint64(a.GID), 10), strconv.FormatUint(uint64(b.GID), 10))
	}
	add("acl", canonicalACLText(a.ACL, o.Resolver), canonicalACLText(b.ACL, o.Resolver))
	add("caps", canonicalCapsText(a.Caps), canonicalCapsText(b.Caps))
	if !o.IgnoreMtime {
		add("mtime", mtimeText(a.MtimeNs, o.MtimeGranularity), mtimeText(b.MtimeNs, o.MtimeGranularity))
	}
	if o.Xattrs {
		d = append(d, diffXattrs(a.Xattrs, b.Xattrs)...)
	}
	return d
}

func canonicalACLText(acl []string, r *Resolver) string {
	n, err := NormalizeACL(acl, r)
	if err != nil {
		return strings.Join(acl, ",") + " (" + err.Error() + ")"
	}
	return strings.Join(n, ",")
}

func canonicalCapsText(caps string) string {
	c, err := CanonicalCaps(caps)
	if err != nil {
		return caps + " (" + err.Error() + ")"
	}
	return c
}

func mtimeText(ns int64, step time.Duration) string {
	t := time.Unix(0, ns).UTC()
	if step > 0 {
		t = t.Truncate(step)
	}
	return t.Format(time.RFC3339Nano)
}

func diffXattrs(a, b map[string][]byte) []Difference {
	var d []Difference
	names := slices.Sorted(maps.Keys(a))
	for n := range maps.Keys(b) {
		if _, ok := a[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		x, okA := a[n]
		y, okB := b[n]
		if okA == okB && bytes.Equal(x, y) {
			continue
		}
		d = append(d, Difference{"xattr " + n, xattrText(x, okA), xattrText(y, okB)})
	}
	return d
}

func xattrText(v []byte, ok bool) string {
	if !ok {
		return "(absent)"
	}
	const limit = 64
	if len(v) > limit {
		return strconv.Quote(string(v[:limit])) + fmt.Sprintf("... (%d bytes)", len(v))
	}
	return strconv.Quote(string(v))
}
