package restore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/internal/logx"
	"github.com/lafs-backup/lafs-backup/internal/pathesc"
	"github.com/lafs-backup/lafs-backup/lafsapi"
)

func (v *verifier) run(ctx context.Context) error {
	t := v.top
	if !t.e.node.IsDir() {
		v.compare(ctx, t.e.name, filepath.Join(v.o.Dir, t.e.name), t.e)
		v.wg.Wait()
		return nil
	}
	var st unix.Stat_t
	if err := unix.Stat(v.o.Dir, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		if err == nil {
			err = unix.ENOTDIR
		}
		return fmt.Errorf("verify: %q: %w", v.o.Dir, err)
	}
	if t.hasMeta {
		v.compare(ctx, "", v.o.Dir, t.e)
	} else {
		v.walk(ctx, "", v.o.Dir, t.e.node)
	}
	v.wg.Wait()
	return nil
}

// walk compares the children of the backup directory node with those of
// the local directory path.
func (v *verifier) walk(ctx context.Context, rel, path string, node lafsapi.Node) {
	good, bad := children(node)
	for _, b := range bad {
		v.report(Difference{Path: joinPath(rel, b.name), Kind: "error", Err: b.err})
	}
	local, err := readNames(path)
	if err != nil {
		v.report(Difference{Path: rel, Kind: "error", Err: err})
		return
	}
	for _, e := range good {
		if ctx.Err() != nil {
			return
		}
		crel := joinPath(rel, e.name)
		if !local[e.name] {
			v.count(func(s *VerifyStats) { s.Entries++ })
			v.report(Difference{Path: crel, Kind: "missing"})
			continue
		}
		delete(local, e.name)
		v.compare(ctx, crel, path+"/"+e.name, e)
	}
	for _, name := range slices.Sorted(maps.Keys(local)) {
		crel := joinPath(rel, name)
		var st unix.Stat_t
		typ := fsmeta.Type(0)
		if unix.Lstat(path+"/"+name, &st) == nil {
			typ = fsmeta.TypeOfMode(st.Mode)
		}
		switch {
		case v.o.Skip(crel, typ):
		case v.o.LeftOut(crel):
			v.report(Difference{Path: crel, Kind: "skipped"})
		default:
			v.report(Difference{Path: crel, Kind: "extra"})
		}
	}
}

func readNames(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[n] = true
	}
	return set, nil
}

// compare checks one entry that exists on both sides, then recurses into
// directories or compares content.
func (v *verifier) compare(ctx context.Context, rel, path string, e entry) {
	v.count(func(s *VerifyStats) { s.Entries++ })
	logx.Noise(ctx, v.o.Logger, "verify", "path", pathesc.Escape(rel))
	lm, err := fsmeta.Read(path, fsmeta.Options{Xattrs: v.o.Xattrs})
	if err != nil {
		v.report(Difference{Path: rel, Kind: "error", Err: err})
		return
	}
	fields := fsmeta.Diff(v.expected(e, lm), lm, fsmeta.DiffOptions{
		IgnoreMtime: e.meta.MtimeNs == 0,
		IgnoreOwner: v.o.IgnoreOwner || !e.owner,
		Xattrs:      v.o.Xattrs,
		Resolver:    v.o.Resolver,
	})
	if len(fields) > 0 && fields[0].Field == "type" {
		v.differs(rel, fields)
		return
	}
	switch e.meta.Type {
	case fsmeta.TypeDir:
		v.differs(rel, fields)
		v.enter(ctx, rel, path, e)
	case fsmeta.TypeSymlink:
		v.differs(rel, append(fields, v.linkTarget(ctx, rel, path, e)...))
	case fsmeta.TypeFile:
		fields = append(fields, v.hardlink(rel, path, e)...)
		if v.sampled() {
			v.content(ctx, rel, path, e, fields)
			return
		}
		v.differs(rel, fields)
	default:
		v.differs(rel, fields)
	}
	v.o.Progress.Entry(rel, false)
}

func (v *verifier) differs(rel string, fields []fsmeta.Difference) {
	if len(fields) > 0 {
		v.report(Difference{Path: rel, Kind: "differs", Fields: fields})
	}
}

// enter reads a backup directory and walks it.
func (v *verifier) enter(ctx context.Context, rel, path string, e entry) {
	n := e.node
	if !e.listed {
		var err error
		if n, err = v.g.Info(ctx, e.node.Cap); err != nil {
			v.report(Difference{Path: rel, Kind: "error", Err: fmt.Errorf("read the directory from the grid: %w", err)})
			return
		}
	}
	v.walk(ctx, rel, path, n)
}

