package entrycache

import (
	"context"
	"errors"
	"testing"
)

func TestGenerationCounterNeverRepeats(t *testing.T) {
	db, path := tempDB(t)
	ctx := context.Background()
	seen := map[int64]bool{}
	var last Run
	for i := 0; i < 3; i++ {
		r, _ := mustBegin(t, db, "/src", false)
		b := db.NewBatch(r)
		mustPut(t, b, "obj", KindFile)
		mustCommit(t, b)
		if _, err := db.RecordBackup(ctx, r, Backup{Name: "n", Cap: "URI:DIR2-CHK:x", Status: StatusOK}); err != nil {
			t.Fatal(err)
		}
		seen[r.Generation] = true
		last = r
	}
	// Forget everything: the generations' rows, the backups.
	bs, _ := db.Backups(ctx, BackupFilter{})
	for _, b := range bs {
		if err := db.DeleteBackup(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.DeleteGenerations(ctx, []int64{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	// A dangling run, then its generation cleaned up along with the run.
	d, _ := mustBegin(t, db, "/src", false)
	if _, err := db.DeleteGenerations(ctx, []int64{d.Generation}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openTest(t, path)
	next, _ := mustBegin(t, db, "/src", false)
	if seen[next.Generation] || next.Generation <= d.Generation {
		t.Errorf("generation %d issued again (issued before: %v, %d)", next.Generation, seen, d.Generation)
	}
	if next.ID <= d.ID || next.ID <= last.ID {
		t.Errorf("run id %d reused (earlier ids up to %d)", next.ID, d.ID)
	}
}

func TestTryResume(t *testing.T) {
	ctx := context.Background()
	type step struct {
		source  string
		resume  bool
		finish  Status // "" = leave unfinished (killed)
		resumes int    // index of the step whose run it resumes, -1 = new run
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"killed run resumed", []step{{"/a", false, "", -1}, {"/a", true, StatusOK, 0}}},
		{"killed run not resumed without flag", []step{{"/a", false, "", -1}, {"/a", false, StatusOK, -1}}},
		{"interrupted run resumed", []step{{"/a", false, StatusInterrupted, -1}, {"/a", true, StatusOK, 0}}},
		{"failed run resumed", []step{{"/a", false, StatusFailed, -1}, {"/a", true, StatusOK, 0}}},
		{"completed run not resumed", []step{{"/a", false, StatusOK, -1}, {"/a", true, StatusOK, -1}}},
		{"partial run not resumed", []step{{"/a", false, StatusPartial, -1}, {"/a", true, StatusOK, -1}}},
		{"other source not resumed", []step{{"/a", false, "", -1}, {"/b", true, StatusOK, -1}}},
		{"only the newest run of the source", []step{
			{"/a", false, "", -1}, {"/a", false, StatusOK, -1}, {"/a", true, StatusOK, -1}}},
		{"resumed twice", []step{{"/a", false, "", -1}, {"/a", true, "", 0}, {"/a", true, StatusOK, 0}}},
		{"first run with resume", []step{{"/a", true, StatusOK, -1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db, _ := tempDB(t)
			var runs []Run
			for i, s := range c.steps {
				r, resumed := mustBegin(t, db, s.source, s.resume)
				if resumed != (s.resumes >= 0) {
					t.Fatalf("step %d: resumed = %v, want %v", i, resumed, s.resumes >= 0)
				}
				if s.resumes >= 0 {
					if w := runs[s.resumes]; r.ID != w.ID || r.Generation != w.Generation {
						t.Fatalf("step %d resumed %+v, want %+v", i, r, w)
					}
				} else {
					for _, old := range runs {
						if r.Generation <= old.Generation || r.ID <= old.ID {
							t.Fatalf("step %d: new run %+v not above %+v", i, r, old)
						}
					}
				}
				runs = append(runs, r)
				switch {
				case s.finish.Completed():
					if _, err := db.RecordBackup(ctx, r, Backup{Name: "x", Cap: "URI:DIR2-CHK:x", Status: s.finish}); err != nil {
						t.Fatal(err)
					}
				case s.finish != "":
					if err := db.FinishRun(ctx, r, s.finish); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
}

func TestFinishRunRules(t *testing.T) {
	db, _ := tempDB(t)
	ctx := context.Background()
	r, _ := mustBegin(t, db, "/a", false)
	if err := db.FinishRun(ctx, r, StatusOK); !errors.Is(err, ErrRunState) {
		t.Errorf("FinishRun(ok) = %v, want ErrRunState (RecordBackup does that)", err)
	}
	if _, err := db.RecordBackup(ctx, r, Backup{Name: "x", Cap: "URI:DIR2-CHK:x", Status: StatusOK}); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishRun(ctx, r, StatusFailed); !errors.Is(err, ErrRunState) {
		t.Errorf("FinishRun after its backup = %v, want ErrRunState", err)
	}
	if _, err := db.RecordBackup(ctx, r, Backup{Name: "x", Cap: "URI:DIR2-CHK:x", Status: StatusOK}); !errors.Is(err, ErrRunState) {
		t.Errorf("second RecordBackup for one run = %v, want ErrRunState", err)
	}
	if err := db.FinishRun(ctx, Run{ID: 999}, StatusFailed); !errors.Is(err, ErrNotFound) {
		t.Errorf("FinishRun of an unknown run = %v, want ErrNotFound", err)
	}
}

func TestDanglingRuns(t *testing.T) {
	db, _ := tempDB(t)
	ctx := context.Background()
	killed, _ := mustBegin(t, db, "/a", false)
	failed, _ := mustBegin(t, db, "/b", false)
	if err := db.FinishRun(ctx, failed, StatusFailed); err != nil {
		t.Fatal(err)
	}
	ok, _ := mustBegin(t, db, "/c", false)
	if _, err := db.RecordBackup(ctx, ok, Backup{Name: "c", Cap: "URI:DIR2-CHK:c", Status: StatusOK}); err != nil {
		t.Fatal(err)
	}
	dr, err := db.DanglingRuns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(dr) != 2 || dr[0].ID != killed.ID || dr[0].Status != StatusRunning || !dr[0].Finished.IsZero() ||
		dr[1].ID != failed.ID || dr[1].Status != StatusFailed || dr[1].Finished.IsZero() {
		t.Errorf("DanglingRuns = %+v", dr)
	}
	all, _ := db.Runs(ctx)
	if len(all) != 3 || all[2].Status != StatusOK || all[2].Source != "/c" {
		t.Errorf("Runs = %+v", all)
	}
	// Cleaning a dangling generation forgets its run.
	if _, err := db.DeleteGenerations(ctx, []int64{killed.Generation, ok.Generation}); err != nil {
		t.Fatal(err)
	}
	dr, _ = db.DanglingRuns(ctx)
	if len(dr) != 1 || dr[0].ID != failed.ID {
		t.Errorf("after cleanup DanglingRuns = %+v", dr)
	}
	all, _ = db.Runs(ctx)
	if len(all) != 2 {
		t.Errorf("cleanup removed a completed run: %+v", all)
	}
}
