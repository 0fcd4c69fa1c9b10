package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lafs-backup/lafs-backup/direct"
	"github.com/lafs-backup/lafs-backup/entrycache"
	"github.com/lafs-backup/lafs-backup/internal/debugsock"
	"github.com/lafs-backup/lafs-backup/internal/pathesc"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/queue"
	"github.com/lafs-backup/lafs-backup/resultfile"
	"github.com/lafs-backup/lafs-backup/uploader"
)

// lockedBackup is one backup after the lock is taken and the grid accepted.
type lockedBackup struct {
	e         *env
	o         backupOptions
	db        *entrycache.DB
	client    *lafsapi.Client
	direct    *direct.Client // destination.direct.node_dir; nil = uploads through the gateway
	source    string
	queuePath string

	cur     entrycache.Run
	resumed bool
	reused  bool // the queue was not written by this run
	unknown bool // ... and does not say whether its walk had errors
	qstats  queue.Stats
	// walked is when this run's phase one started: zero when the queue
	// was reused, whose entries are then only hints.
	walked time.Time
	survey queue.Survey
}

func (b *lockedBackup) do(ctx context.Context) error {
	cfg := b.e.Config
	run, resumed, err := b.db.BeginRun(ctx, cfg.Source.Path, cfg.Operation.TryResume)
	if err != nil {
		return err
	}
	b.cur, b.resumed = run, resumed
	if resumed {
		b.e.Log.Warn("resuming an unfinished run", "generation", run.Generation)
	}
	recorded := false
	err = b.phases(ctx, &recorded)
	if err != nil && !recorded {
		b.endRun(ctx, err)
	}
	return err
}

// phases runs both phases and records the backup; recorded says whether
// the backups row (which finishes the run) was written.
func (b *lockedBackup) phases(ctx context.Context, recorded *bool) error {
	if err := b.phaseOne(ctx); err != nil {
		return err
	}
	rootCap, st, err := b.phaseTwo(ctx)
	if err != nil {
		return err
	}
	return b.finish(ctx, rootCap, st, recorded)
}

// endRun records the end of a run that made no backup: interrupted when
// it was stopped (by a signal: the context), failed otherwise, so list -g
// tells it from a live run (docs/cache.md, Runs). The run stays resumable.
func (b *lockedBackup) endRun(ctx context.Context, cause error) {
	status := entrycache.StatusFailed
	if ctx.Err() != nil || isCancel(cause) {
		status = entrycache.StatusInterrupted
	}
	if err := b.db.FinishRun(context.WithoutCancel(ctx), b.cur, status); err != nil {
		b.e.Log.Warn("recording the end of the run", "status", status, "err", err)
	}
}

// phaseOne writes the queue unless one may be reused: --reuse-queue, or
// resuming an unfinished run of the same source (docs/operations.md, Order of a run).
func (b *lockedBackup) phaseOne(ctx context.Context) error {
	reuse := b.o.reuseQueue.Given
	if !reuse && b.resumed && !b.o.force {
		ok, err := queue.Reusable(b.queuePath, b.source)
		if err != nil {
			b.e.Log.Info("not reusing the queue of the resumed run", "reason", err)
		}
		reuse = ok && err == nil
	}
	if reuse {
		b.e.Log.Info("reusing the queue", "path", b.queuePath)
		b.reused = true
		return nil
	}
	b.walked = time.Now()
	st, err := writeQueue(ctx, b.e, b.queuePath, b.source)
	b.qstats = st
	return err
}

// walkOfReusedQueue takes what the walk left out from the queue's
// trailer, so that a reused queue makes the same backup (ok or partial,
// the same summary) as a fresh walk would (docs/queue-format.md, Trailer).
// A queue older than format 3 does not say: the backup is partial.
func (b *lockedBackup) walkOfReusedQueue(sv queue.Survey) {
	if sv.Walk == nil {
		b.unknown = true
		b.e.Log.Warn("the reused queue predates format 3 and does not record its walk's errors; the backup is recorded partial (walk again with -f)",
			"path", b.queuePath)
		return
	}
	b.qstats.Errors, b.qstats.Skipped = sv.Walk.Errors, sv.Walk.Skipped
}

