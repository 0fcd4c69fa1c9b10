package uploader

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Defaults used when the corresponding Options field is zero.
const (
	DefaultJobs       = 8
	DefaultDictCap    = 8 << 20  // largest xz dictionary
	MinDictCap        = 64 << 10 // smallest xz dictionary
	DefaultXZMemory   = 24 << 20 // estimated bytes all xz writers may hold at once
	DefaultProbeRatio = 0.9      // flate ratio above which a file is not compressed
)

// XZOptions tunes xz compression.
type XZOptions struct {
	// DictCap is the largest dictionary; each file gets the next power of
	// two of its size, clamped to [MinDictCap, DictCap]. 0 means
	// DefaultDictCap. It is part of the cache key of compressed files.
	DictCap int
	// MemoryLimit bounds the estimated memory of the xz writers running at
	// once (about 6 bytes per dictionary byte). 0 means DefaultXZMemory.
	MemoryLimit int64
	// ProbeRatio: a file whose first 128 KiB deflate (BestSpeed) to more
	// than this fraction of their size is uploaded uncompressed. 0 means
	// DefaultProbeRatio; 1 or more disables the probe's veto.
	ProbeRatio float64
}

// Options configures an Uploader. Root, Name and SourcePattern are
// required.
type Options struct {
	// Root is the source directory (the picked match); entry paths are
	// relative to it. It is part of no cache key.
	Root string
	// Name is the backup name: the name of the single child of the root
	// wrapper. "" means "root" (the basename of "/").
	Name string
	// SourcePattern is the configured source.path pattern (not the picked
	// match). It is part of every cache key, so snapshots of one source
	// dedup and different sources sharing a cache never do.
	SourcePattern string
	// Jobs is the number of entries processed (and uploads in flight) at
	// once. 0 means DefaultJobs.
	Jobs int
	// Window bounds the entries read but not finished. 0 means 64 * Jobs.
	Window int
	// Compress decides, from the path rules and the size, whether a file
	// of more than 55 bytes is to be xz-compressed. nil means never.
	Compress func(rel string, size int64) bool
	XZ       XZOptions
	// DisableDedup uploads every object even when the cache knows it; what
	// is uploaded is still Put into the cache.
	DisableDedup bool
	// TrustWindow: a cache row whose object was renewed longer ago than
	// this is checked with Grid.Renew before it is reused, and uploaded
	// again if unhealthy. 0 trusts rows forever.
	TrustWindow time.Duration
	// Now returns the current time (tests). nil means time.Now. It is also
	// the moment a file's read begins for the racy rule (racy.go).
	Now func() time.Time
	// Logger receives warnings about entries and noise-level progress.
	// nil discards.
	Logger *slog.Logger
	// LinkCandidates, when set, says whether a multiply-linked file's
	// (dev, ino) may have another link inside this walk; only those are
	// kept in the hardlink table. Snapshots made with rsync --link-dest
	// have nearly every file linked to older snapshots, outside the walk:
	// without this the table holds a path per file. nil keeps every one.
	LinkCandidates func(dev, ino uint64) bool
	// WalkStarted is when phase one started the walk that wrote the
	// entries, set only when they are that fresh walk of this run (not a
	// queue reused from an earlier one). It enables subtree rows: a
	// directory whose subtree is clean is recorded under its subtree key,
	// and RunFrom reuses an unchanged subtree by that key without looking
	// at what is inside (docs/uploader.md). Entries whose mtime or ctime
	// is within RacyMargin before it are too new to be recorded so. Zero
	// disables both.
	WalkStarted time.Time
	// RefusedWait is how long to wait, once nothing else is left to do,
	// before retrying the objects the storage servers refused (ErrRefused).
	// 0 means DefaultRefusedWait; negative: no wait.
	RefusedWait time.Duration
}

// RacyMargin: an entry changed less than this before the walk started
// (or a file before phase two began to read it) may change again within
// the same timestamp tick after it was read (coarse clocks: jiffies, 1 s
// or 2 s filesystems), unseen; a subtree holding one is not recorded, nor
// is such a file's cache row (git's "racily clean" rule; docs/uploader.md,
// Racy files and ctime).
const RacyMargin = 2 * time.Second

func (o Options) withDefaults() (Options, error) {
	var errs []error
	if o.Root == "" {
		errs = append(errs, errors.New("uploader: Options.Root is empty"))
	}
	if o.SourcePattern == "" {
		errs = append(errs, errors.New("uploader: Options.SourcePattern is empty"))
	}
	if o.Jobs < 0 || o.Window < 0 || o.XZ.DictCap < 0 || o.XZ.MemoryLimit < 0 || o.XZ.ProbeRatio < 0 {
		errs = append(errs, errors.New("uploader: negative Jobs, Window or XZ setting"))
	}
	if o.XZ.DictCap != 0 && o.XZ.DictCap < MinDictCap {
		errs = append(errs, fmt.Errorf("uploader: XZ.DictCap %d is below the minimum %d", o.XZ.DictCap, MinDictCap))
	}
	if strings.ContainsAny(o.Name, "/\x00") || o.Name == "." || o.Name == ".." {
		errs = append(errs, fmt.Errorf("uploader: Options.Name %q is not a usable directory name", o.Name))
	}
	if len(errs) > 0 {
		return o, errors.Join(errs...)
	}
	if o.Name == "" {
		o.Name = "root"
	}
	if o.Jobs == 0 {
		o.Jobs = DefaultJobs
	}
	if o.Window == 0 {
		o.Window = 64 * o.Jobs
	}
	if o.Compress == nil {
		o.Compress = func(string, int64) bool { return false }
	}
	if o.XZ.DictCap == 0 {
		o.XZ.DictCap = DefaultDictCap
	}
	if o.XZ.MemoryLimit == 0 {
		o.XZ.MemoryLimit = DefaultXZMemory
	}
	if o.XZ.ProbeRatio == 0 {
		o.XZ.ProbeRatio = DefaultProbeRatio
	}
	if o.RefusedWait == 0 {
		o.RefusedWait = DefaultRefusedWait
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}
