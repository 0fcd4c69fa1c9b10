package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/entrycache"
	"github.com/lafs-backup/lafs-backup/internal/needs"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

// runMainIn is runMain with a standard input.
func runMainIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, stdio{in: strings.NewReader(stdin), out: &out, err: &errb})
	return code, out.String(), errb.String()
}

// restoreFixture is a small format-1 backup on the shared grid, recorded
// as generation 1 ("snap") in an entry cache, and a config pointing at both.
type restoreFixture struct {
	cfg     string
	cap     lafsapi.Cap
	hostile lafsapi.Cap // a tree with one entry restore must refuse
}

func newRestoreFixture(t *testing.T) restoreFixture {
	t.Helper()
	g := testgrid.Shared(t)
	c, err := lafsapi.New(g.URL(), lafsapi.Options{BaseDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	mdf := func(mode string) map[string]any {
		return map[string]any{"uid": "0", "gid": "0", "mode": mode, "mtime": 1.7e9, "mtime_ns": "1700000000000000000"}
	}
	file := func(data string) lafsapi.Cap {
		fc, err := c.UploadBytes(ctx, []byte(data))
		if err != nil {
			t.Fatal(err)
		}
		return fc
	}
	mkdir := func(kids map[string]lafsapi.Child) lafsapi.Cap {
		dc, err := c.MkdirImmutable(ctx, kids)
		if err != nil {
			t.Fatal(err)
		}
		return dc
	}
	sub := mkdir(map[string]lafsapi.Child{"inner.txt": {Cap: file("inner"), Metadata: mdf("100600")}})
	tree := mkdir(map[string]lafsapi.Child{
		"hello.txt": {Cap: file(strings.Repeat("hello ", 20)), Metadata: mdf("100644")},
		"sub":       {Cap: sub, Metadata: mdf("40750")},
	})
	top := mdf("40755")
	top["lafs-backup-format"] = "1"
	root := mkdir(map[string]lafsapi.Child{"snap": {Cap: tree, Metadata: top}})
	evil := mdf("100644")
	evil["rawname"] = "Li4=" // ".."
	hostile := mkdir(map[string]lafsapi.Child{"x": {Cap: file("pwned"), Metadata: evil}, "ok": {Cap: file("fine"), Metadata: mdf("100644")}})

	dir := t.TempDir()
	cache := filepath.Join(dir, "cache.db")
	db, err := entrycache.Open(ctx, cache, entrycache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	runInfo, _, err := db.BeginRun(ctx, "/srv/snap*", false)
	if err != nil {
		t.Fatal(err)
	}
	settings := backupSettings{Filter: []string{"-/skipme$"}, SpecialFiles: "record"}
	if _, err := db.RecordBackup(ctx, runInfo, entrycache.Backup{Name: "snap", Cap: root.Secret(),
		Status: entrycache.StatusOK, Filter: settings.JSON()}); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.yaml")
	text := "destination: {url: '" + g.URL() + "'}\nsource: {entry_cache: {path: '" + cache + "'}}\n"
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return restoreFixture{cfg: cfg, cap: root, hostile: hostile}
}

func TestRestoreAndVerifyCommands(t *testing.T) {
	needs.Root(t, "owners")
	fx := newRestoreFixture(t)
	capFile := filepath.Join(t.TempDir(), "cap")
	if err := os.WriteFile(capFile, []byte(fx.cap.Secret()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		backup, stdin string
	}{
		{"gen:1", ""}, {"snap", ""}, {"-", "\n" + fx.cap.Secret() + "\n"}, {"@" + capFile, ""}, {fx.cap.Secret(), ""},
	} {
		target := filepath.Join(t.TempDir(), "out")
		code, out, errs := runMainIn(t, tc.stdin, "-c", fx.cfg, "restore", tc.backup, target)
		name := tc.backup
		if strings.HasPrefix(name, "URI:") {
			name = "URI:..."
		}
		if code != 0 || out != "" || !strings.Contains(errs, "restored lafs-backup format 1 into "+target+": 2 files") {
			t.Fatalf("restore %s: exit %d, stdout %q, stderr %q", name, code, out, errs)
		}
		if warned := strings.Contains(errs, "can be read by every local user"); warned != strings.HasPrefix(tc.backup, "URI:") {
			t.Errorf("restore %s: argv warning %v", name, warned)
		}
		if strings.Contains(errs, fx.cap.Secret()) {
			t.Errorf("restore %s: the cap is in the output", name)
		}
		if b, err := os.ReadFile(filepath.Join(target, "sub", "inner.txt")); err != nil || string(b) != "inner" {
			t.Errorf("restore %s: sub/inner.txt %q %v", name, b, err)
		}
	}

	target := filepath.Join(t.TempDir(), "out")
	if code, _, errs := runMain(t, "-c", fx.cfg, "restore", "snap", target, "--path", "sub"); code != 0 {
		t.Fatalf("restore --path: exit %d: %s", code, errs)
	}
	if b, err := os.ReadFile(filepath.Join(target, "inner.txt")); err != nil || string(b) != "inner" {
		t.Errorf("restore --path sub: %q %v", b, err)
	}
	code, _, errs := runMain(t, "-c", fx.cfg, "restore", "snap", target)
	if code != exitUsage || !strings.Contains(errs, "not empty") {
		t.Errorf("non-empty target: exit %d, %q", code, errs)
	}

	// verify applies the recorded filter: "skipme" is not extra.
	target = filepath.Join(t.TempDir(), "out")
	if code, _, errs := runMain(t, "-c", fx.cfg, "restore", "gen:1", target); code != 0 {
		t.Fatalf("restore: exit %d: %s", code, errs)
	}
	must(t, os.WriteFile(filepath.Join(target, "sub", "skipme"), nil, 0o644))
	must(t, os.Chtimes(filepath.Join(target, "sub"), time.Time{}, time.Unix(1700000000, 0)))
	code, out, errs := runMain(t, "-c", fx.cfg, "verify", "snap", target, "--content")
	if code != 0 || out != "" || !strings.Contains(errs, "verify lafs-backup format 1: 4 entries compared, 2 files hashed") {
		t.Errorf("verify: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	must(t, os.WriteFile(filepath.Join(target, "hello.txt"), []byte("changed"), 0o644))
	must(t, os.WriteFile(filepath.Join(target, "extra"), nil, 0o644))
	code, out, errs = runMain(t, "-c", fx.cfg, "verify", "snap", target)
	if code != exitDifferences || !strings.Contains(out, "hello.txt: differs: size: 120 != 7") ||
		!strings.Contains(out, "extra: extra") || !strings.Contains(errs, "DIFFER: 0 missing, 1 extra, 2 different") {
		t.Errorf("verify after changes: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, _ = runMain(t, "-c", fx.cfg, "--json", "verify", "snap", target)
	if code != exitDifferences || !strings.Contains(out, `"kind":"extra","path":"extra"`) || !strings.Contains(out, `"match":false`) {
		t.Errorf("verify --json: exit %d, stdout %q", code, out)
	}
	// The root is "." in JSON as in text (its mtime moved with "extra").
	if !strings.Contains(out, `"kind":"differs","path":"."`) {
		t.Errorf("verify --json: the root is not shown as \".\":\n%s", out)
	}
	// A content difference names both sides by their SHA-256.
	sum := sha256.Sum256([]byte("changed"))
	code, out, _ = runMain(t, "-c", fx.cfg, "--json", "verify", "snap", target, "--content")
	if code != exitDifferences || !strings.Contains(out, `"field":"content","local":"sha256:`+hex.EncodeToString(sum[:])+`"`) ||
		!strings.Contains(out, `{"backup":"sha256:`) {
		t.Errorf("verify --json --content: exit %d, stdout %q", code, out)
	}
}

func TestRestoreCommandErrors(t *testing.T) {
	fx := newRestoreFixture(t)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"restore", "gen:9", t.TempDir()}, exitUsage, `BACKUP "gen:9": no such backup`},
		{[]string{"restore", "gen:x", t.TempDir()}, exitUsage, "gen:N wants a generation number"},
		{[]string{"restore", "URI:CHK:nope", t.TempDir()}, exitUsage, "not a valid capability"},
		{[]string{"restore", "only-one"}, exitUsage, "restore takes BACKUP and TARGET"},
		{[]string{"verify", "snap", t.TempDir(), "--sample", "50"}, exitUsage, "--sample takes a percentage"},
		{[]string{"restore", "snap", t.TempDir(), "--path", "nope"}, exitFatal, "no entry nope"},
		// A well-formed cap of a directory the grid never stored.
		{[]string{"restore", "URI:DIR2-CHK:aaaaaaaaaaaaaaaaaaaaaaaaaa:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:2:4:300", t.TempDir()},
			exitUnrecoverable, "read the backup's root"},
	}
	target := filepath.Join(t.TempDir(), "out")
	code, _, errs := runMainIn(t, fx.hostile.Secret(), "-c", fx.cfg, "restore", "-", target)
	if code != exitPartial || !strings.Contains(errs, "1 failed:\n  x: rawname: refused: name \"..\"") {
		t.Errorf("hostile tree: exit %d, stderr %q", code, errs)
	}
	for _, c := range cases {
		code, _, errs := runMain(t, append([]string{"-c", fx.cfg}, c.args...)...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errs, c.code, c.want)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
