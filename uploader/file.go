package uploader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/internal/logx"
	"github.com/lafs-backup/lafs-backup/internal/pathesc"
	"github.com/lafs-backup/lafs-backup/treeformat"
)

const (
	// maxLIT is the largest content the gateway stores in a URI:LIT: cap.
	maxLIT = 55
	// maxReads is how often a file that changes while read is read.
	maxReads = 3
)

// content is what reading (or reusing) a file gave.
type content struct {
	cap   string
	enc   string
	probe float64
	size  int64 // original bytes
	holes holeMap
}

// at opens n's directory (or reuses its descriptor) and names n in it.
func (b *build) at(n *node) (entryAt, error) {
	if n.parent == nil {
		return entryAt{}, errors.New("internal error: a file without a directory")
	}
	dir, name := splitPath(n.path)
	fd, err := b.dirs.get(&n.parent.src, b.opts.Root, dir)
	if err != nil {
		return entryAt{}, &sourceError{err}
	}
	return entryAt{dirfd: fd, name: name, rel: n.path}, nil
}

// file stats the file again (the queue's values are hints), reuses its
// cached cap when the key matches, and otherwise reads and uploads it. A
// file whose size or mtime changes while it is read is read again, up to
// maxReads times; after that the last read is kept and reported, and not
// recorded in the cache (so the next run reads it again).
func (b *build) file(ctx context.Context, n *node) error {
	src, err := b.at(n)
	if err != nil {
		return b.sourceProblem(n, err)
	}
	for attempt := 1; ; attempt++ {
		final := attempt == maxReads
		readStart := b.opts.Now()
		st, err := b.statAs(n, src, fsmeta.TypeFile)
		if err != nil {
			return b.sourceProblem(n, err)
		}
		size, mtime := st.Size, st.Mtim.Nano()
		b.sameAsWalk(n, size, mtime)
		fs := b.fileState(&st, readStart)
		var key [32]byte
		var c content
		if size > maxLIT {
			compress := b.opts.Compress(n.path, size)
			key = fileKey(b.opts.SourcePattern, n.path, n.meta, size, mtime, encoding(compress, b.opts.XZ.DictCap, size))
			obj, ok, rerr := b.reuse(ctx, key, fs)
			if rerr != nil {
				return rerr
			}
			if ok {
				b.stats.filesReused.Add(1)
				n.lease = obj.RenewedAt
				c = content{cap: obj.Cap, enc: obj.Enc, size: size}
				if mayBeSparse(&st) {
					c.holes = b.holesOf(src, &st)
				}
				b.setFile(n, c, mtime, "reused")
				return nil
			}
			c, err = b.upload(ctx, src, &st, compress, final)
		} else {
			c, err = b.readLIT(ctx, src, &st, final)
		}
		if errors.Is(err, errChanged) && !final {
			continue
		}
		if err != nil {
			return b.readFailed(n, err)
		}
		if b.stable(src, st, c.size) {
			return b.fileDone(n, key, c, mtime, fs)
		}
		if final {
			b.problem(n, ProblemChanged, errChanged.Error())
			b.setFile(n, c, mtime, "uploaded as last read")
			return nil
		}
	}
}

// fileDone records a file read in one stable pass, unless its mtime is
// too recent to trust that nothing changes it unseen within the same
// timestamp tick (racy.go): then the next run reads it again.
func (b *build) fileDone(n *node, key [32]byte, c content, mtime int64, fs *fileState) error {
	if isLIT(c.cap) && c.size <= maxLIT {
		b.stats.filesLIT.Add(1)
		b.setFile(n, c, mtime, "LIT")
		return nil
	}
	b.stats.filesUploaded.Add(1)
	n.lease = b.opts.Now()
	if !fs.trusted() {
		n.dirty = true // nor is a subtree holding it recorded
	}
	if fs.racy {
		b.stats.filesTooNew.Add(1)
		b.setFile(n, c, mtime, "uploaded, too new to be cached")
		return nil
	}
	if err := b.record(key, Object{Cap: c.cap, Enc: c.enc, Probe: c.probe, Seen: fs.seen}, false); err != nil {
		return err
	}
	b.setFile(n, c, mtime, "uploaded")
	return nil
}

// sameAsWalk marks n dirty when phase two's stat differs from what the
// walk recorded: what is uploaded then is not what the subtree key says.
func (b *build) sameAsWalk(n *node, size, mtime int64) {
	if size != n.meta.Size || mtime != n.meta.MtimeNs {
		n.dirty = true
	}
}

func (b *build) setFile(n *node, c content, mtime int64, what string) {
	n.cap = c.cap
	m := n.meta
	m.MtimeNs, m.Size = mtime, c.size // from phase two's stat and read
	n.edge = treeformat.Edge{Meta: m, Enc: c.enc, Hardlink: n.hardlink, Holes: c.holes.holes, Sparse: c.holes.sparse}
	if ctx := context.Background(); b.log.Enabled(ctx, logx.LevelNoise) {
		b.log.Log(ctx, logx.LevelNoise, "file "+what, "path", pathesc.Escape(n.path), "size", c.size, "enc", c.enc)
	}
}

