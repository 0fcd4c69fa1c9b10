package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/internal/needs"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

// TestRestoreAsNonRoot runs the real binary as nobody: content, modes and
// times are restored, owners are left to the restoring user, and what
// needs root (a device node, file capabilities) is reported with exit 3.
func TestRestoreAsNonRoot(t *testing.T) {
	needs.Long(t, "building the binary")
	needs.Root(t, "to switch to nobody")
	needs.Tools(t, "setpriv")
	g := testgrid.Shared(t)
	c, err := lafsapi.New(g.URL(), lafsapi.Options{BaseDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	md := func(kv ...string) map[string]any {
		m := map[string]any{"uid": "0", "gid": "0", "mtime_ns": "1700000000000000000"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	lit := func(s string) lafsapi.Cap { return lafsapi.LITCap([]byte(s)) }
	root, err := c.MkdirImmutable(t.Context(), map[string]lafsapi.Child{
		"plain":   {Cap: lit("plain"), Metadata: md("mode", "100640")},
		"suid":    {Cap: lit("#!/bin/true"), Metadata: md("mode", "104755")},
		"capfile": {Cap: lit("#!/bin/true"), Metadata: md("mode", "100755", "caps", "cap_net_raw=ep")},
		"null":    {Cap: lit(""), Metadata: md("mode", "20666", "rdev", "1:3")},
		"fifo":    {Cap: lit(""), Metadata: md("mode", "10600")},
	})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "nonroot") // t.TempDir's parent is 0700
	must(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	must(t, os.Chmod(dir, 0o755))
	bin := filepath.Join(dir, "lafs-backup")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cfg := filepath.Join(dir, "config.yaml")
	must(t, os.WriteFile(cfg, []byte("destination: {url: '"+g.URL()+"'}\n"), 0o644))
	work := filepath.Join(dir, "work")
	must(t, os.Mkdir(work, 0o777))
	must(t, os.Chmod(work, 0o777))
	target := filepath.Join(work, "out")

	cmd := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", bin, "-c", cfg, "restore", "-", target)
	cmd.Stdin = strings.NewReader(root.Secret())
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitPartial {
		t.Fatalf("exit %v, want %d:\n%s", err, exitPartial, out)
	}
	for _, want := range []string{"2 failed:", "capfile: fsmeta: set xattr security.capability", "null: mknod chardev: operation not permitted"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for name, mode := range map[string]uint32{"plain": 0o100640, "suid": 0o104755, "capfile": 0o100755, "fifo": 0o10600} {
		var st syscall.Stat_t
		if err := syscall.Lstat(filepath.Join(target, name), &st); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if st.Mode != mode || st.Uid != 65534 || st.Mtim.Sec != 1700000000 {
			t.Errorf("%s: mode %o uid %d mtime %d", name, st.Mode, st.Uid, st.Mtim.Sec)
		}
	}
}
