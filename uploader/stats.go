package uploader

import (
	"sync"
	"sync/atomic"
	"time"
)

// MaxProblems is how many problem entries Stats lists; the counts stay
// exact beyond it.
const MaxProblems = 1000

// Stats describes a run so far (Uploader.Stats) or a finished run (Run).
type Stats struct {
	Entries       int64 // entries read from the stream
	FilesUploaded int64 // files and symlinks sent with PutFile
	FilesReused   int64 // files and symlinks whose cap came from the cache
	FilesLIT      int64 // files, symlinks and special files of at most 55 bytes: LIT caps computed locally
	// FilesTooNew counts files uploaded but not recorded in the cache:
	// changed within RacyMargin of their read, they are read again next run.
	FilesTooNew int64
	DirsCreated int64 // directories (and the wrapper) sent with Mkdir
	DirsReused  int64 // directories (and the wrapper) whose cap came from the cache
	// WrapperCreated and WrapperReused say what became of the root
	// wrapper (neither before it is built): the one directory of
	// DirsCreated or DirsReused that is not a directory of the source.
	WrapperCreated, WrapperReused bool
	Renewed                       int64 // cached objects whose lease was renewed before reuse
	BytesRead                     int64 // bytes read from source files (all attempts)
	BytesSent                     int64 // bytes handed to the grid (after compression, all attempts)
	CompressedIn                  int64 // original bytes of files uploaded xz-compressed
	CompressedOut                 int64 // their compressed bytes
	Skipped                       int64 // entries gone since the walk (vanished, changed type): left out
	Failed                        int64 // entries that could not be read: left out
	Changed                       int64 // files that kept changing while read: uploaded as last read
	// SetAside counts objects the storage servers refused (ErrRefused),
	// set aside and retried at the end of the run; Refused those refused
	// again: left out of their directory (the next run uploads them).
	SetAside, Refused int64
	// SubtreesReused counts directories reused with their whole subtree
	// by one subtree key; their entries count in Entries, and their files
	// and directories in FilesReused and DirsReused, without a lookup.
	SubtreesReused   int64
	SubtreesRecorded int64 // subtree rows written
	// Problems lists the skipped, failed, changed and refused entries (the first
	// MaxProblems of them).
	Problems []Problem
	Duration time.Duration
	// Current is the escaped path of the entry most recently read.
	Current string
}

// Incomplete says whether entries were skipped, failed, kept changing or
// were refused by the storage servers: the backup is made but not
// faithful (exit code 3).
func (s Stats) Incomplete() bool { return s.Skipped+s.Failed+s.Changed+s.Refused > 0 }

// ProblemKind classifies a Problem.
type ProblemKind string

// Problem kinds.
const (
	ProblemSkipped ProblemKind = "skipped"
	ProblemFailed  ProblemKind = "failed"
	ProblemChanged ProblemKind = "changed"
	ProblemRefused ProblemKind = "refused"
)

// Problem is one entry that is missing from the backup or not faithful.
type Problem struct {
	Kind   ProblemKind
	Path   string // escaped relative path
	Reason string
}

// What became of the wrapper (counters.wrapper).
const (
	wrapperCreated = 1
	wrapperReused  = 2
)

// counters is the live, concurrently updated form of Stats.
type counters struct {
	entries, filesUploaded, filesReused, filesLIT  atomic.Int64
	filesTooNew                                    atomic.Int64
	dirsCreated, dirsReused, renewed               atomic.Int64
	bytesRead, bytesSent, compressedIn, compressed atomic.Int64
	skipped, failed, changed, refused, setAside    atomic.Int64
	subtreesReused, subtreesRecorded               atomic.Int64
	wrapper                                        atomic.Int32 // 0, wrapperCreated or wrapperReused

	peakPending int // most unfinished nodes at once (driver only; tests)

	escape func(string) string // renders current for Stats (pathesc.Escape); nil: as is

	mu       sync.Mutex
	problems []Problem
	current  string // raw path, escaped only when a snapshot asks
	start    time.Time
	end      time.Time
}

func (c *counters) problem(p Problem) {
	switch p.Kind {
	case ProblemSkipped:
		c.skipped.Add(1)
	case ProblemFailed:
		c.failed.Add(1)
	case ProblemChanged:
		c.changed.Add(1)
	case ProblemRefused:
		c.refused.Add(1)
	}
	c.mu.Lock()
	if len(c.problems) < MaxProblems {
		c.problems = append(c.problems, p)
	}
	c.mu.Unlock()
}

func (c *counters) setCurrent(p string) {
	c.mu.Lock()
	c.current = p
	c.mu.Unlock()
}

func (c *counters) snapshot(now time.Time) Stats {
	s := Stats{
		Entries:          c.entries.Load(),
		FilesUploaded:    c.filesUploaded.Load(),
		FilesReused:      c.filesReused.Load(),
		FilesLIT:         c.filesLIT.Load(),
		FilesTooNew:      c.filesTooNew.Load(),
		DirsCreated:      c.dirsCreated.Load(),
		DirsReused:       c.dirsReused.Load(),
		WrapperCreated:   c.wrapper.Load() == wrapperCreated,
		WrapperReused:    c.wrapper.Load() == wrapperReused,
		Renewed:          c.renewed.Load(),
		BytesRead:        c.bytesRead.Load(),
		BytesSent:        c.bytesSent.Load(),
		CompressedIn:     c.compressedIn.Load(),
		CompressedOut:    c.compressed.Load(),
		Skipped:          c.skipped.Load(),
		Failed:           c.failed.Load(),
		Changed:          c.changed.Load(),
		SetAside:         c.setAside.Load(),
		Refused:          c.refused.Load(),
		SubtreesReused:   c.subtreesReused.Load(),
		SubtreesRecorded: c.subtreesRecorded.Load(),
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s.Problems = append([]Problem(nil), c.problems...)
	s.Current = c.current
	if c.escape != nil && s.Current != "" {
		s.Current = c.escape(s.Current)
	}
	if !c.start.IsZero() {
		end := c.end
		if end.IsZero() {
			end = now
		}
		s.Duration = end.Sub(c.start)
	}
	return s
}