// statAs lstats the entry n and checks it is still of type t and the
// inode the walk recorded (its device and inode numbers): what is at the
// path now may be another file, never uploaded under n's metadata.
func (b *build) statAs(n *node, e entryAt, t fsmeta.Type) (unix.Stat_t, error) {
	var st unix.Stat_t
	if err := b.fs.lstat(e, &st); err != nil {
		return st, &sourceError{fmt.Errorf("lstat: %w", err)}
	}
	if fsmeta.TypeOfMode(st.Mode) != t {
		return st, &sourceError{errTypeChanged}
	}
	if !b.sameInode(&n.meta, &st) {
		return st, &sourceError{errReplaced}
	}
	return st, nil
}

// sameInode says whether st is the inode m was recorded from. An entry
// without an inode number (made up, not walked) is not compared.
func (b *build) sameInode(m *fsmeta.Meta, st *unix.Stat_t) bool {
	if m.Ino == 0 {
		return true
	}
	return st.Ino == m.Ino && b.devs.same(m.Dev, uint64(st.Dev)) //nolint:unconvert // differs per arch
}

// stable says whether the file still is what was stat'ed before it was
// read, and that as many bytes were read as that stat promised.
func (b *build) stable(src entryAt, before unix.Stat_t, read int64) bool {
	var after unix.Stat_t
	if err := b.fs.lstat(src, &after); err != nil {
		return false
	}
	return read == before.Size && after.Size == before.Size &&
		after.Mtim == before.Mtim && after.Ino == before.Ino && after.Dev == before.Dev
}

// upload probes (when compress), then streams the file to the grid, through
// xz when the probe does not veto it. Except in the final attempt it reads
// exactly size bytes (a shorter file gives errChanged); the final attempt
// reads to EOF and sends an unknown length. A file that may be sparse
// (mayBeSparse) has the holes of each attempt's descriptor listed before
// it is read; the last attempt's are kept.
func (b *build) upload(ctx context.Context, src entryAt, st0 *unix.Stat_t, compress, final bool) (content, error) {
	size, sparse := st0.Size, mayBeSparse(st0)
	c := content{size: size}
	want := int64(headSize)
	if compress {
		want = probeSize
	}
	head, err := b.head(src, st0, min(size, want))
	if err != nil {
		return c, err
	}
	if compress {
		c.probe = probeRatio(head)
		compress = c.probe <= b.opts.XZ.ProbeRatio
	}
	limit, putSize := size, size
	if final {
		limit, putSize = -1, -1
	}
	if compress {
		c.enc, putSize = "xz", -1
	}
	var last atomic.Pointer[readState]
	var holes atomic.Pointer[holeMap]
	open := func() (io.ReadCloser, error) {
		st := &readState{stats: b.stats}
		last.Store(st)
		f, err := b.fs.open(src, st0)
		if err != nil {
			return nil, st.fail(&sourceError{fmt.Errorf("open: %w", err)})
		}
		if sparse {
			m, err := findHoles(f, size)
			if err != nil {
				f.Close()
				return nil, st.fail(&sourceError{fmt.Errorf("seek: %w", err)})
			}
			holes.Store(&m)
		}
		var rc io.ReadCloser = &fileReader{f: f, st: st, limit: limit}
		if compress {
			if rc, err = newXZReader(ctx, rc, size, b.opts.XZ.DictCap, b.xz); err != nil {
				return nil, err
			}
		}
		return &sentReader{ReadCloser: rc, st: st}, nil
	}
	release, err := b.flights.acquire(ctx, contentID(size, c.enc, head))
	if err != nil {
		return c, err
	}
	cap, err := b.grid.PutFile(ctx, open, putSize)
	release()
	st := last.Load()
	if err != nil {
		if st != nil && st.err() != nil {
			return c, st.err() // the source's fault, whatever the grid made of it
		}
		return c, fmt.Errorf("upload: %w", err)
	}
	if st == nil {
		return c, errors.New("upload: the grid never opened the file")
	}
	c.cap, c.size = cap, st.in.Load()
	if m := holes.Load(); m != nil {
		c.holes = *m
	}
	if compress {
		b.stats.compressedIn.Add(st.in.Load())
		b.stats.compressed.Add(st.out.Load())
	}
	return c, nil
}