func (b *lockedBackup) phaseTwo(ctx context.Context) (string, uploader.Stats, error) {
	cfg := b.e.Config
	opts, err := uploaderOptions(cfg, b.e, b.source, backupName(b.source), b.o.jobs)
	if err != nil {
		return "", uploader.Stats{}, err
	}
	// Only (dev, ino) pairs linked twice inside this walk need the
	// hardlink table (rsync --link-dest trees link nearly every file to
	// older snapshots). The walk found them as it wrote the queue; a
	// reused queue is surveyed.
	sv, err := b.surveyQueue()
	if err != nil {
		return "", uploader.Stats{}, err
	}
	opts.LinkCandidates, b.survey = sv.Links, sv
	if b.reused {
		b.walkOfReusedQueue(sv)
	}
	// A queue this run wrote is the tree as it was moments ago: the
	// uploader may then reuse unchanged subtrees by their metadata alone.
	opts.WalkStarted = b.walked
	cache := &cachePort{ctx: context.WithoutCancel(ctx), batch: b.db.NewBatch(b.cur), now: time.Now}
	up, err := uploader.New(b.uploadGrid(), cache, opts)
	if err != nil {
		return "", uploader.Stats{}, err
	}
	stop := startProgress(ctx, b.e, up.Stats)
	if sock := cfg.Operation.DebugSocket; sock != "" {
		stopSock, err := debugsock.Serve(sock, func() any { return progressObject(up.Stats()) })
		if err != nil {
			b.e.Log.Warn("debug socket not started", "err", err)
		} else {
			defer stopSock()
		}
	}
	rootCap, st, err := up.RunFrom(ctx, func() (uploader.Entries, error) {
		r, err := queue.Open(b.queuePath)
		if err != nil {
			return nil, err
		}
		return queueEntries{r}, nil
	})
	stop()
	if cerr := cache.Flush(); err == nil && cerr != nil {
		err = fmt.Errorf("committing the entry cache: %w", cerr)
	}
	if err != nil {
		printSummary(b.e, b.summary("", st, nil))
		return "", st, err
	}
	return rootCap, st, nil
}

// surveyQueue returns the survey of the queue: from the walk that wrote it
// in this run, else read from the file.
func (b *lockedBackup) surveyQueue() (queue.Survey, error) {
	if st := b.qstats; !b.walked.IsZero() && st.Links != nil {
		return queue.Survey{Entries: st.Entries, Files: st.Files, Bytes: st.Bytes, Links: st.Links}, nil
	}
	return queue.SurveyFile(b.queuePath)
}

// finish records the backup, delivers the cap to every configured
// destination and prints the summary. A failed destination makes the run
// partial (exit 3), never loses the cap: it is in the backups table.
func (b *lockedBackup) finish(ctx context.Context, rootCap string, st uploader.Stats, recorded *bool) error {
	cfg := b.e.Config
	status := entrycache.StatusOK
	partial := st.Incomplete() || b.qstats.Errors > 0 || b.unknown
	if partial {
		status = entrycache.StatusPartial
	}
	name := backupName(b.source)
	now := time.Now()
	rec, err := b.db.RecordBackup(ctx, b.cur, entrycache.Backup{
		Name: name, Source: cfg.Source.Path, Path: b.source, Generation: b.cur.Generation, Cap: rootCap,
		Started: b.cur.Started, Finished: now,
		Entries: st.Entries, Files: b.survey.Files, Bytes: b.survey.Bytes,
		Status: status, Filter: b.settings(st).JSON(),
	})
	if err != nil {
		return fmt.Errorf("recording the backup: %w", err)
	}
	*recorded = true
	var failed []string
	if err := b.deliver(ctx, rec, now); err != nil {
		b.e.Log.Error("delivering the result", "err", err)
		failed = append(failed, err.Error())
	}
	sum := b.summary(rootCap, st, failed)
	printSummary(b.e, sum)
	if partial || len(failed) > 0 {
		return fmt.Errorf("%w (see the summary)", errPartial)
	}
	return nil
}

// settings are what backup records for verify: the configuration's
// selection, and the entries this run left out.
func (b *lockedBackup) settings(st uploader.Stats) backupSettings {
	s := settingsFromConfig(b.e.Config, b.queuePath)
	for _, f := range b.qstats.Failures {
		s.LeftOut = append(s.LeftOut, pathesc.Escape(f.Path))
	}
	for _, p := range st.Problems {
		switch p.Kind {
		case uploader.ProblemSkipped, uploader.ProblemFailed, uploader.ProblemRefused:
			s.LeftOut = append(s.LeftOut, p.Path)
		}
	}
	return s
}

// deliver prints the cap, appends it to append_to_file and links it into
// append_to_lafs_dir. Every destination is tried; errors are joined.
func (b *lockedBackup) deliver(ctx context.Context, rec entrycache.Backup, at time.Time) error {
	res := b.e.Config.Destination.Result
	if res.PrintToStdout && !b.e.JSON {
		fmt.Fprintln(b.e.Stdout, rec.Cap)
	}
	var errs []error
	if res.AppendToFile != "" {
		l := resultfile.Line{Time: at, Generation: rec.Generation, Source: b.source, Cap: rec.Cap}
		if err := resultfile.Append(res.AppendToFile, l); err != nil {
			errs = append(errs, err)
		}
	}
	if dir := res.AppendToLAFSDir.Value(); dir != "" {
		if err := b.link(ctx, dir, res.LinkNameFor(rec.Name, rec.Generation), rec.Cap); err != nil {
			errs = append(errs, fmt.Errorf("append_to_lafs_dir: %w", err))
		}
	}
	return errors.Join(errs...)
}

func (b *lockedBackup) link(ctx context.Context, dirSpec, name, rootCap string) error {
	dir, err := resolveDirSpec(ctx, b.client, dirSpec)
	if err != nil {
		return err
	}
	c, err := lafsapi.ParseCap(rootCap)
	if err != nil {
		return err
	}
	return b.client.Link(ctx, dir, name, c)
}
