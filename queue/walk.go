package queue

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/internal/logx"
	"github.com/lafs-backup/lafs-backup/internal/pathesc"
)

// BuildOptions configure WriteFile's walk.
type BuildOptions struct {
	Selection      // what is left out
	Xattrs    bool // record xattrs other than ACLs and caps (fsmeta.Options.Xattrs)
	Logger    *slog.Logger
	FS        FS        // nil: OS
	Started   time.Time // header start time; zero: now
	// Readers is how many goroutines read one directory's metadata at
	// once; 0 means DefaultReaders. The FS must allow concurrent Reads.
	Readers int
}

// DefaultReaders is the default BuildOptions.Readers.
const DefaultReaders = 4

// Stats count what a walk did.
type Stats struct {
	Entries  int64 // written to the queue, root included
	Dirs     int64
	Files    int64 // regular files
	Symlinks int64
	Specials int64         // FIFOs, sockets, devices recorded
	Bytes    int64         // total size of the regular files
	Skipped  int64         // left out by the filter, options or SkipPaths
	Errors   int64         // unreadable or vanished entries, skipped
	Failures []Failure     // the first MaxFailures of them
	Duration time.Duration // of the whole WriteFile
	// Links is Survey.Links for the queue written: phase two need not
	// read it once more to survey it (see SurveyFile).
	Links  func(dev, ino uint64) bool
	prints []uint64 // fingerprints of the multiply-linked entries
}

// MaxFailures bounds Stats.Failures.
const MaxFailures = 100

// Failure is one entry the walk could not record.
type Failure struct {
	Path string // relative, raw bytes (Escape it to print)
	Err  error
}

// walker writes the entries below one root, children before parents.
type walker struct {
	ctx     context.Context
	fs      FS
	w       *Writer
	o       *BuildOptions
	log     *slog.Logger
	meta    fsmeta.Options
	sel     *selector
	rootDev uint64
	workers int // goroutines reading metadata
	st      *Stats
}

// dir writes the entries below the directory rel (at abs, open as d),
// then rel itself. Only errors that must stop the walk are returned.
func (wk *walker) dir(rel, abs string, d Dir, m fsmeta.Meta) error {
	if err := wk.ctx.Err(); err != nil {
		return err
	}
	ents, err := d.List()
	if err != nil {
		if rel == "" {
			return fmt.Errorf("queue: read source root: %w", err)
		}
		wk.fail(rel, err)
		return nil
	}
	slices.SortFunc(ents, func(a, b DirEntry) int { return strings.Compare(b.Name, a.Name) })
	ps := wk.selectNames(rel, abs, ents)
	wk.readAll(abs, d, ps)
	for i := range ps {
		if i&1023 == 1023 && wk.ctx.Err() != nil { // huge directories
			return wk.ctx.Err()
		}
		if err := wk.child(rel, abs, d, &ps[i]); err != nil {
			return err
		}
	}
	return wk.emit(rel, m)
}

// pending is a name of a directory on its way to the queue.
type pending struct {
	name   string
	listed fsmeta.Type // type from the listing, 0 if unknown
	m      fsmeta.Meta
	err    error
}

// selectNames drops the names that need no lstat: the contents of a
// tagged cache directory, the entry cache's files, and names the filter
// excludes by their listed type.
func (wk *walker) selectNames(rel, abs string, ents []DirEntry) []pending {
	tagged := wk.sel.tagged(abs, ents)
	ps := make([]pending, 0, len(ents))
	for _, e := range ents {
		crel := join(rel, e.Name)
		switch {
		case tagged && e.Name != cacheDirTagName:
			wk.skipped(crel, "in a directory with "+cacheDirTagName)
		case wk.sel.ownFile(abs, e.Name):
			wk.skipped(crel, "the entry cache's or the queue's own file")
		case e.Type != 0 && !wk.included(crel, e.Type == fsmeta.TypeDir):
		default:
			ps = append(ps, pending{name: e.Name, listed: e.Type})
		}
	}
	return ps
}

