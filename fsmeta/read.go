package fsmeta

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Read returns the metadata of path without following it if it is a
// symlink: lstat, then one llistxattr, then lgetxattr only for the
// attributes present. Symlinks get neither caps nor ACLs; only
// directories have a default ACL.
// A malformed ACL or capability value is an error.
func Read(path string, opts Options) (Meta, error) {
	return ReadAt(unix.AT_FDCWD, path, opts)
}

// ReadAt is Read for the entry name of the directory open as dirfd
// (unix.AT_FDCWD: name is a path): fstatat(dirfd, name,
// AT_SYMLINK_NOFOLLOW), then the xattrs relative to dirfd too, so that
// no path is resolved from the root again (docs/fsmeta.md). name must
// not follow a symlink in any component the caller does not trust; the
// final one is never followed. Errors name name, not the directory.
func ReadAt(dirfd int, name string, opts Options) (Meta, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return Meta{}, fmt.Errorf("fsmeta: lstat %q: %w", name, err)
	}
	m := FromStat(&st)
	if !mayWant(m.Type, opts) {
		return m, nil
	}
	at := entryAt{dirfd: dirfd, name: name}
	names, err := at.listXattrs()
	if err != nil {
		return Meta{}, fmt.Errorf("fsmeta: list xattrs of %q: %w", name, err)
	}
	if len(names) == 0 {
		return m, nil
	}
	if err := readXattrs(at, names, &m, opts); err != nil {
		return Meta{}, err
	}
	return m, nil
}

// mayWant says whether an object of type t can have an xattr Read
// records: a symlink has no ACL and no caps (wanted), so without
// Options.Xattrs its xattrs are not even listed.
func mayWant(t Type, opts Options) bool { return t != TypeSymlink || opts.Xattrs }

func readXattrs(at entryAt, names []string, m *Meta, opts Options) error {
	var access, def []aclEntry
	hasDef := false
	for _, name := range names {
		if !wanted(name, m.Type, opts) {
			continue
		}
		v, ok, err := at.getXattr(name)
		if err != nil {
			return fmt.Errorf("fsmeta: get xattr %s of %q: %w", name, at.name, err)
		}
		if !ok {
			continue
		}
		switch name {
		case aclAccessXattr:
			access, err = parseACLXattr(v)
		case aclDefaultXattr:
			def, err = parseACLXattr(v)
			hasDef = true
		case capXattr:
			m.Caps, err = DecodeCaps(v)
		default:
			if m.Xattrs == nil {
				m.Xattrs = map[string][]byte{}
			}
			m.Xattrs[name] = v
		}
		if err != nil {
			return fmt.Errorf("fsmeta: xattr %s of %q: %w", name, at.name, err)
		}
	}
	if access == nil && hasDef {
		access = modeACL(m.Mode)
	}
	m.ACL = joinACL(access, def)
	return nil
}

// wanted says whether Read reads an xattr of an object of type t.
func wanted(name string, t Type, opts Options) bool {
	switch name {
	case aclAccessXattr:
		return t != TypeSymlink
	case aclDefaultXattr:
		return t == TypeDir
	case capXattr:
		return t != TypeSymlink
	case selinuxXattr:
		return false
	}
	return opts.Xattrs && !isACLName(name)
}

func isACLName(name string) bool {
	return len(name) >= len("system.posix_acl_") && name[:len("system.posix_acl_")] == "system.posix_acl_"
}
