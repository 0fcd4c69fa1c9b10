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
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return Meta{}, fmt.Errorf("fsmeta: lstat %q: %w", path, err)
	}
	m := FromStat(&st)
	names, err := listXattrs(path)
	if err != nil {
		return Meta{}, fmt.Errorf("fsmeta: list xattrs of %q: %w", path, err)
	}
	if len(names) == 0 {
		return m, nil
	}
	if err := readXattrs(path, names, &m, opts); err != nil {
		return Meta{}, err
	}
	return m, nil
}

func readXattrs(path string, names []string, m *Meta, opts Options) error {
	var access, def []aclEntry
	hasDef := false
	for _, name := range names {
		if !wanted(name, m.Type, opts) {
			continue
		}
		v, ok, err := getXattr(path, name)
		if err != nil {
			return fmt.Errorf("fsmeta: get xattr %s of %q: %w", name, path, err)
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
			return fmt.Errorf("fsmeta: xattr %s of %q: %w", name, path, err)
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
