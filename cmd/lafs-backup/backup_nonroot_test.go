package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lafs-backup/lafs-backup/internal/needs"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

// TestBackupAsNonRootSkipsWhatItCannotRead runs the real binary as nobody
// (root reads everything, so "unreadable" needs another user): a file it
// may not read and a directory it may not list are reported with their
// paths, the rest is backed up, and the exit code is 3.
func TestBackupAsNonRootSkipsWhatItCannotRead(t *testing.T) {
	needs.Root(t, "to switch to nobody")
	needs.Tools(t, "setpriv")
	g := testgrid.Shared(t)
	dir, err := os.MkdirTemp("", "backup-nonroot") // t.TempDir's parent is 0700
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777)
	snap := filepath.Join(dir, "snaps", "snap.1")
	mustWrite(t, filepath.Join(snap, "ok.txt"), []byte("readable by all"))
	mustWrite(t, filepath.Join(snap, "secret.key"), bytes.Repeat([]byte("k"), 100))
	mustWrite(t, filepath.Join(snap, "locked", "inside.txt"), []byte("never listed"))
	os.Chmod(filepath.Join(snap, "secret.key"), 0o600)
	os.Chmod(filepath.Join(snap, "locked"), 0o700)
	bin := buildBinary(t)
	cfg := filepath.Join(dir, "site.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`source:
  path: %[1]s/snaps/snap.*
  queue: {path: %[1]s/queue.txt}
  entry_cache: {path: %[1]s/cache.sqlite}
destination: {url: '%[2]s'}
`, dir, g.URL())), 0o644)
	os.Chmod(bin, 0o755)
	os.Chmod(filepath.Dir(bin), 0o755)

	cmd := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", bin, "-c", cfg, "backup")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitPartial {
		t.Fatalf("as nobody: %v, want exit %d\n%s", err, exitPartial, stderr.String())
	}
	for _, want := range []string{"failed: secret.key: open: permission denied", "unreadable: locked: open: permission denied"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("the summary does not name %s:\n%s", want, stderr.String())
		}
	}
	root := rootCapOf(t, stdout.String())
	top, err := client(t, g.URL()).Info(t.Context(), root, "snap.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := top.Children["ok.txt"]; !ok {
		t.Errorf("readable file missing from the backup: %v", keys(top.Children))
	}
	if _, ok := top.Children["secret.key"]; ok {
		t.Error("an unreadable file was put in the backup")
	}
	// Verified (as root, who reads everything) against its own source, the
	// partial backup reports what it left out as skipped when backed up,
	// not as extra, and matches (exit 0).
	vcode, vout, verr := runMain(t, "-c", cfg, "verify", "gen:1", snap, "--content")
	if vcode != 0 || !strings.Contains(vout, "secret.key: skipped when backed up\n") ||
		!strings.Contains(vout, "locked: skipped when backed up\n") || strings.Contains(vout, "extra") ||
		!strings.Contains(verr, "2 entries skipped when backed up") {
		t.Errorf("verify of the partial backup: exit %d\nstdout %s\nstderr %s", vcode, vout, verr)
	}

	// One human format on stderr: warnings read like the other messages,
	// no logfmt records among them (docs/cli.md, Output and logs).
	for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if strings.HasPrefix(l, "time=") || strings.Contains(l, " level=") || strings.Contains(l, " msg=") {
			t.Errorf("a logfmt line among the messages: %q", l)
		}
	}
	if !strings.Contains(stderr.String(), "lafs-backup: warning: entry failed path=secret.key") {
		t.Errorf("the warning about secret.key is not in the message format:\n%s", stderr.String())
	}

	// With --json, every line on stderr is JSON, and stdout is the summary.
	cmd = exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", bin, "-c", cfg, "--json", "backup")
	stdout.Reset()
	stderr.Reset()
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err == nil {
		t.Fatal("--json rerun: exit 0, want 3")
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	for _, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Errorf("--json: a stderr line is not JSON: %q", l)
		}
	}
	if !strings.Contains(stderr.String(), `"queue":{`) || !strings.Contains(stderr.String(), `"level":"ERROR","msg":"some entries were skipped (see the summary)","command":"backup"`) {
		t.Errorf("--json: stderr lacks the queue object or the final error:\n%s", stderr.String())
	}
	if !json.Valid(stdout.Bytes()) {
		t.Errorf("--json: stdout is not one JSON summary: %s", stdout.String())
	}
}
