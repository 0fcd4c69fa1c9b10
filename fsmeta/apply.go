package fsmeta

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"golang.org/x/sys/unix"
)

// ApplyOptions says how Apply restores metadata.
type ApplyOptions struct {
	// Owner sets uid and gid (lchown); it needs root for other owners.
	Owner bool
	// Resolver maps user and group names in ACL entries (trees written by
	// the original tool); nil uses the system's /etc/passwd and /etc/group.
	Resolver *Resolver
}

var systemResolver = sync.OnceValue(func() *Resolver { return NewResolver("") })

// Apply restores m onto path, whose content has already been written and
// closed, in the order docs/fsmeta.md gives: lchown, chmod, ACLs, caps,
// xattrs, times. chown clears setuid/setgid bits and file caps, so they come
// after it. Symlinks are never followed: they get owner, xattrs and times
// only. ACL and caps the file holds but m does not are removed (a restored
// file may have inherited a default ACL); other xattrs are only added.
// MtimeNs 0 means unknown (trees written by the original tool) and leaves
// the times alone; the access time is never set.
//
// Everything goes through one O_PATH|O_NOFOLLOW descriptor opened first
// (docs/fsmeta.md, Apply): a path swapped for a symlink after the type
// check cannot make chmod, an xattr or the times land on the link's target.
//
// Apply checks that path has m's type and that the ACL and caps encode
// before it changes anything; after that it does every step it can and
// returns the failures joined.
func Apply(path string, m Meta, o ApplyOptions) error {
	t, err := openTarget(path, m.Type)
	if err != nil {
		return err
	}
	defer t.close()
	p, err := prepare(t, m, o)
	if err != nil {
		return err
	}
	if testHookChecked != nil {
		testHookChecked(path)
	}
	var errs []error
	if o.Owner {
		errs = append(errs, wrap("lchown", path, t.chown(int(m.UID), int(m.GID))))
	}
	if m.Type != TypeSymlink {
		errs = append(errs, wrap("chmod", path, t.chmod(m.Mode&0o7777)))
		errs = append(errs, p.applyACL(t, m.Mode))
		errs = append(errs, p.applyCaps(t))
	}
	for _, name := range slices.Sorted(maps.Keys(m.Xattrs)) {
		if handledElsewhere(name) {
			continue
		}
		errs = append(errs, wrap("set xattr "+name+" of", path, t.setXattr(name, m.Xattrs[name])))
	}
	if m.MtimeNs != 0 {
		ts := []unix.Timespec{{Nsec: unix.UTIME_OMIT}, unix.NsecToTimespec(m.MtimeNs)}
		errs = append(errs, wrap("set times of", path, t.setTimes(ts)))
	}
	return errors.Join(errs...)
}

// testHookChecked, when set by a test, runs after Apply's checks and
// before its first change (to swap the path meanwhile).
var testHookChecked func(path string)

// prepared holds what Apply computed before changing anything.
type prepared struct {
	present          map[string]bool // xattrs path holds now
	access, def, cap []byte          // encoded values; nil: none wanted
	isDir            bool
}

func prepare(t *target, m Meta, o ApplyOptions) (*prepared, error) {
	p := &prepared{present: map[string]bool{}, isDir: m.Type == TypeDir}
	names, err := t.listXattrs()
	if err != nil {
		return nil, fmt.Errorf("fsmeta: list xattrs of %q: %w", t.path, err)
	}
	for _, n := range names {
		p.present[n] = true
	}
	if m.Type == TypeSymlink {
		return p, nil
	}
	if err := p.encodeACL(m.ACL, o.Resolver); err != nil {
		return nil, fmt.Errorf("fsmeta: ACL for %q: %w", t.path, err)
	}
	if p.cap, err = EncodeCaps(m.Caps); err != nil {
		return nil, fmt.Errorf("fsmeta: caps for %q: %w", t.path, err)
	}
	return p, nil
}

func (p *prepared) encodeACL(acl []string, r *Resolver) error {
	if r == nil {
		r = systemResolver()
	}
	access, def := SplitACL(acl)
	var err error
	if len(access) > 0 {
		if p.access, err = EncodeACL(access, r); err != nil {
			return err
		}
	}
	if len(def) > 0 {
		if !p.isDir {
			return errors.New("default ACL entries on a non-directory")
		}
		if p.def, err = EncodeACL(def, r); err != nil {
			return err
		}
	}
	return nil
}

// applyACL sets or removes the ACL xattrs, then puts back setuid, setgid
// and sticky bits if setting the ACL lost any (the permission bits now
// come from the ACL: its mask, not m's group bits, is the truth).
func (p *prepared) applyACL(t *target, mode uint32) error {
	errs := []error{p.setOrRemove(t, aclAccessXattr, p.access)}
	if p.isDir {
		errs = append(errs, p.setOrRemove(t, aclDefaultXattr, p.def))
	}
	if p.access == nil {
		return errors.Join(errs...)
	}
	var st unix.Stat_t
	if err := unix.Fstat(t.fd, &st); err != nil {
		return errors.Join(append(errs, wrap("stat", t.path, err))...)
	}
	if st.Mode&0o7000 != mode&0o7000 {
		fixed := st.Mode&0o777 | mode&0o7000
		errs = append(errs, wrap("chmod", t.path, t.chmod(fixed)))
	}
	return errors.Join(errs...)
}

func (p *prepared) applyCaps(t *target) error {
	return p.setOrRemove(t, capXattr, p.cap)
}

// setOrRemove writes value to xattr name, or removes the xattr when value
// is nil and the file has it.
func (p *prepared) setOrRemove(t *target, name string, value []byte) error {
	if value != nil {
		return wrap("set xattr "+name+" of", t.path, t.setXattr(name, value))
	}
	if !p.present[name] {
		return nil
	}
	err := t.removeXattr(name)
	if errors.Is(err, unix.ENODATA) {
		err = nil
	}
	return wrap("remove xattr "+name+" of", t.path, err)
}

// handledElsewhere reports xattrs Apply never sets from Meta.Xattrs.
func handledElsewhere(name string) bool {
	return isACLName(name) || name == capXattr || name == selinuxXattr
}

func wrap(op, path string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("fsmeta: %s %q: %w", op, path, err)
}