// readAll reads the metadata of ps relative to their directory d, with a
// few goroutines when there are many: the walk is bound by
// fstatat/listxattrat latency, not CPU. A path longer than PATH_MAX is an
// error, as phase two could not open it (docs/phase-one.md).
func (wk *walker) readAll(abs string, d Dir, ps []pending) {
	read := func(p *pending) {
		if len(abs)+1+len(p.name) >= unix.PathMax {
			p.err = &fs.PathError{Op: "lstat", Path: p.name, Err: unix.ENAMETOOLONG}
			return
		}
		p.m, p.err = d.Read(p.name, wk.meta)
	}
	workers := min(wk.workers, len(ps)/8)
	if workers <= 1 {
		for i := range ps {
			read(&ps[i])
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(ps)); i = next.Add(1) - 1 {
				read(&ps[i])
			}
		})
	}
	wg.Wait()
}

// child records one name of the directory d whose metadata was read.
func (wk *walker) child(dirRel, dirAbs string, d Dir, p *pending) error {
	rel := join(dirRel, p.name)
	if p.err != nil {
		wk.fail(rel, p.err)
		return nil
	}
	m := p.m
	isDir := m.Type == fsmeta.TypeDir
	if (p.listed == 0 || (p.listed == fsmeta.TypeDir) != isDir) && !wk.included(rel, isDir) {
		return nil
	}
	switch m.Type {
	case fsmeta.TypeDir:
		if wk.sel.OneFileSystem && m.Dev != wk.rootDev {
			wk.log.Info("not crossing into another filesystem", "path", pathesc.Escape(rel))
			return wk.emit(rel, m)
		}
		return wk.subdir(rel, joinAbs(dirAbs, p.name), d, p.name, m)
	case fsmeta.TypeFile, fsmeta.TypeSymlink:
		return wk.emit(rel, m)
	}
	if wk.sel.skipsSpecial(m.Type) {
		wk.skipped(rel, "special file ("+m.Type.String()+")")
		return nil
	}
	return wk.emit(rel, m)
}

// subdir opens the directory name of parent and walks it; one that
// cannot be opened is reported and left out.
func (wk *walker) subdir(rel, abs string, parent Dir, name string, m fsmeta.Meta) error {
	d, err := parent.OpenDir(name)
	if err != nil {
		wk.fail(rel, err)
		return nil
	}
	defer d.Close()
	return wk.dir(rel, abs, d, m)
}

func (wk *walker) included(rel string, isDir bool) bool {
	out, rule := wk.sel.filtered(rel, isDir)
	if out {
		wk.st.Skipped++
		if wk.log.Enabled(wk.ctx, logx.LevelNoise) {
			wk.log.Log(wk.ctx, logx.LevelNoise, "excluded", "path", pathesc.Escape(rel), "rule", rule+1)
		}
	}
	return !out
}

func (wk *walker) emit(rel string, m fsmeta.Meta) error {
	if err := wk.w.Write(Entry{Path: rel, Meta: m}); err != nil {
		return err
	}
	st := wk.st
	st.Entries++
	switch m.Type {
	case fsmeta.TypeDir:
		st.Dirs++
	case fsmeta.TypeFile:
		st.Files++
		st.Bytes += m.Size
	case fsmeta.TypeSymlink:
		st.Symlinks++
	default:
		st.Specials++
	}
	if m.Nlink > 1 && m.Type != fsmeta.TypeDir {
		st.prints = append(st.prints, fingerprint(m.Dev, m.Ino))
	}
	return nil
}

func (wk *walker) skipped(rel, why string) {
	wk.st.Skipped++
	if wk.log.Enabled(wk.ctx, logx.LevelNoise) {
		wk.log.Log(wk.ctx, logx.LevelNoise, "skipped", "path", pathesc.Escape(rel), "reason", why)
	}
}

// fail records an entry that could not be read; the walk goes on.
func (wk *walker) fail(rel string, err error) {
	wk.st.Errors++
	if len(wk.st.Failures) < MaxFailures {
		wk.st.Failures = append(wk.st.Failures, Failure{Path: rel, Err: err})
	}
	wk.log.Warn("skipped unreadable entry", "path", pathesc.Escape(rel), "reason", reason(err))
}

// reason is the errno text of err when it has one (the path is logged
// separately, escaped), else the whole message.
func reason(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}

func joinAbs(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}
