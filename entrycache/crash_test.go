package entrycache

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// A writer killed with SIGKILL in the middle of a run: everything it
// reported committed is there, nothing is damaged, and the rerun resumes
// its run.
func TestKillNineLosesOnlyUncommitted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	cmd, out := startHelper(t, "writer", path)
	committed := 0
	for committed < 2000 {
		line, err := out.ReadString('\n')
		if err != nil {
			t.Fatalf("helper: %v", err)
		}
		if committed, err = strconv.Atoi(strings.TrimSpace(line)); err != nil {
			t.Fatalf("helper said %q", line)
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	db := openTest(t, path)
	var check string
	if err := db.w.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	n := countObjects(t, db)
	if n < committed || n%50 != 0 {
		t.Errorf("%d rows after kill, helper had committed %d (in batches of 50)", n, committed)
	}
	for i := 0; i < committed; i++ {
		key := fmt.Sprintf("obj-%d", i)
		if _, ok, err := db.Lookup(context.Background(), k(key)); !ok || err != nil {
			t.Fatalf("committed %s lost: %v", key, err)
		}
	}
	r, resumed := mustBegin(t, db, "/src", true)
	if !resumed || r.Generation != 1 {
		t.Errorf("rerun after kill -9: %+v resumed=%v, want generation 1 resumed", r, resumed)
	}
}
