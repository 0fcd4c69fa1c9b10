package restore

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/lafs-backup/lafs-backup/fsmeta"
)

// Options configure Run.
type Options struct {
	// Target is the local directory that receives the restored tree. It
	// is created when missing; it must be empty unless Force.
	Target string
	// SubPath restores one subtree or one entry of the backup ("" = all),
	// as a "/"-separated path of local (raw) names. A directory's content
	// goes into Target, which takes the directory's metadata; a file,
	// symlink or special file is restored into Target under its own name.
	SubPath string
	// Force restores into a non-empty Target: existing directories are
	// merged into, existing non-directories where the backup has an entry
	// are replaced. A symlink or file where the backup has a directory is
	// never followed nor replaced: that entry is refused.
	Force bool
	// NoOwner never sets owners. Without it owners are set when the
	// process runs as root (and never otherwise).
	NoOwner bool
	// NumericOwner: ids are used as recorded and user or group names are
	// never looked up; an ACL that names users or groups (trees written by
	// the original tool) is reported instead of applied.
	NumericOwner bool
	// Resolver maps names in ACLs to ids; nil uses /etc/passwd and
	// /etc/group.
	Resolver *fsmeta.Resolver
	// Jobs is the number of files downloaded at once; default 4.
	Jobs int
	// Logger gets per-path lines at noise level and failures at debug
	// (they are returned in Stats.Failed); nil discards.
	Logger *slog.Logger
	// Progress, if set, is told about each entry and each byte written.
	Progress Progress
}

// Progress receives restore and verify progress. Its methods are called
// from several goroutines and must not block.
type Progress interface {
	// Entry: an entry (raw relative path) was done; failed says whether it
	// was reported as a failure.
	Entry(path string, failed bool)
	// Bytes: n more bytes of content were written (restore) or hashed
	// (verify).
	Bytes(n int64)
}

type noProgress struct{}

func (noProgress) Entry(string, bool) {}
func (noProgress) Bytes(int64)        {}

func (o *Options) setDefaults() {
	if o.Jobs <= 0 {
		o.Jobs = 4
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Progress == nil {
		o.Progress = noProgress{}
	}
	if o.Resolver == nil {
		o.Resolver = fsmeta.NewResolver("")
	}
}

// Stats counts what a restore did.
type Stats struct {
	Format    Format
	Name      string // the backup's name (format 1)
	Files     int64  // regular files written (hardlinks not included)
	Dirs      int64  // directories created or merged into, Target included
	Symlinks  int64
	Hardlinks int64 // extra links to a file already restored
	// LinkCopies counts hardlink members written as separate copies
	// because the kernel refused the link (each also logged as a warning).
	LinkCopies int64
	Special    int64 // FIFOs, sockets, device nodes
	Bytes      int64 // content bytes written (after decompression)
	// Failed lists the entries not restored, or restored without some
	// of their metadata, each with the reason, in the order they failed.
	Failed []Failure
}

// Failure is one entry that could not be restored (or verified) fully.
type Failure struct {
	Path string // raw path relative to the restored top ("" = the top)
	Err  error
}

func (f Failure) Error() string {
	return fmt.Sprintf("%s: %v", displayPath(f.Path), f.Err)
}

// isRoot reports whether the process can set owners and make devices.
func isRoot() bool { return os.Geteuid() == 0 }
