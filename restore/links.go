package restore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// makeLinks restores the hardlink members once every file is written: a
// member becomes a link to the first member of its group when that was
// restored here and still looks like it (a regular file of the member's
// size and mtime); otherwise it is downloaded as a file of its own (e.g.
// the first member lies outside the restored subtree).
func (r *restorer) makeLinks(ctx context.Context, target *dir) {
	for _, l := range r.links {
		if ctx.Err() != nil {
			return
		}
		err := r.link(target, l)
		if err == nil {
			r.count(func(s *Stats) { s.Hardlinks++ })
			r.o.Progress.Entry(l.rel, false)
			continue
		}
		if !errors.Is(err, errNoLinkTarget) {
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

// errNoLinkTarget: the member must be written as a file of its own.
var errNoLinkTarget = errors.New("no restored file to link to")

func (r *restorer) link(target *dir, l linkItem) error {
	first, ok := r.top.localPath(l.e.hardlink)
	if !ok || first == l.rel || r.hasFailed(first) || checkName(baseOf(first)) != nil {
		return errNoLinkTarget
	}
	fd, err := openRel(target, parentOf(first))
	if err != nil {
		return errNoLinkTarget
	}
	defer fd.release()
	if !r.looksLike(fd, baseOf(first), l.e) {
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

// looksLike reports whether name in d is a regular file with e's recorded
// size and mtime: the file this restore wrote for the group's first
// member, not something that was there before.
func (r *restorer) looksLike(d *dir, name string, e entry) bool {
	var st unix.Stat_t
	if unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
		return false
	}
	return st.Mode&unix.S_IFMT == unix.S_IFREG &&
		(e.size < 0 || st.Size == e.size) &&
		(e.meta.MtimeNs == 0 || st.Mtim.Nano() == e.meta.MtimeNs)
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
