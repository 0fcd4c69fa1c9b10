package restore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/internal/pathesc"
)

// makeLinks restores the hardlink members once every file is written: a
// member becomes a link to the first member of its group when that was
// restored here and still looks like it (same type and mtime, and the
// member's size, target or device); otherwise it is written as an entry of
// its own (e.g. the first member lies outside the restored subtree, or the
// kernel refuses the link: protected_hardlinks, a link count limit), with
// a warning in the latter case. Members may be files, symlinks, FIFOs,
// sockets or devices (docs/restore.md, Hardlinks).
func (r *restorer) makeLinks(ctx context.Context, target *dir) {
	for _, l := range r.links {
		if ctx.Err() != nil {
			return
		}
		err := r.link(ctx, target, l)
		if err == nil {
			r.count(func(s *Stats) { s.Hardlinks++ })
			r.o.Progress.Entry(l.rel, false)
			continue
		}
		if refused(err) {
			r.o.Logger.Warn("restore: the kernel refused a hard link; writing a separate copy",
				"path", pathesc.Escape(l.rel), "err", err.Error())
			r.count(func(s *Stats) { s.LinkCopies++ })
		} else if !errors.Is(err, errNoLinkTarget) {
			r.fail(l.rel, err)
			r.o.Progress.Entry(l.rel, true)
			continue
		}
		d, err := openRel(target, parentOf(l.rel))
		if err != nil {
			r.fail(l.rel, err)
			continue
		}
		r.leaf(ctx, d, l.e, l.rel)
		d.release()
	}
}

// errNoLinkTarget: the member must be written as an entry of its own.
var errNoLinkTarget = errors.New("no restored file to link to")

// refused says whether linkat failed for a reason a copy avoids: the
// kernel's protected_hardlinks (EPERM), too many links (EMLINK), or a
// filesystem without hard links for that type.
func refused(err error) bool {
	return errors.Is(err, unix.EPERM) || errors.Is(err, unix.EMLINK) || errors.Is(err, unix.EOPNOTSUPP)
}

func (r *restorer) link(ctx context.Context, target *dir, l linkItem) error {
	first, ok := r.top.localPath(l.e.hardlink)
	if !ok || first == l.rel || r.hasFailed(first) || checkName(baseOf(first)) != nil {
		return errNoLinkTarget
	}
	fd, err := openRel(target, parentOf(first))
	if err != nil {
		return errNoLinkTarget
	}
	defer fd.release()
	if !r.looksLike(ctx, fd, baseOf(first), l.e) {
		return errNoLinkTarget
	}
	md, err := openRel(target, parentOf(l.rel))
	if err != nil {
		return err
	}
	defer md.release()
	err = create(md, l.e.name, r.o.Force, func() error {
		return unix.Linkat(fd.fd, baseOf(first), md.fd, l.e.name, 0)
	})
	if err != nil {
		return fmt.Errorf("link: %w", err)
	}
	return nil
}

// looksLike reports whether name in d is what this restore wrote for the
// group's first member, not something that was there before: e's type and
// mtime, and its recorded size (a file), target (a symlink) or device
// number.
func (r *restorer) looksLike(ctx context.Context, d *dir, name string, e entry) bool {
	var st unix.Stat_t
	if unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
		return false
	}
	if fsmeta.TypeOfMode(st.Mode) != e.meta.Type || e.meta.MtimeNs != 0 && st.Mtim.Nano() != e.meta.MtimeNs {
		return false
	}
	switch e.meta.Type {
	case fsmeta.TypeFile:
		return e.size < 0 || st.Size == e.size
	case fsmeta.TypeSymlink:
		want, err := readLinkTarget(ctx, r.g, e)
		return err == nil && readlinkAt(d.fd, name) == want
	case fsmeta.TypeCharDev, fsmeta.TypeBlockDev:
		return st.Rdev == e.meta.Rdev
	}
	return true // FIFO, socket: nothing more to compare
}

// readlinkAt reads the target of the symlink name in dirfd ("" on error).
func readlinkAt(dirfd int, name string) string {
	buf := make([]byte, maxLinkTarget+1)
	n, err := unix.Readlinkat(dirfd, name, buf)
	if err != nil || n > maxLinkTarget {
		return ""
	}
	return string(buf[:n])
}

// localPath maps a raw path from the tree root to a path relative to the
// restored top; ok is false when it lies outside.
func (t top) localPath(rootRel string) (string, bool) {
	if !t.e.node.IsDir() {
		return "", false
	}
	if t.rel == "" {
		return rootRel, rootRel != ""
	}
	rest, ok := strings.CutPrefix(rootRel, t.rel+"/")
	return rest, ok && rest != ""
}

// parentOf is the directory part of a relative path ("" for the top).
func parentOf(rel string) string {
	i := strings.LastIndexByte(rel, '/')
	if i < 0 {
		return ""
	}
	return rel[:i]
}

// baseOf is the last component of a relative path.
func baseOf(rel string) string {
	return rel[strings.LastIndexByte(rel, '/')+1:]
}
