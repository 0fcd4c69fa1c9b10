package queue

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/internal/atomicfile"
	"github.com/lafs-backup/lafs-backup/internal/pathesc"
)

// WriteFile walks the directory source and writes its queue to path:
// to a temporary file in path's directory (mode 0600), fsynced, renamed
// over path, and the directory fsynced, so path is always either the old
// queue or a complete new one.
//
// A symlink given as source is followed (only there); nothing below it
// is. Entries that cannot be read are logged, counted in Stats.Errors and
// left out; the walk goes on. An error is returned only when no queue
// could be written: the source root unreadable, the queue not writable,
// or ctx cancelled.
func WriteFile(ctx context.Context, path, source string, o BuildOptions) (Stats, error) {
	start := time.Now()
	st, err := writeFile(ctx, path, source, &o)
	st.Duration = time.Since(start)
	if err == nil {
		st.Links = linkGroups(st.prints)
	}
	st.prints = nil
	return st, err
}

func writeFile(ctx context.Context, path, source string, o *BuildOptions) (Stats, error) {
	var st Stats
	wk := newWalker(ctx, o, &st)
	root, rootMeta, err := wk.openRoot(source)
	if err != nil {
		return st, err
	}
	if o.Started.IsZero() {
		o.Started = time.Now()
	}
	src, _ := filepath.Abs(source)
	err = atomicWrite(path, func(f *os.File) error {
		wk.sel.skipPath(path) // a queue kept inside the source is not backed up
		wk.sel.skipPath(f.Name())
		bw := bufio.NewWriterSize(f, 256<<10)
		w, err := NewWriter(bw, Header{Version: Version, Source: src, Started: o.Started})
		if err != nil {
			return err
		}
		wk.w = w
		d, err := wk.fs.OpenDir(root)
		if err != nil {
			return fmt.Errorf("queue: read source root: %w", err)
		}
		defer d.Close()
		if err := wk.dir("", root, d, rootMeta); err != nil {
			return err
		}
		w.SetSummary(Summary{Errors: st.Errors, Skipped: st.Skipped})
		if err := w.Close(); err != nil {
			return err
		}
		return bw.Flush()
	})
	return st, err
}

func newWalker(ctx context.Context, o *BuildOptions, st *Stats) *walker {
	wk := &walker{ctx: ctx, fs: o.FS, o: o, log: o.Logger, st: st,
		meta: fsmeta.Options{Xattrs: o.Xattrs}}
	wk.workers = o.Readers
	if wk.workers <= 0 {
		wk.workers = DefaultReaders
	}
	if wk.fs == nil {
		wk.fs = OS{}
	}
	if wk.log == nil {
		wk.log = slog.New(slog.DiscardHandler)
	}
	wk.sel = newSelector(o.Selection, wk.fs)
	return wk
}

// openRoot resolves the source (following a symlink there only) and reads
// its metadata; it must be a directory.
func (wk *walker) openRoot(source string) (string, fsmeta.Meta, error) {
	root := realPath(source)
	m, err := wk.fs.Read(root, wk.meta)
	if err != nil {
		return "", m, fmt.Errorf("queue: source: %w", err)
	}
	if m.Type != fsmeta.TypeDir {
		return "", m, fmt.Errorf("queue: source %s is a %v, not a directory", pathesc.Escape(source), m.Type)
	}
	wk.rootDev = m.Dev
	return root, m, nil
}

// realPath makes p absolute and resolves symlinks in its directories (and
// in p itself), so paths compare by what they point at. Parts that do not
// exist are kept as they are.
func realPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r
	}
	if d, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(d, filepath.Base(abs))
	}
	return abs
}

// atomicWrite writes the queue to path in one step (internal/atomicfile),
// 0600: it holds the source's paths.
func atomicWrite(path string, write func(*os.File) error) error {
	if err := atomicfile.Write(path, 0o600, write); err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	return nil
}
