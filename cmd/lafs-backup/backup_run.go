package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/lafs-backup/lafs-backup/config"
	"github.com/lafs-backup/lafs-backup/entrycache"
	"github.com/lafs-backup/lafs-backup/filter"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/queue"
	"github.com/lafs-backup/lafs-backup/source"
	"github.com/lafs-backup/lafs-backup/uploader"
)

// runBackup is the backup command: pick the source, take the lock, phase
// one (unless a queue is reused), phase two, then deliver the result.
func runBackup(ctx context.Context, e *env, o backupOptions) error {
	cfg := e.Config
	applyBackupConfig(cfg, &o)
	if err := cfg.Require("backup", "source.path", "source.queue.path", "source.entry_cache.path"); err != nil {
		return err
	}
	queuePath := cfg.Source.Queue.Path
	for _, f := range []optionalString{o.queueOnly, o.reuseQueue} {
		if f.Given && f.Value != "" {
			queuePath = absPath(f.Value)
		}
	}
	source, err := backupSource(e, o, queuePath)
	if err != nil {
		return err
	}
	unlock, err := entrycache.Lock(ctx, cfg.Source.EntryCache.Path, o.wait)
	if err != nil {
		return lockError(err)
	}
	defer unlock()
	if o.queueOnly.Given {
		_, err := writeQueue(ctx, e, queuePath, source)
		return err
	}
	db, err := entrycache.Open(ctx, cfg.Source.EntryCache.Path, entrycache.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	reportImport(e, db)
	client, err := newClient(e, o.jobs)
	if err != nil {
		return err
	}
	d, node, err := newDirect(e, o.jobs, filepath.Dir(queuePath))
	if err != nil {
		return err
	}
	if d != nil {
		defer d.Close()
	}
	// Every backup asks the gateway who it is before it begins a run, even
	// one that will have nothing to upload: a dead or foreign grid ends it
	// here with nothing recorded (docs/operations.md, Order of a run).
	st, err := checkGrid(ctx, client, db, o.acceptGrid || cfg.Operation.AcceptGrid)
	if err == nil {
		err = sameGrid(cfg, node, st)
	}
	if err != nil {
		return err
	}
	b := &lockedBackup{e: e, o: o, db: db, client: client, direct: d, source: source, queuePath: queuePath}
	return b.do(ctx)
}

// applyBackupConfig merges the operation keys that mirror flags: a flag
// turns a key on, a key set in the config turns the flag on (the original
// let -r silently override operation.try_resume; here either enables it).
func applyBackupConfig(cfg *config.Config, o *backupOptions) {
	op := &cfg.Operation
	o.queueOnly.Given = o.queueOnly.Given || op.QueueOnly
	o.reuseQueue.Given = o.reuseQueue.Given || op.ReuseQueue
	op.TryResume = op.TryResume || o.tryResume
	op.DisableDeduplication = op.DisableDeduplication || o.disableDedup
}

// backupSource picks the directory to back up: the source recorded in a
// queue that --reuse-queue names, else the newest ready match of
// source.path.
func backupSource(e *env, o backupOptions, queuePath string) (string, error) {
	if o.reuseQueue.Given {
		r, err := queue.Open(queuePath)
		if err != nil {
			return "", fmt.Errorf("--reuse-queue: %w", err)
		}
		defer r.Close()
		return r.Header().Source, nil
	}
	src := e.Config.Source
	p, err := source.Pick(src.Path, source.PickOptions{MinAge: src.MinAge.D(), ReadyMarker: src.ReadyMarker, Logger: e.Log})
	if errors.Is(err, source.ErrNoSource) {
		return "", fmt.Errorf("%w: %v", errNoSource, err)
	}
	return p, err
}

// backupName is the basename of the picked source; "/" is named "root".
func backupName(source string) string {
	n := filepath.Base(filepath.Clean(source))
	if n == "/" || n == "." || n == "" {
		return "root"
	}
	return n
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// checkGrid refuses a gateway none of whose connected storage servers the
// cache has seen before (docs/operations.md, Grid identity), unless
// accepted. It returns the gateway's status, for sameGrid.
func checkGrid(ctx context.Context, c *lafsapi.Client, db *entrycache.DB, accept bool) (lafsapi.Status, error) {
	st, err := c.NodeStatus(ctx)
	if err != nil {
		return st, fmt.Errorf("asking the gateway for its storage servers: %w", err)
	}
	if _, err := db.CheckGrid(ctx, st.ConnectedServers(), accept); err != nil {
		if errors.Is(err, entrycache.ErrOtherGrid) {
			return st, &exitError{Code: exitUsage, Err: fmt.Errorf("%w (%v); if this really is the same grid, rerun with --accept-grid", errOtherGrid, err)}
		}
		return st, err
	}
	return st, nil
}

func reportImport(e *env, db *entrycache.DB) {
	if info, ok := db.Imported(); ok {
		e.Log.Warn("imported the backups list of the Python tool's database into a new one", "info", fmt.Sprintf("%+v", info))
	}
}

// writeQueue runs phase one into path and reports it on stderr. It walks
// with the selection backup records for verify (backupSettings).
func writeQueue(ctx context.Context, e *env, path, source string) (queue.Stats, error) {
	s := settingsFromConfig(e.Config, path)
	sel, err := s.selection()
	if err != nil {
		return queue.Stats{}, err
	}
	st, err := queue.WriteFile(ctx, path, source, queue.BuildOptions{Selection: sel, Xattrs: s.Xattrs, Logger: e.Log})
	if err != nil {
		return st, err
	}
	if e.JSON {
		e.jsonLine(map[string]any{"queue": map[string]any{"entries": st.Entries, "dirs": st.Dirs, "files": st.Files,
			"skipped_by_rules": st.Skipped, "errors": st.Errors, "seconds": st.Duration.Seconds()}})
		return st, nil
	}
	fmt.Fprintf(e.Stderr, "queue: %s (%s, %s, %d other), %d skipped by rules, %s, %.1fs\n",
		plural(st.Entries, "entry"), plural(st.Dirs, "directory"), plural(st.Files, "file"), st.Entries-st.Dirs-st.Files,
		st.Skipped, plural(st.Errors, "error"), st.Duration.Seconds())
	return st, nil
}

// compressDecision builds the uploader's xz rule from the config.
func compressDecision(cfg *config.Config) (func(string, int64) bool, error) {
	x := cfg.Destination.Encoding.XZ
	if !x.Enabled {
		return nil, nil
	}
	s, err := filter.ParseSized(config.RuleRows(x.PathFilter), x.MinSizeOr(filter.NoMinSize))
	if err != nil {
		return nil, err
	}
	return func(rel string, size int64) bool {
		ok, _ := s.Decide(rel, size)
		return ok
	}, nil
}

func uploaderOptions(cfg *config.Config, e *env, source, name string, jobs int) (uploader.Options, error) {
	compress, err := compressDecision(cfg)
	if err != nil {
		return uploader.Options{}, err
	}
	if jobs <= 0 {
		jobs = cfg.Operation.Jobs
	}
	return uploader.Options{
		Root: source, Name: name, SourcePattern: cfg.Source.Path,
		Jobs: jobs, Compress: compress,
		XZ:           uploader.XZOptions{DictCap: int(cfg.Destination.Encoding.XZ.Options.DictSize)},
		DisableDedup: cfg.Operation.DisableDeduplication,
		TrustWindow:  cfg.Operation.Trust(),
		Logger:       e.Log,
	}, nil
}
