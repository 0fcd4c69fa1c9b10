package uploader

import (
	"hash/fnv"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// Racy files and ctime (docs/uploader.md). A file's cache key trusts size
// and mtime, but a write that lands within the same timestamp tick as the
// one the file had when it was read leaves both as they were ("racy git").
// So a file whose mtime is within RacyMargin of the moment its read began
// is uploaded but not recorded, and the next run reads it again. Within
// one source tree the row also remembers the ctime, which moves on every
// change, mtime restored or not, and which no user can set back: a row
// whose file has another ctime now is not reused. A ctime within
// RacyMargin of the read is not remembered as such: the row then holds 0,
// which differs from every ctime, so the next run in the same tree reads
// the file again; in another tree (a new snapshot, whose links or copies
// all have new ctimes) it is reused by size and mtime.

// fileState is what phase two's stat of a file says for the cache.
type fileState struct {
	seen Seen // what a row made from this read remembers
	now  Seen // the file as it is: compared with a row's Seen
	racy bool // mtime too recent: not recorded at all
}

func (b *build) fileState(st *unix.Stat_t, readStart time.Time) *fileState {
	start := readStart.UnixNano()
	f := &fileState{
		now:  Seen{Tree: b.treeID, CtimeNs: st.Ctim.Nano()},
		racy: nearTo(st.Mtim.Nano(), start),
	}
	f.seen = f.now
	if nearTo(f.now.CtimeNs, start) {
		f.seen.CtimeNs = 0
	}
	if b.treeID == 0 {
		f.seen, f.now = Seen{}, Seen{}
	}
	return f
}

// trusted says whether the read may be remembered as it is: a reused row
// then takes it over (otherwise it keeps what it had).
func (f *fileState) trusted() bool { return !f.racy && f.seen == f.now }

// nearTo says whether a timestamp is within RacyMargin of t, either side.
// A timestamp further in the future (a file from a machine with a clock
// ahead, a date set by touch) is not racy: a write now would stamp the
// present, which differs from it.
func nearTo(ts, t int64) bool {
	d := ts - t
	return d > -int64(RacyMargin) && d < int64(RacyMargin)
}

// changedSince says whether a row that remembers row was made from
// another version of this file: same tree, another ctime. Across trees
// (another snapshot directory) the ctime says nothing: rsync --link-dest
// gives each unchanged file a new one (the new link), cp -a a new inode.
func (f *fileState) changedSince(row Seen) bool {
	return row.Tree != 0 && row.Tree == f.now.Tree && row.CtimeNs != f.now.CtimeNs
}

// treeOf identifies the source tree by its root directory's device and
// inode (the root as given, a symlink followed): the same live tree from
// run to run, another one for each new snapshot directory, even behind a
// fixed path or symlink. 0 when the root cannot be stat'ed: no row is
// then compared by ctime.
func treeOf(root string) int64 {
	var st unix.Stat_t
	if err := unix.Stat(root, &st); err != nil {
		return 0
	}
	h := fnv.New64a()
	h.Write(strconv.AppendUint(nil, uint64(st.Dev), 10)) //nolint:unconvert // differs per arch
	h.Write([]byte{':'})
	h.Write(strconv.AppendUint(nil, st.Ino, 10))
	id := int64(h.Sum64())
	if id == 0 {
		id = 1
	}
	return id
}