// expected is the metadata the local entry should have, with what the
// backup does not know taken from lm.
func (v *verifier) expected(e entry, lm fsmeta.Meta) fsmeta.Meta {
	want := e.meta
	if e.size < 0 {
		want.Size = lm.Size // not recorded (original tool, compressed)
	}
	if v.top.format == FormatOriginal {
		want.Mode = modeFromMask(want.Mode, want.ACL)
	}
	return want
}

// modeFromMask puts an ACL's mask into the group bits of mode: the
// original tool wrote the g:: entry there, the kernel keeps the mask.
func modeFromMask(mode uint32, acl []string) uint32 {
	for _, a := range acl {
		perm, ok := strings.CutPrefix(a, "m::")
		if !ok {
			perm, ok = strings.CutPrefix(a, "mask::")
		}
		if !ok {
			continue
		}
		var bits uint32
		for i, c := range []byte{'r', 'w', 'x'} {
			if strings.IndexByte(perm, c) >= 0 {
				bits |= 4 >> i
			}
		}
		return mode&^0o070 | bits<<3
	}
	return mode
}

func (v *verifier) linkTarget(ctx context.Context, rel, path string, e entry) []fsmeta.Difference {
	want, err := readLinkTarget(ctx, v.g, e)
	if err != nil {
		v.report(Difference{Path: rel, Kind: "error", Err: fmt.Errorf("symlink target: %w", err)})
		return nil
	}
	got, err := os.Readlink(path)
	if err != nil || got != want {
		return []fsmeta.Difference{{Field: "target", A: pathesc.Escape(want), B: pathesc.Escape(got)}}
	}
	return nil
}

// hardlink checks that a hardlink member is the same file as the group's
// first member (when that lies inside the compared tree).
func (v *verifier) hardlink(rel, path string, e entry) []fsmeta.Difference {
	if e.hardlink == "" {
		return nil
	}
	first, ok := v.top.localPath(e.hardlink)
	if !ok || !validRel(first) {
		return nil
	}
	var a, b unix.Stat_t
	err1 := unix.Lstat(path, &a)
	err2 := unix.Lstat(filepath.Join(v.o.Dir, first), &b)
	if err1 == nil && err2 == nil && a.Dev == b.Dev && a.Ino == b.Ino {
		return nil
	}
	return []fsmeta.Difference{{Field: "hardlink", A: "linked to " + pathesc.Escape(first), B: "not linked"}}
}

func (v *verifier) sampled() bool {
	if !v.o.Content {
		return false
	}
	p := v.o.SamplePercent
	return p <= 0 || p >= 100 || rand.Float64()*100 < p
}

// content hashes both sides in a job of its own and reports the entry
// with everything found.
func (v *verifier) content(ctx context.Context, rel, path string, e entry, fields []fsmeta.Difference) {
	select {
	case v.sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		defer func() { <-v.sem }()
		backup, local, err := v.contentHashes(ctx, path, e)
		same := err == nil && backup == local
		switch {
		case err != nil:
			v.report(Difference{Path: rel, Kind: "error", Err: err, Fields: fields})
		case !same:
			v.report(Difference{Path: rel, Kind: "differs", Fields: append(fields, fsmeta.Difference{Field: "content", A: backup, B: local})})
		default:
			v.differs(rel, fields)
		}
		v.count(func(s *VerifyStats) { s.Hashed++ })
		v.o.Progress.Entry(rel, err != nil || !same || len(fields) > 0)
	}()
}

// contentHashes returns the SHA-256 of the backup's content and of the
// local file, as "sha256:HEX" (what a content difference shows, so that
// either side can be checked with sha256sum).
func (v *verifier) contentHashes(ctx context.Context, path string, e entry) (backup, local string, err error) {
	l, err := v.hashLocal(path)
	if err != nil {
		return "", "", err
	}
	var remote []byte
	for attempt := 1; attempt <= fetchAttempts; attempt++ {
		if remote, err = hashRemote(ctx, v.g, e); err == nil || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return "", "", fmt.Errorf("read the backup's content: %w", err)
	}
	return "sha256:" + hex.EncodeToString(remote), "sha256:" + hex.EncodeToString(l), nil
}

func (v *verifier) hashLocal(path string) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	h := sha256.New()
	n, err := io.CopyBuffer(h, f, make([]byte, copyBuf))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	v.count(func(s *VerifyStats) { s.Bytes += n })
	v.o.Progress.Bytes(n)
	return h.Sum(nil), nil
}

func hashRemote(ctx context.Context, g Grid, e entry) ([]byte, error) {
	src, err := openContent(ctx, g, e)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	h := sha256.New()
	if _, err := io.CopyBuffer(h, src, make([]byte, copyBuf)); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}