// head reads the first n bytes of the file (fewer if it shrank meanwhile:
// the upload's own read notices that): the sample the probe deflates and
// the flight table's content identity.
func (b *build) head(src entryAt, want *unix.Stat_t, n int64) ([]byte, error) {
	f, err := b.fs.open(src, want)
	if err != nil {
		return nil, &sourceError{fmt.Errorf("open: %w", err)}
	}
	defer f.Close()
	buf := make([]byte, n)
	st := &readState{stats: b.stats}
	got, err := io.ReadFull(&fileReader{f: f, st: st, limit: -1}, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	return buf[:got], nil
}

// readLIT reads a file of at most maxLIT bytes and computes its LIT cap.
// One byte more is read to notice growth; a file that grew past maxLIT in
// the final attempt is uploaded as a normal file.
func (b *build) readLIT(ctx context.Context, src entryAt, want *unix.Stat_t, final bool) (content, error) {
	size := want.Size
	f, err := b.fs.open(src, want)
	if err != nil {
		return content{}, &sourceError{fmt.Errorf("open: %w", err)}
	}
	st := &readState{stats: b.stats}
	data, err := io.ReadAll(io.LimitReader(&fileReader{f: f, st: st, limit: -1}, maxLIT+1))
	f.Close()
	if err != nil {
		return content{}, err
	}
	if int64(len(data)) != size && !final {
		return content{}, errChanged
	}
	if len(data) > maxLIT {
		return b.upload(ctx, src, want, false, true)
	}
	return content{cap: b.grid.LIT(data), size: int64(len(data))}, nil
}

// readFailed classifies an error from reading or uploading a file: source
// problems skip the entry, anything else ends the run.
func (b *build) readFailed(n *node, err error) error {
	var se *sourceError
	if errors.As(err, &se) {
		return b.sourceProblem(n, err)
	}
	return fmt.Errorf("uploader: %s: %w", pathesc.Escape(n.path), err)
}

// sourceProblem records a source error: a vanished entry is skipped, an
// unreadable one failed. Either way it is left out of its directory.
func (b *build) sourceProblem(n *node, err error) error {
	kind := ProblemFailed
	if vanished(err) {
		kind = ProblemSkipped
	}
	b.problem(n, kind, reason(err))
	n.omit = true
	return nil
}

func (b *build) problem(n *node, kind ProblemKind, why string) {
	n.dirty = true // not faithful: the next run must look again
	p := Problem{Kind: kind, Path: pathesc.Escape(n.path), Reason: why}
	b.stats.problem(p)
	b.log.Warn("entry "+string(kind), "path", p.Path, "reason", why)
}

// symlink uploads the link target as the content of a filenode (a LIT cap
// when it is at most 55 bytes). Its metadata has no mode: the original
// tool's symlink marker.
func (b *build) symlink(ctx context.Context, n *node) error {
	src, err := b.at(n)
	if err != nil {
		return b.sourceProblem(n, err)
	}
	st, err := b.statAs(n, src, fsmeta.TypeSymlink)
	if err != nil {
		return b.sourceProblem(n, err)
	}
	target, err := b.fs.readlink(src)
	if err != nil {
		return b.sourceProblem(n, &sourceError{fmt.Errorf("readlink: %w", err)})
	}
	m := n.meta
	m.MtimeNs = st.Mtim.Nano()
	b.sameAsWalk(n, st.Size, m.MtimeNs)
	n.edge = treeformat.Edge{Meta: m, Hardlink: n.hardlink}
	if len(target) <= maxLIT {
		n.cap = b.grid.LIT([]byte(target))
		b.stats.filesLIT.Add(1)
		return nil
	}
	key := symlinkKey(b.opts.SourcePattern, n.path, target)
	obj, ok, err := b.reuse(ctx, key, nil)
	if err != nil {
		return err
	}
	if ok {
		n.cap, n.lease = obj.Cap, obj.RenewedAt
		b.stats.filesReused.Add(1)
		return nil
	}
	open := func() (io.ReadCloser, error) { return io.NopCloser(&stringReader{s: target, stats: b.stats}), nil }
	release, err := b.flights.acquire(ctx, symlinkContentID(target))
	if err != nil {
		return err
	}
	n.cap, err = b.grid.PutFile(ctx, open, int64(len(target)))
	release()
	if err != nil {
		return fmt.Errorf("uploader: %s: upload symlink target: %w", pathesc.Escape(n.path), err)
	}
	b.stats.filesUploaded.Add(1)
	n.lease = b.opts.Now()
	return b.record(key, Object{Cap: n.cap}, false)
}

// special records a FIFO, socket or device node: an empty LIT filenode
// whose metadata carries the full mode (and rdev). It is never opened.
func (b *build) special(n *node) {
	n.cap = b.grid.LIT(nil)
	n.edge = treeformat.Edge{Meta: n.meta, Hardlink: n.hardlink}
	b.stats.filesLIT.Add(1)
}

// stringReader reads a symlink target, counting it as read and sent.
type stringReader struct {
	s     string
	off   int
	stats *counters
}

func (s *stringReader) Read(p []byte) (int, error) {
	if s.off == len(s.s) {
		return 0, io.EOF
	}
	n := copy(p, s.s[s.off:])
	s.off += n
	s.stats.bytesRead.Add(int64(n))
	s.stats.bytesSent.Add(int64(n))
	return n, nil
}
