package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/lafs-backup/lafs-backup/entrycache"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/resultfile"
)

// CleanupOptions say where a backup's results were delivered.
type CleanupOptions struct {
	// LinkDir is append_to_lafs_dir (a mutable directory); zero = none.
	LinkDir lafsapi.Cap
	// LinkName gives the name a backup was linked under in LinkDir.
	LinkName func(name string, gen int64) string
	// ResultFile is append_to_file; "" = none.
	ResultFile string
	Log        *slog.Logger // nil = discard
}

// CleanupResult is what a cleanup did.
type CleanupResult struct {
	Removed []entrycache.Backup
	// Failed are backups left in place because their link could not be
	// removed (the grid answered with an error); a rerun retries them.
	Failed       []entrycache.Backup
	CacheRows    int64 // cache rows deleted
	LinksRemoved int
	LinksLeft    int // links that point to another backup, or to a cap a kept backup holds
	LinesRemoved int // append_to_file lines
}

// Cleanup carries out p. For each backup to remove, in this order (so that
// a crash at any point leaves what a rerun completes):
//
//  1. its link in LinkDir is removed, but only while it still points to the
//     backup's cap and no kept backup holds that cap;
//  2. append_to_file is rewritten (atomically, under its lock) without the
//     lines of removed generations and the lines holding a removed cap
//     (lines without a generation are the original tool's), except lines
//     whose cap a kept backup holds;
//  3. the cache generations of p are deleted, then the backups rows.
//
// Nothing on the grid but the links is touched: data nobody renews expires.
// Call it under the cache lock. grid may be nil when LinkDir is zero.
func Cleanup(ctx context.Context, db *entrycache.DB, grid Grid, p CleanupPlan, o CleanupOptions) (CleanupResult, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var res CleanupResult
	keptCaps := map[string]bool{}
	for _, b := range p.Keep {
		keptCaps[b.Cap] = true
	}
	remove, err := unlinkAll(ctx, grid, p.Remove, keptCaps, o, log, &res)
	if err != nil {
		return res, err
	}
	for _, b := range res.Failed {
		keptCaps[b.Cap] = true
	}
	if o.ResultFile != "" && len(remove) > 0 {
		n, err := rewriteResults(o.ResultFile, remove, keptCaps)
		if err != nil {
			return res, err
		}
		res.LinesRemoved = n
	}
	gens := slices.DeleteFunc(slices.Clone(p.Generations), func(g int64) bool {
		return slices.ContainsFunc(res.Failed, func(b entrycache.Backup) bool { return b.Generation == g })
	})
	if len(gens) > 0 {
		n, err := db.DeleteGenerations(ctx, gens)
		if err != nil {
			return res, err
		}
		res.CacheRows = n
	}
	for _, b := range remove {
		if err := db.DeleteBackup(ctx, b.ID); err != nil && !errors.Is(err, entrycache.ErrNotFound) {
			return res, fmt.Errorf("forget backup of generation %d: %w", b.Generation, err)
		}
		res.Removed = append(res.Removed, b)
	}
	return res, nil
}

// unlinkAll removes the links of the backups and returns those that may go
// on to be forgotten.
func unlinkAll(ctx context.Context, grid Grid, backups []entrycache.Backup, keptCaps map[string]bool,
	o CleanupOptions, log *slog.Logger, res *CleanupResult) ([]entrycache.Backup, error) {
	if o.LinkDir.IsZero() {
		return backups, nil
	}
	var ok []entrycache.Backup
	for _, b := range backups {
		name := o.LinkName(b.Name, b.Generation)
		switch err := unlinkOne(ctx, grid, o.LinkDir, name, b, keptCaps); {
		case err == nil:
			ok = append(ok, b)
			res.LinksRemoved++
		case errors.Is(err, errLinkLeft):
			res.LinksLeft++
			log.Info("cleanup: link left alone", "name", name, "generation", b.Generation, "why", err.Error())
			ok = append(ok, b)
		case ctx.Err() != nil:
			return nil, ctx.Err()
		default:
			res.Failed = append(res.Failed, b)
			log.Error("cleanup: backup kept: its link could not be removed", "name", name, "generation", b.Generation, "err", err)
		}
	}
	return ok, nil
}

var errLinkLeft = errors.New("link left alone")

// unlinkOne removes b's link, or says why it is left (errLinkLeft).
func unlinkOne(ctx context.Context, grid Grid, dir lafsapi.Cap, name string, b entrycache.Backup, keptCaps map[string]bool) error {
	if keptCaps[b.Cap] {
		return fmt.Errorf("%w: a kept backup has the same cap", errLinkLeft)
	}
	c, err := lafsapi.ParseCap(b.Cap)
	if err != nil {
		return fmt.Errorf("%w: the recorded cap is not valid", errLinkLeft)
	}
	err = grid.Unlink(ctx, dir, name, c)
	switch {
	case lafsapi.IsConflict(err):
		return fmt.Errorf("%w: it points to another backup", errLinkLeft)
	case lafsapi.IsNotFound(err):
		return fmt.Errorf("%w: there is no such link", errLinkLeft)
	}
	return err
}

// rewriteResults drops the removed backups' lines from append_to_file.
func rewriteResults(path string, removed []entrycache.Backup, keptCaps map[string]bool) (int, error) {
	gens := map[int64]bool{}
	caps := map[string]bool{}
	for _, b := range removed {
		gens[b.Generation] = true
		caps[b.Cap] = true
	}
	// A cap no kept backup holds may go with any line: that also clears a
	// line an earlier cleanup had to leave because a then kept backup
	// shared its cap.
	return resultfile.Rewrite(path, func(l resultfile.Line) bool {
		return !keptCaps[l.Cap] && ((l.Generation != 0 && gens[l.Generation]) || caps[l.Cap])
	})
}
