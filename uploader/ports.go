package uploader

import (
	"context"
	"io"
	"time"

	"github.com/lafs-backup/lafs-backup/fsmeta"
)

// Entry is one phase-one entry: the raw path relative to the source root
// (components joined by "/", no leading "/", "" for the root itself; any
// bytes, possibly invalid UTF-8) and the metadata phase one recorded.
type Entry struct {
	Path string
	Meta fsmeta.Meta
}

// Entries is the stream of phase-one entries, children before their parent
// and the root "" last. Next returns io.EOF after the last entry. Run calls
// Close when it is done with the stream.
type Entries interface {
	Next() (Entry, error)
	Close() error
}

// Child is one child of an immutable directory: its cap (a plain string
// inside this package; never logged) and its edge metadata.
type Child struct {
	Dir      bool
	Cap      string
	Metadata map[string]any
}

// Grid is what the uploader needs from a Tahoe gateway. Implementations
// must be safe for concurrent use.
//
// PutFile uploads an immutable file (PUT /uri). size is the exact number of
// bytes the reader yields, or -1 when unknown. open is called once per
// attempt (again on a retry); PutFile must Close every reader it opened,
// and must return errors that came from open or from reading the body
// wrapped (errors.Is/As must still find them), preferably without retrying
// them: they are local problems with the source file, not grid problems.
type Grid interface {
	PutFile(ctx context.Context, open func() (io.ReadCloser, error), size int64) (cap string, err error)
	// Mkdir creates an immutable directory (POST /uri?t=mkdir-immutable);
	// an empty map is sent as {}.
	Mkdir(ctx context.Context, children map[string]Child) (cap string, err error)
	// Renew checks an object and adds a lease (t=check&add-lease=true).
	Renew(ctx context.Context, cap string) (healthy bool, err error)
	// LIT returns the URI:LIT: cap of data (len(data) <= 55), computed
	// locally with no request.
	LIT(data []byte) string
}

// Object is a cache row: the cap of an object on the grid, its encoding
// ("xz" or ""), the incompressibility probe's ratio (0 when not probed) and
// when the object was last uploaded or had its lease renewed.
type Object struct {
	Cap       string
	Enc       string
	Probe     float64
	RenewedAt time.Time
	Seen      Seen // files: what the row remembers of its file
}

// Seen is what a file's cache row remembers of the file it was last read
// or reused for: the source tree (an identity of the root directory, not
// a path) and the file's ctime. The zero Seen is unknown (rows written by
// an older version). A lookup in the same tree whose ctime differs is a
// miss (docs/uploader.md, Racy files and ctime).
type Seen struct {
	Tree    int64
	CtimeNs int64
}

// Subtree is a subtree cache row: the cap of a directory whose whole
// subtree had the metadata its key hashes (see subtree.go), the entries
// below it (itself included), and the oldest lease renewal among the
// objects inside when it was recorded.
type Subtree struct {
	Cap       string
	Entries   int64
	RenewedAt time.Time
}

// Cache is the entry cache as the uploader sees it. Keys are opaque hashes
// (see keys.go); caps live only in Object and Subtree. The uploader
// serialises its calls, so implementations need not be safe for
// concurrent use.
type Cache interface {
	Lookup(key [32]byte) (Object, bool, error)
	// Use marks a reused row as used by this run's generation; renewed says
	// its lease was just renewed (RenewedAt becomes now); a nonzero seen
	// replaces what the row remembers of its file (Object.Seen).
	Use(key [32]byte, renewed bool, seen Seen) error
	// Put records an object uploaded (or created) in this run.
	Put(key [32]byte, obj Object, dir bool) error
	// LookupSubtree, UseSubtree and PutSubtree are the same for subtree
	// rows. Using one marks only it, not the rows inside (docs/cache.md,
	// Subtrees).
	LookupSubtree(key [32]byte) (Subtree, bool, error)
	UseSubtree(key [32]byte) error
	PutSubtree(key [32]byte, s Subtree) error
	// Flush commits what has been Put and Used so far. Called after a
	// directory when the last call is at least 250 ms ago (flushEvery), and
	// at the end of Run, also an interrupted one.
	Flush() error
}
