package uploader

import (
	"errors"
	"io"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/treeformat"
)

// Sparse files (docs/uploader.md, Sparse files): the content is read as
// it is, holes as zeros, so the cap is that of a dense file with the same
// bytes; the holes go into the edge (treeformat KeySparse) for restore to
// recreate.

// mayBeSparse is the cheap test before looking for holes: fewer bytes
// allocated than the file's size.
func mayBeSparse(st *unix.Stat_t) bool { return st.Size > 0 && st.Blocks*512 < st.Size }

// holeMap is what a file's edge records of its holes.
type holeMap struct {
	holes  []treeformat.Hole
	sparse bool // holes found: listed, or more than treeformat.MaxHoles (holes nil)
}

// seeker is what findHoles needs of an open source file (*os.File).
type seeker interface {
	Seek(offset int64, whence int) (int64, error)
}

// findHoles lists the holes in the first size bytes of the open file r
// with SEEK_DATA and SEEK_HOLE, and seeks back to its start. A file that
// cannot say (not seekable, a filesystem without the calls) has none; an
// error comes only from the seek back, which the read would need.
func findHoles(r io.Reader, size int64) (holeMap, error) {
	s, ok := r.(seeker)
	if !ok {
		return holeMap{}, nil
	}
	m := scanHoles(s, size)
	_, err := s.Seek(0, io.SeekStart)
	return m, err
}

func scanHoles(s seeker, size int64) holeMap {
	var hs []treeformat.Hole
	for off := int64(0); off < size; {
		data, err := s.Seek(off, unix.SEEK_DATA)
		switch {
		case errors.Is(err, unix.ENXIO): // no data after off: a hole to the end
			data = size
		case err != nil:
			return holeMap{}
		}
		data = min(data, size)
		if data > off {
			if len(hs) == treeformat.MaxHoles {
				return holeMap{sparse: true}
			}
			hs = append(hs, treeformat.Hole{Off: off, Len: data - off})
		}
		if data >= size {
			break
		}
		hole, err := s.Seek(data, unix.SEEK_HOLE)
		if err != nil || hole <= data {
			return holeMap{}
		}
		off = hole
	}
	return holeMap{holes: hs, sparse: len(hs) > 0}
}

// holesOf opens the file src (the inode st describes) and lists its
// holes, for a file reused from the cache (not otherwise opened): its edge
// must list them as the upload's did. A file it cannot open or seek gets
// none: restored dense.
func (b *build) holesOf(src entryAt, st *unix.Stat_t) holeMap {
	f, err := b.fs.open(src, st)
	if err != nil {
		return holeMap{}
	}
	defer f.Close()
	m, _ := findHoles(f, st.Size)
	return m
}
