package restore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/fsmeta"
)

const createFlags = unix.O_WRONLY | unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW | unix.O_CLOEXEC

// writeFile creates e.name in d and streams its content into it. A file
// whose download fails is removed (a truncated file would look restored).
func (r *restorer) writeFile(ctx context.Context, d *dir, e entry, rel string) error {
	var f *os.File
	err := create(d, e.name, r.o.Force, func() error {
		fd, err := unix.Openat(d.fd, e.name, createFlags, 0o600)
		if err == nil {
			f = os.NewFile(uintptr(fd), rel)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	n, err := fetchFile(ctx, r.g, e, f, r.o.Progress.Bytes)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = errLocal{cerr}
	}
	if err != nil {
		unix.Unlinkat(d.fd, e.name, 0)
		var local errLocal
		if errors.As(err, &local) {
			return fmt.Errorf("write: %w", err)
		}
		return fmt.Errorf("download: %w", err)
	}
	r.count(func(s *Stats) { s.Files++; s.Bytes += n })
	if e.size >= 0 && n != e.size {
		return softError{fmt.Errorf("content is %d bytes, the backup recorded %d", n, e.size)}
	}
	return nil
}

func (r *restorer) writeSymlink(ctx context.Context, d *dir, e entry) error {
	target, err := readLinkTarget(ctx, r.g, e)
	if err != nil {
		return fmt.Errorf("symlink target: %w", err)
	}
	err = create(d, e.name, r.o.Force, func() error { return unix.Symlinkat(target, d.fd, e.name) })
	if err != nil {
		return fmt.Errorf("symlink: %w", err)
	}
	r.count(func(s *Stats) { s.Symlinks++ })
	return nil
}

// mknod creates a FIFO, socket or device node (devices need root).
func (r *restorer) mknod(d *dir, e entry) error {
	mode := e.meta.Mode&unix.S_IFMT | 0o600
	err := create(d, e.name, r.o.Force, func() error {
		return unix.Mknodat(d.fd, e.name, mode, int(e.meta.Rdev))
	})
	if err != nil {
		return fmt.Errorf("mknod %v: %w", e.meta.Type, err)
	}
	r.count(func(s *Stats) { s.Special++ })
	return nil
}

// applyMeta applies m to name in d (the order of docs/restore.md, through
// fsmeta.Apply). An ACL or caps value that cannot be applied is reported
// and left out, so the rest (owner, mode, times) is still restored. It
// reports whether everything was applied.
func (r *restorer) applyMeta(d *dir, name string, m fsmeta.Meta, owner bool, rel string) bool {
	ok := true
	if acl, err := r.numericACL(m); err != nil {
		r.fail(rel, fmt.Errorf("ACL not restored: %w", err))
		m.ACL, ok = nil, false
	} else {
		m.ACL = acl
	}
	if _, err := fsmeta.EncodeCaps(m.Caps); err != nil {
		r.fail(rel, fmt.Errorf("capabilities not restored: %w", err))
		m.Caps, ok = "", false
	}
	err := fsmeta.Apply(d.procPath(name), m, fsmeta.ApplyOptions{Owner: r.owner && owner, Resolver: r.o.Resolver})
	if err != nil {
		r.fail(rel, cleanErr(d, err))
		return false
	}
	return ok
}

// numericACL returns m's ACL with names resolved to ids, checked the way
// Apply will check it.
func (r *restorer) numericACL(m fsmeta.Meta) ([]string, error) {
	if len(m.ACL) == 0 || m.Type == fsmeta.TypeSymlink {
		return nil, nil
	}
	access, def := fsmeta.SplitACL(m.ACL)
	if len(def) > 0 && m.Type != fsmeta.TypeDir {
		return nil, errors.New("default ACL entries on a non-directory")
	}
	if r.o.NumericOwner {
		if name, ok := aclName(append(access, def...)); ok {
			return nil, fmt.Errorf("names user or group %q and --numeric-owner forbids looking names up", name)
		}
	}
	acl, err := fsmeta.NormalizeACL(m.ACL, r.o.Resolver)
	if err != nil {
		return nil, err
	}
	if a, d := fsmeta.SplitACL(acl); len(a) > 0 {
		if _, err := fsmeta.EncodeACL(a, r.o.Resolver); err != nil {
			return nil, err
		}
		if len(d) > 0 {
			if _, err := fsmeta.EncodeACL(d, r.o.Resolver); err != nil {
				return nil, err
			}
		}
	}
	return acl, nil
}

// aclName returns the first qualifier in entries that is not a number.
func aclName(entries []string) (string, bool) {
	for _, e := range entries {
		parts := strings.Split(e, ":")
		if len(parts) == 3 && parts[1] != "" && !isDecimal(parts[1]) {
			return parts[1], true
		}
	}
	return "", false
}

func isDecimal(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
