package lifecycle

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/entrycache"
	"github.com/lafs-backup/lafs-backup/lafsapi"
)

// targetsOf records a backup per root and returns them as check targets,
// newest last.
func targetsOf(t *testing.T, db *entrycache.DB, roots []lafsapi.Cap, t0 time.Time) []Target {
	var ts []Target
	for i, r := range roots {
		b := recordBackup(t, db, "s", "snap", r, t0.Add(time.Duration(i)*time.Hour), "obj"+r.Secret())
		ts = append(ts, Target{Cap: r, Backup: &b})
	}
	return ts
}

func backupsByGen(t *testing.T, db *entrycache.DB) map[int64]entrycache.Backup {
	bs, err := db.Backups(context.Background(), entrycache.BackupFilter{})
	if err != nil {
		t.Fatal(err)
	}
	m := map[int64]entrycache.Backup{}
	for _, b := range bs {
		m[b.Generation] = b
	}
	return m
}

func TestCheckRenewMarksEachBackupByItsOwnTree(t *testing.T) {
	ctx := context.Background()
	db := tempDB(t)
	f := newFakeGrid(t)
	roots, _, distinct := generations(t, f, 3)
	// Generation 1's own new file is unhealthy: only backup 1 is sick.
	kids := f.dirs[roots[0].Secret()]
	tree := f.dirs[kids["snap"].Secret()]
	f.SetHealth(tree["new0"], lafsapi.CheckResult{Summary: "Not Healthy: 3 shares", Recoverable: true, SharesGood: 3})
	mutable, _ := lafsapi.ParseCap("URI:DIR2:" + b32(1, 26) + ":" + b32(2, 52))
	targets := targetsOf(t, db, roots, time.Now().Add(-24*time.Hour))
	rows := map[string]lafsapi.Cap{"leftover": newCap(t, false)}
	for g, r := range roots {
		name := fmt.Sprintf("new%d", g)
		rows[name] = f.dirs[f.dirs[r.Secret()]["snap"].Secret()][name]
	}
	putRows(t, db, rows)
	at := time.Now().Add(time.Hour) // later than the rows' upload time
	var c collect
	res, err := Check(ctx, f.c, db, targets, CheckOptions{Mode: ModeRenew, AddLease: true, Jobs: 2,
		Mutable: []lafsapi.Cap{mutable}, Report: c.add, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Objects != int64(distinct) || res.Unhealthy != 1 || !res.Proved {
		t.Errorf("result %+v", res)
	}
	if f.deep() != 1 {
		t.Errorf("%d deep-checks, want 1 (the newest backup)", f.deep())
	}
	if f.counts("check")[mutable.Secret()] != 1 {
		t.Error("the mutable directory's lease was not renewed")
	}
	if got := c.sorted(); len(got) != 1 || !strings.HasPrefix(got[0], "0 unhealthy snap/new0") {
		t.Errorf("problems %q", got)
	}
	m := backupsByGen(t, db)
	for gen, b := range m {
		if !b.CheckedAt.Equal(at) || !b.LeasesRenewedAt.Equal(at) {
			t.Errorf("gen %d: checked %v renewed %v", gen, b.CheckedAt, b.LeasesRenewedAt)
		}
		if healthy := !b.HealthyAt.IsZero(); healthy != (gen != 1) {
			t.Errorf("gen %d: healthy_at %v", gen, b.HealthyAt)
		}
	}
	// Cache rows are marked by cap: every object of the trees, the
	// unhealthy one too (its lease was renewed on the shares there are);
	// a row whose object no tree holds (a resumed run's leftover) is not,
	// whatever its generation.
	for name, want := range map[string]bool{"new0": true, "new1": true, "new2": true, "leftover": false} {
		o, _, _ := db.Lookup(ctx, entrycache.Key([]byte(name)))
		if renewed := o.RenewedAt.Equal(at); renewed != want {
			t.Errorf("cache row %s: renewed_at %v, want marked %v", name, o.RenewedAt, want)
		}
	}
}

// putRows records one cache row per name with the given cap, in a run of
// its own (the generation plays no part in the marks).
func putRows(t *testing.T, db *entrycache.DB, rows map[string]lafsapi.Cap) {
	t.Helper()
	ctx := context.Background()
	run, _, err := db.BeginRun(ctx, "s", false)
	if err != nil {
		t.Fatal(err)
	}
	b := db.NewBatch(run)
	for name, c := range rows {
		if err := b.Put(entrycache.Object{Key: entrycache.Key([]byte(name)), Cap: c.Secret(), Kind: entrycache.KindFile}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestCheckDeepOneFailureDoesNotPoisonTheNext(t *testing.T) {
	ctx := context.Background()
	db := tempDB(t)
	f := newFakeGrid(t)
	roots, _, _ := generations(t, f, 3)
	f.gone(roots[1].Secret()) // the gateway cannot read backup 2
	targets := targetsOf(t, db, roots, time.Now().Add(-time.Hour))
	at := time.Now()
	var c collect
	res, err := Check(ctx, f.c, db, targets, CheckOptions{Mode: ModeDeep, AddLease: true, Report: c.add, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	if f.deep() != 3 {
		t.Errorf("%d deep-checks", f.deep())
	}
	want := []Flags{0, FlagUnrecoverable | FlagIncomplete, 0}
	for i, fl := range res.Flags {
		if fl != want[i] {
			t.Errorf("target %d flags %v, want %v", i, fl, want[i])
		}
	}
	// Backup 2 counts as renewed all the same (add-lease ran; nothing
	// failed), so that check -a moves on to another backup (SPEC 10.2).
	m := backupsByGen(t, db)
	if b := m[2]; !b.CheckedAt.Equal(at) || !b.HealthyAt.IsZero() || !b.LeasesRenewedAt.Equal(at) {
		t.Errorf("backup 2 marks %+v", b)
	}
	for _, g := range []int64{1, 3} {
		if b := m[g]; !b.HealthyAt.Equal(at) || !b.LeasesRenewedAt.Equal(at) {
			t.Errorf("backup %d marks %+v", g, b)
		}
	}
	if got := c.sorted(); len(got) != 1 || got[0] != "1 unreadable " {
		t.Errorf("problems %q", got)
	}
}

func TestCheckWithoutLeaseMarksNoRenewal(t *testing.T) {
	ctx := context.Background()
	db := tempDB(t)
	f := newFakeGrid(t)
	roots, _, _ := generations(t, f, 2)
	targets := targetsOf(t, db, roots, time.Now().Add(-time.Hour))
	if _, err := Check(ctx, f.c, db, targets, CheckOptions{Mode: ModeRenew, LeasesOnly: true}); err != nil {
		t.Fatal(err)
	}
	if f.deep() != 0 {
		t.Error("LeasesOnly still deep-checked")
	}
	for _, o := range f.checkOpts() {
		if o.AddLease {
			t.Fatal("add-lease sent")
		}
	}
	for g, b := range backupsByGen(t, db) {
		if b.HealthyAt.IsZero() || !b.LeasesRenewedAt.IsZero() {
			t.Errorf("gen %d: %+v", g, b)
		}
	}
}

func TestGetFreshness(t *testing.T) {
	ctx := context.Background()
	db := tempDB(t)
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	b1 := recordBackup(t, db, "s", "a", newCap(t, true), now.Add(-10*24*time.Hour))
	recordBackup(t, db, "s", "a", newCap(t, true), now.Add(-2*24*time.Hour))
	if err := db.MarkLeasesRenewed(ctx, b1.ID, now.Add(-5*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	fr, err := GetFreshness(ctx, db, now)
	if err != nil {
		t.Fatal(err)
	}
	if fr.NewestAge != 48*time.Hour || fr.RenewAge != 5*24*time.Hour || fr.OldestRenew.ID != b1.ID {
		t.Errorf("%+v", fr)
	}
}

// TestCheckMarksRowsOfRenewedObjectsOnly: in both modes, the row of an
// unrecoverable object keeps its time (the next backup re-checks and
// re-uploads it), the rows of the renewed objects move, and a subtree row
// moves only when its whole subtree was renewed.
func TestCheckMarksRowsOfRenewedObjectsOnly(t *testing.T) {
	for _, mode := range []CheckMode{ModeRenew, ModeDeep} {
		ctx := context.Background()
		db := tempDB(t)
		f := newFakeGrid(t)
		roots, shared, _ := generations(t, f, 1)
		lost := shared[0]
		f.SetHealth(lost, lafsapi.CheckResult{Summary: "Unrecoverable", SharesGood: 1})
		targets := targetsOf(t, db, roots, time.Now().Add(-time.Hour))
		putRows(t, db, map[string]lafsapi.Cap{"lost": lost, "fine": shared[5]})
		at := time.Now().Add(time.Hour)
		res, err := Check(ctx, f.c, db, targets, CheckOptions{Mode: mode, AddLease: true, Now: func() time.Time { return at }})
		if err != nil {
			t.Fatal(err)
		}
		if mode == ModeRenew {
			sharedDir := f.dirs[f.dirs[roots[0].Secret()]["snap"].Secret()]["shared"]
			d0, d1 := f.dirs[sharedDir.Secret()]["d0"], f.dirs[sharedDir.Secret()]["d1"]
			for c, want := range map[lafsapi.Cap]bool{d0: false, sharedDir: false, roots[0]: false, d1: true} {
				if got := res.leases.subtree(c.Secret()); got != want {
					t.Errorf("subtree renewed = %v, want %v", got, want)
				}
			}
		}
		for name, want := range map[string]bool{"lost": false, "fine": true} {
			o, _, _ := db.Lookup(ctx, entrycache.Key([]byte(name)))
			if o.RenewedAt.Equal(at) != want {
				t.Errorf("mode %d: row %s renewed_at %v, want marked %v", mode, name, o.RenewedAt, want)
			}
		}
	}
}
