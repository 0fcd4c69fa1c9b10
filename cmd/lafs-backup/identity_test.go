package main

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/testgrid"
)

// onlyIdentity says whether reqs is exactly the one request every backup
// sends, the gateway's welcome JSON (docs/operations.md, Order of a run).
func onlyIdentity(reqs []string) bool {
	return len(reqs) == 1 && reqs[0] == "GET /?t=json"
}

// recorded counts the backups and the dangling runs (list --json, list -g
// --json) of a site.
func recorded(t *testing.T, s *site) (backups, dangling int) {
	t.Helper()
	count := func(args ...string) int {
		code, out, errOut := s.run(t, append([]string{"--json", "list"}, args...)...)
		if code != 0 {
			t.Fatalf("list %v: exit %d\n%s", args, code, errOut)
		}
		return len(strings.Fields(strings.ReplaceAll(out, " ", "")))
	}
	return count(), count("-g")
}

// TestBackupUnreachableGatewayFailsFast: a gateway URL nothing answers at
// ends a backup in seconds with exit 1, a message naming destination.url,
// and nothing recorded, not after retry.delay's 10 + 60 + 600 s.
func TestBackupUnreachableGatewayFailsFast(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	s := newSite(t, url, "")
	mixedTree(t, filepath.Join(s.snaps, "snap.1"))
	start := time.Now()
	code, out, errOut := s.backup(t)
	if took := time.Since(start); code != exitFatal || out != "" || took > 20*time.Second {
		t.Fatalf("backup against %s: exit %d after %v, stdout %q\n%s", url, code, took, out, errOut)
	}
	if !strings.Contains(errOut, "destination.url "+url+"/uri") || !strings.Contains(errOut, "connection refused") {
		t.Errorf("the message does not name destination.url and the cause:\n%s", errOut)
	}
	if b, d := recorded(t, s); b != 0 || d != 0 {
		t.Errorf("%d backups and %d dangling runs recorded, want none", b, d)
	}
}

// TestBackupNoticesADeadOrForeignGrid, on a real grid: an unchanged rerun,
// which has nothing to upload, still asks the gateway who it is. With the
// gateway stopped it exits 1, prints no cap and records nothing; pointed at
// another grid it exits 2 the same way; with the gateway back it succeeds.
func TestBackupNoticesADeadOrForeignGrid(t *testing.T) {
	g := testgrid.New(t, testgrid.Options{})
	s := newSite(t, g.URL(), "")
	mixedTree(t, filepath.Join(s.snaps, "snap.1"))
	code, first, errOut := s.backup(t)
	if code != 0 {
		t.Fatalf("first backup: exit %d\n%s", code, errOut)
	}

	if err := g.StopGateway(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	code, out, errOut := s.backup(t)
	if code != exitFatal || out != "" || time.Since(start) > 20*time.Second {
		t.Errorf("unchanged rerun with the gateway stopped: exit %d after %v, stdout %q\n%s", code, time.Since(start), out, errOut)
	}
	if !strings.Contains(errOut, "destination.url") || strings.Contains(errOut, "URI:") {
		t.Errorf("stderr does not point at destination.url, or shows a cap:\n%s", errOut)
	}
	if b, d := recorded(t, s); b != 1 || d != 0 {
		t.Errorf("after the failed rerun: %d backups and %d dangling runs, want 1 and 0", b, d)
	}

	otherGrid := filepath.Join(s.dir, "other-grid.yaml")
	mustWrite(t, otherGrid, []byte("destination: {url: '"+testgrid.Shared(t).URL()+"'}\n"))
	code, out, errOut = runMain(t, "-c", s.config, "-c", otherGrid, "backup")
	if code != exitUsage || out != "" || !strings.Contains(errOut, "--accept-grid") {
		t.Errorf("unchanged rerun against another grid: exit %d, stdout %q\n%s", code, out, errOut)
	}
	if b, d := recorded(t, s); b != 1 || d != 0 {
		t.Errorf("after the rerun against another grid: %d backups and %d dangling runs, want 1 and 0", b, d)
	}

	if err := g.StartGateway(); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = s.backup(t)
	if code != 0 || out != first {
		t.Errorf("rerun with the gateway back: exit %d, same cap %v\n%s", code, out == first, errOut)
	}
	if b, _ := recorded(t, s); b != 2 {
		t.Errorf("%d backups after the good rerun, want 2", b)
	}
}
