package entrycache

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func recordN(t *testing.T, db *DB, source, name string, status Status, finished time.Time) Backup {
	t.Helper()
	r, _ := mustBegin(t, db, source, false)
	b, err := db.RecordBackup(context.Background(), r, Backup{
		Name: name, Cap: fmt.Sprintf("URI:DIR2-CHK:%d", r.Generation), Status: status,
		Finished: finished, Entries: 10, Files: 7, Bytes: 1234, Filter: `{"rules":["-/tmp/"]}`,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRecordBackup(t *testing.T) {
	db, _ := tempDB(t)
	ctx := context.Background()
	r, _ := mustBegin(t, db, "/srv/backup.*", false)
	fin := time.Unix(1_700_000_500, 123)
	b, err := db.RecordBackup(ctx, r, Backup{Name: "backup.1", Cap: "URI:DIR2-CHK:1", Status: StatusPartial,
		Finished: fin, Entries: 3, Files: 2, Bytes: 99, Filter: `{"a":1}`})
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.BackupByID(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := Backup{ID: b.ID, Name: "backup.1", Source: "/srv/backup.*", RunID: r.ID, Generation: r.Generation,
		Cap: "URI:DIR2-CHK:1", Started: r.Started, Finished: fin, Entries: 3, Files: 2, Bytes: 99,
		Status: StatusPartial, Filter: `{"a":1}`}
	if fmt.Sprint(got) != fmt.Sprint(want) || !got.Started.Equal(r.Started) || !got.Finished.Equal(fin) {
		t.Errorf("recorded\n%+v\nwant\n%+v", got, want)
	}
	runs, _ := db.Runs(ctx)
	if runs[0].Status != StatusPartial || !runs[0].Finished.Equal(fin) {
		t.Errorf("run not finished with the backup: %+v", runs[0])
	}
	for _, bad := range []Backup{
		{Name: "x", Cap: "c", Status: StatusFailed},
		{Name: "", Cap: "c", Status: StatusOK},
		{Name: "x", Cap: "", Status: StatusOK},
		{Name: "x", Cap: "c", Status: StatusOK, Filter: "{not json"},
	} {
		r, _ := mustBegin(t, db, "/x", false)
		if _, err := db.RecordBackup(ctx, r, bad); err == nil {
			t.Errorf("RecordBackup(%+v) accepted", bad)
		}
	}
}

func TestBackupQueries(t *testing.T) {
	db, _ := tempDB(t)
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2026, 11, d, 3, 0, 0, 0, time.UTC) }
	b1 := recordN(t, db, "/a/*", "a.1", StatusOK, day(1))
	b2 := recordN(t, db, "/a/*", "a.2", StatusPartial, day(3))
	b3 := recordN(t, db, "/b", "b", StatusOK, day(2))
	b4 := recordN(t, db, "/a/*", "a.2", StatusOK, day(4))
	ids := func(bs []Backup) string {
		var s []string
		for _, b := range bs {
			s = append(s, fmt.Sprint(b.ID))
		}
		return strings.Join(s, ",")
	}
	cases := []struct {
		name string
		f    BackupFilter
		want []Backup
	}{
		{"all", BackupFilter{}, []Backup{b1, b2, b3, b4}},
		{"by source", BackupFilter{Source: "/a/*"}, []Backup{b1, b2, b4}},
		{"by name", BackupFilter{Name: "a.2"}, []Backup{b2, b4}},
		{"by cap", BackupFilter{Cap: b3.Cap}, []Backup{b3}},
		{"by generations", BackupFilter{Generations: []int64{b1.Generation, b3.Generation}}, []Backup{b1, b3}},
		{"no generations", BackupFilter{Generations: []int64{}}, nil},
		{"by status", BackupFilter{Statuses: []Status{StatusPartial}}, []Backup{b2}},
		{"finished order", BackupFilter{Order: OrderFinished}, []Backup{b1, b3, b2, b4}},
		{"newest first, limit", BackupFilter{Order: OrderFinished, Desc: true, Limit: 2}, []Backup{b4, b2}},
		{"combined", BackupFilter{Source: "/a/*", Statuses: []Status{StatusOK}}, []Backup{b1, b4}},
	}
	for _, c := range cases {
		got, err := db.Backups(ctx, c.f)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if ids(got) != ids(c.want) {
			t.Errorf("%s: got ids %s, want %s", c.name, ids(got), ids(c.want))
		}
	}
	latest, err := db.LatestBackup(ctx, BackupFilter{Source: "/a/*", Statuses: []Status{StatusOK}})
	if err != nil || latest.ID != b4.ID {
		t.Errorf("LatestBackup(/a/*, ok) = %d, %v; want %d", latest.ID, err, b4.ID)
	}
	latest, _ = db.LatestBackup(ctx, BackupFilter{Name: "b"})
	if latest.ID != b3.ID {
		t.Errorf("LatestBackup(name b) = %d, want %d", latest.ID, b3.ID)
	}
	if _, err := db.LatestBackup(ctx, BackupFilter{Name: "nope"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("LatestBackup of an unknown name: %v", err)
	}
	byGen, err := db.BackupByGeneration(ctx, b2.Generation)
	if err != nil || byGen.ID != b2.ID {
		t.Errorf("BackupByGeneration = %+v, %v", byGen, err)
	}
	if _, err := db.BackupByGeneration(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("BackupByGeneration(999) = %v", err)
	}
}

func TestCheckAndRenewalMarks(t *testing.T) {
	db, _ := tempDB(t)
	ctx := context.Background()
	b1 := recordN(t, db, "/a", "a", StatusOK, time.Unix(1_700_000_000, 0))
	b2 := recordN(t, db, "/a", "a", StatusOK, time.Unix(1_700_100_000, 0))
	b3 := recordN(t, db, "/a", "a", StatusOK, time.Unix(1_700_200_000, 0))
	t1, t2 := time.Unix(1_710_000_000, 0), time.Unix(1_720_000_000, 0)

	if err := db.MarkChecked(ctx, b1.ID, t1, false); err != nil {
		t.Fatal(err)
	}
	got, _ := db.BackupByID(ctx, b1.ID)
	if !got.CheckedAt.Equal(t1) || !got.HealthyAt.IsZero() {
		t.Errorf("unhealthy check marked healthy: %+v", got)
	}
	if err := db.MarkChecked(ctx, b1.ID, t2, true); err != nil {
		t.Fatal(err)
	}
	got, _ = db.BackupByID(ctx, b1.ID)
	if !got.CheckedAt.Equal(t2) || !got.HealthyAt.Equal(t2) {
		t.Errorf("healthy check: %+v", got)
	}

	// check -a: never renewed first (oldest backup first among them), then oldest renewal.
	oldest := func() int64 {
		bs, err := db.Backups(ctx, BackupFilter{Order: OrderLeasesRenewed, Limit: 1})
		if err != nil || len(bs) != 1 {
			t.Fatalf("oldest renewal: %v %v", bs, err)
		}
		return bs[0].ID
	}
	if id := oldest(); id != b1.ID {
		t.Errorf("first pick %d, want %d", id, b1.ID)
	}
	for _, id := range []int64{b1.ID, b3.ID} {
		if err := db.MarkLeasesRenewed(ctx, id, t1); err != nil {
			t.Fatal(err)
		}
	}
	if id := oldest(); id != b2.ID {
		t.Errorf("with b2 never renewed, pick %d, want %d", id, b2.ID)
	}
	db.MarkLeasesRenewed(ctx, b2.ID, t2)
	db.MarkLeasesRenewed(ctx, b1.ID, t2)
	if id := oldest(); id != b3.ID {
		t.Errorf("pick %d, want %d (oldest renewal)", id, b3.ID)
	}

	if err := db.DeleteBackup(ctx, b2.ID); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		db.DeleteBackup(ctx, b2.ID),
		db.MarkChecked(ctx, b2.ID, t1, true),
		db.MarkLeasesRenewed(ctx, b2.ID, t1),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("operation on a deleted backup: %v, want ErrNotFound", err)
		}
	}
	if _, err := db.BackupByID(ctx, b2.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("BackupByID of a deleted backup: %v", err)
	}
}

// list must stay fast with thousands of backups and millions of cache
// rows: every backups query is answered through an index, never a scan of
// objects. Checked through the query planner, not a clock.
func TestBackupQueriesUseIndexes(t *testing.T) {
	db, _ := tempDB(t)
	ctx := context.Background()
	for _, f := range []BackupFilter{
		{Name: "x"}, {Source: "x"}, {Cap: "x"}, {Generations: []int64{1}},
		{Name: "x", Order: OrderFinished, Desc: true, Limit: 1},
		{Order: OrderLeasesRenewed, Limit: 1},
	} {
		where, args := f.where()
		q := `EXPLAIN QUERY PLAN SELECT ` + backupColumns + ` FROM backups` + where + f.orderBy()
		rows, err := db.r.QueryContext(ctx, q, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			rows.Scan(&id, &parent, &notused, &detail)
			plan = append(plan, detail)
		}
		rows.Close()
		p := strings.Join(plan, "; ")
		t.Logf("%+v: %s", f, p)
		if strings.Contains(p, "objects") || (strings.Contains(p, "SCAN backups") && !strings.Contains(p, "USING INDEX")) {
			t.Errorf("filter %+v: plan %q scans", f, p)
		}
	}
}
