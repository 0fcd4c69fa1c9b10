package restore

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ulikunitz/xz"

	"github.com/lafs-backup/lafs-backup/treeformat"
)

// fetchAttempts is how often a file's download is tried: the client
// retries only until the gateway starts answering, so a connection lost
// mid-file is retried here, from the start.
const fetchAttempts = 3

// errLocal marks an error of the local side (writing the file), which a
// new download would not cure.
type errLocal struct{ err error }

func (e errLocal) Error() string { return e.err.Error() }
func (e errLocal) Unwrap() error { return e.err }

// openContent downloads e's content and decodes it (enc: xz). The caller
// closes the result.
func openContent(ctx context.Context, g Grid, e entry) (io.ReadCloser, error) {
	rc, err := g.Download(ctx, e.node.Cap)
	if err != nil {
		return nil, err
	}
	if e.enc != "xz" {
		return rc, nil
	}
	// The reader allocates the dictionary the stream asks for; start from
	// the smallest so small files stay cheap, and let the guard refuse a
	// stream that asks for more than the file can need (docs/restore.md).
	guarded := guardXZ(rc, dictLimit(e.size))
	xr, err := xz.ReaderConfig{DictCap: 4096}.NewReader(bufio.NewReaderSize(guarded, 64<<10))
	if err != nil {
		guarded.Close()
		rc.Close()
		return nil, fmt.Errorf("xz: %w", err)
	}
	return readCloser{xr, []io.Closer{guarded, rc}}, nil
}

type readCloser struct {
	io.Reader
	closers []io.Closer
}

func (r readCloser) Close() error {
	var errs []error
	for _, c := range r.closers {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// fetchFile writes e's content to f, retrying a failed download from the
// start, and returns the number of bytes written.
func fetchFile(ctx context.Context, g Grid, e entry, f *os.File, progress func(int64)) (int64, error) {
	var err error
	for attempt := 1; attempt <= fetchAttempts; attempt++ {
		if attempt > 1 {
			if err := rewind(f); err != nil {
				return 0, err
			}
		}
		var n int64
		n, err = fetchOnce(ctx, g, e, f, progress)
		var local errLocal
		if err == nil || ctx.Err() != nil || errors.As(err, &local) {
			return n, err
		}
	}
	return 0, err
}

func fetchOnce(ctx context.Context, g Grid, e entry, f *os.File, progress func(int64)) (int64, error) {
	src, err := openContent(ctx, g, e)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	switch {
	case len(e.holes) > 0:
		return copyHoles(f, src, e.holes, progress)
	case e.sparse:
		return copySparse(f, src, progress)
	}
	return copyPlain(f, src, progress)
}

func rewind(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return errLocal{err}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return errLocal{err}
	}
	return nil
}

const copyBuf = 128 << 10

func copyPlain(f *os.File, src io.Reader, progress func(int64)) (int64, error) {
	buf := make([]byte, copyBuf)
	var total int64
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			if _, err := f.Write(buf[:n]); err != nil {
				return total, errLocal{err}
			}
			total += int64(n)
			progress(int64(n))
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

// holeBlock is the unit copySparse leaves as a hole when all zero.
const holeBlock = 4096

// copySparse writes src to f leaving every all-zero aligned block as a
// hole, then sets the size (a trailing hole has no data to write).
func copySparse(f *os.File, src io.Reader, progress func(int64)) (int64, error) {
	return copyAt(f, src, progress, func(b []byte, off int64) error { return writeSparse(f, b, off) })
}

// copyHoles writes src to f leaving the recorded holes unwritten (a range
// of a hole that is not all zeros is written: the content wins over the
// map), then sets the size, so the file gets the source's layout.
func copyHoles(f *os.File, src io.Reader, holes []treeformat.Hole, progress func(int64)) (int64, error) {
	return copyAt(f, src, progress, func(b []byte, off int64) (err error) {
		holes, err = writeAround(f, b, off, holes)
		return err
	})
}

// copyAt reads src in pieces of copyBuf, hands each to write with its
// offset, then sets f's size to what was read.
func copyAt(f *os.File, src io.Reader, progress func(int64), write func(b []byte, off int64) error) (int64, error) {
	buf := make([]byte, copyBuf)
	var total int64
	for {
		n, rerr := io.ReadFull(src, buf)
		if n > 0 {
			if err := write(buf[:n], total); err != nil {
				return total, errLocal{err}
			}
			total += int64(n)
			progress(int64(n))
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return total, rerr
		}
	}
	if err := f.Truncate(total); err != nil {
		return total, errLocal{err}
	}
	return total, nil
}

// writeAround writes b, the bytes at offset off, but for the parts inside
// holes that are all zeros, and returns the holes not passed yet.
func writeAround(f *os.File, b []byte, off int64, holes []treeformat.Hole) ([]treeformat.Hole, error) {
	end := off + int64(len(b))
	for off < end {
		for len(holes) > 0 && holes[0].Off+holes[0].Len <= off {
			holes = holes[1:]
		}
		next := end // the end of the data run, or of the hole, at off
		inHole := len(holes) > 0 && holes[0].Off <= off
		switch {
		case inHole:
			next = min(end, holes[0].Off+holes[0].Len)
		case len(holes) > 0:
			next = min(end, holes[0].Off)
		}
		part := b[:next-off]
		if !inHole || !allZero(part) {
			if _, err := f.WriteAt(part, off); err != nil {
				return holes, err
			}
		}
		b, off = b[next-off:], next
	}
	return holes, nil
}

// writeSparse writes the non-zero blocks of b at offset off (a multiple of
// holeBlock).
func writeSparse(f *os.File, b []byte, off int64) error {
	for i := 0; i < len(b); i += holeBlock {
		blk := b[i:min(i+holeBlock, len(b))]
		if allZero(blk) {
			continue
		}
		if _, err := f.WriteAt(blk, off+int64(i)); err != nil {
			return err
		}
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// maxLinkTarget is the longest symlink target Linux accepts.
const maxLinkTarget = 4095

// readLinkTarget downloads a symlink's target (its file content).
func readLinkTarget(ctx context.Context, g Grid, e entry) (string, error) {
	var err error
	for attempt := 1; attempt <= fetchAttempts; attempt++ {
		var target string
		target, err = readLinkOnce(ctx, g, e)
		if err == nil || ctx.Err() != nil {
			return target, err
		}
	}
	return "", err
}

func readLinkOnce(ctx context.Context, g Grid, e entry) (string, error) {
	src, err := openContent(ctx, g, e)
	if err != nil {
		return "", err
	}
	defer src.Close()
	b, err := io.ReadAll(io.LimitReader(src, maxLinkTarget+1))
	if err != nil {
		return "", err
	}
	switch {
	case len(b) == 0:
		return "", errLocal{errors.New("symlink with an empty target")}
	case len(b) > maxLinkTarget:
		return "", errLocal{errors.New("symlink target longer than 4095 bytes")}
	case bytes.IndexByte(b, 0) >= 0:
		return "", errLocal{errors.New("symlink target contains NUL")}
	}
	return string(b), nil
}
