package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lafs-backup/lafs-backup/entrycache"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/lafsapi/lafstest"
)

// lastRun is the newest run recorded in the site's cache.
func lastRun(t *testing.T, s *site) entrycache.RunInfo {
	t.Helper()
	db, err := entrycache.Open(context.Background(), filepath.Join(s.dir, "cache.sqlite"), entrycache.Options{NoCreate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	runs, err := db.Runs(context.Background())
	if err != nil || len(runs) == 0 {
		t.Fatalf("runs: %v %v", runs, err)
	}
	return runs[len(runs)-1]
}

// TestBackupRecordsHowARunEnded: a run that fails or is interrupted is
// finished in the runs table with that status (issue 14, item 6), so list
// -g tells it from a live one; the next run with try_resume takes it over.
func TestBackupRecordsHowARunEnded(t *testing.T) {
	t.Run("failed", func(t *testing.T) {
		// The gateway answers who it is (the run begins), then fails
		// every upload for good.
		fake := lafstest.New(t)
		fake.Fault(lafstest.Op("upload", lafsapi.Cap{}), lafstest.Status(http.StatusForbidden, "no"))
		s := newSite(t, strings.TrimSuffix(fake.URL, "/"), "")
		mixedTree(t, filepath.Join(s.snaps, "snap.1"))
		if code, _, errOut := s.backup(t); code != exitFatal {
			t.Fatalf("backup with uploads refused: exit %d, want %d\n%s", code, exitFatal, errOut)
		}
		if r := lastRun(t, s); r.Status != entrycache.StatusFailed || r.Finished.IsZero() {
			t.Fatalf("run %+v, want failed with an end", r)
		}
		code, out, _ := runMain(t, "-c", s.config, "list", "-g")
		if code != 0 || !strings.Contains(out, " failed ") {
			t.Fatalf("list -g: exit %d\n%s", code, out)
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		fake := lafstest.New(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		fake.Fault(lafstest.Op("upload", lafsapi.Cap{}), func(w http.ResponseWriter, r *http.Request) {
			cancel() // the signal arrives during the first upload
			fake.Store(w, r)
		})
		s := newSite(t, strings.TrimSuffix(fake.URL, "/"), "")
		mixedTree(t, filepath.Join(s.snaps, "snap.1"))
		var out, errb bytes.Buffer
		code := run(ctx, []string{"-c", s.config, "backup"}, stdio{in: strings.NewReader(""), out: &out, err: &errb})
		if code == 0 {
			t.Fatalf("interrupted backup: exit 0\n%s", errb.String())
		}
		r := lastRun(t, s)
		if r.Status != entrycache.StatusInterrupted || r.Finished.IsZero() {
			t.Fatalf("run %+v, want interrupted with an end", r)
		}
		// try_resume takes the interrupted run over: same generation.
		if code, _, errOut := s.backup(t, "-r"); code != 0 {
			t.Fatalf("resumed backup: exit %d\n%s", code, errOut)
		}
		if again := lastRun(t, s); again.ID != r.ID || again.Status != entrycache.StatusOK {
			t.Fatalf("resumed run %+v, want run %d ok", again, r.ID)
		}
	})
}
