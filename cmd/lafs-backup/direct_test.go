package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/chk"
	"github.com/lafs-backup/lafs-backup/config"
	"github.com/lafs-backup/lafs-backup/internal/tahoehash"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/tahoenode"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

// Tests of destination.direct.node_dir (docs/direct.md): backups whose
// uploads go straight to the storage servers, read back through the
// gateway.

// setDirect points the site's uploads at node directory dir ("" = back to
// the web API).
func (s *site) setDirect(t *testing.T, dir string) {
	t.Helper()
	b, err := os.ReadFile(s.config)
	must(t, err)
	text := string(b)
	if i := strings.Index(text, "  direct: "); i >= 0 {
		text = text[:i] + text[i+strings.Index(text[i:], "\n")+1:]
	}
	if dir != "" {
		text = strings.Replace(text, "destination:\n", "destination:\n  direct: {node_dir: "+dir+"}\n", 1)
	}
	must(t, os.WriteFile(s.config, []byte(text), 0o600))
}

// directTree is mixedTree plus a file of several segments (streamed) and
// a big compressible one (xz output of unknown size, spooled).
func directTree(t *testing.T, snap string) {
	t.Helper()
	mixedTree(t, snap)
	mustWrite(t, filepath.Join(snap, "data/large.bin"), randomBytes(3<<20+17))
	mustWrite(t, filepath.Join(snap, "docs/big.txt"), bytes.Repeat([]byte(fmt.Sprintf("line %x of text\n", randomBytes(4))), 200_000))
}

// restoredEquals restores backup into a new directory and compares every
// file and symlink with snap.
func restoredEquals(t *testing.T, s *site, backup, snap string) {
	t.Helper()
	target := filepath.Join(t.TempDir(), "restored")
	if code, _, errs := runMain(t, "-c", s.config, "restore", backup, target); code != 0 {
		t.Fatalf("restore %s: exit %d\n%s", backup, code, errs)
	}
	n := 0
	err := filepath.WalkDir(snap, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(snap, path)
		got := filepath.Join(target, rel)
		if d.Type()&fs.ModeSymlink != 0 {
			a, _ := os.Readlink(path)
			if b, err := os.Readlink(got); err != nil || a != b {
				t.Errorf("%s: restored link %q (%v), want %q", rel, b, err, a)
			}
			return nil
		}
		a, _ := os.ReadFile(path)
		b, err := os.ReadFile(got)
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s: restored %d bytes (%v), want the %d backed up", rel, len(b), err, len(a))
		}
		n++
		return nil
	})
	must(t, err)
	if n == 0 {
		t.Fatal("nothing compared")
	}
}

// deepCheckHealthy runs the gateway's verifying deep-check over root.
func deepCheckHealthy(t *testing.T, url string, root lafsapi.Cap) {
	t.Helper()
	n := 0
	err := client(t, url).StreamDeepCheck(context.Background(), root, lafsapi.CheckOptions{Verify: true},
		func(u lafsapi.DeepCheckUnit) error {
			if u.Type == "stats" {
				return nil
			}
			n++
			if !u.Check.Healthy {
				t.Errorf("/%s: %s", strings.Join(u.Path, "/"), u.Check.Summary)
			}
			return nil
		})
	if err != nil || n < 5 {
		t.Fatalf("deep-check: %v after %d objects", err, n)
	}
}

// TestDirectBackup: with a node directory the backup sends the gateway no
// upload and no mkdir (only the grid identity request), the tree restores
// byte for byte, the gateway's verifying deep-check finds it healthy, and
// an unchanged rerun sends only the identity request.
func TestDirectBackup(t *testing.T) {
	g := testgrid.Shared(t)
	proxy := testgrid.NewCountingProxy(t, g.URL())
	s := newSite(t, proxy.URL(), "")
	s.setDirect(t, g.GatewayDir())
	snap := filepath.Join(s.snaps, "snap.1")
	directTree(t, snap)
	settleTree()
	code, out, errOut := s.backup(t)
	if code != 0 {
		t.Fatalf("direct backup: exit %d\n%s", code, errOut)
	}
	root := rootCapOf(t, out)
	reqs := proxy.Requests()
	for _, r := range reqs {
		if !strings.HasPrefix(r, "GET ") {
			t.Errorf("the direct backup sent the gateway %s", r)
		}
	}
	if len(reqs) == 0 || !strings.Contains(errOut, "files: 5 uploaded") {
		t.Errorf("requests %v; summary:\n%s", reqs, errOut)
	}
	restoredEquals(t, s, "gen:1", snap)
	deepCheckHealthy(t, g.URL(), root)

	proxy.Reset()
	code, out2, errOut := s.backup(t)
	if code != 0 || out2 != out || !onlyIdentity(proxy.Requests()) || !strings.Contains(errOut, "files: 0 uploaded") {
		t.Errorf("unchanged rerun: exit %d, same cap %v, gateway requests %v\n%s", code, out2 == out, proxy.Requests(), errOut)
	}
}

// TestSwitchingBetweenWebAPIAndDirect: caps are the same either way, so
// a source that switches keeps its cache: the rerun in the other mode
// uploads nothing, gives the same root cap, and a change uploads only
// itself.
func TestSwitchingBetweenWebAPIAndDirect(t *testing.T) {
	g := testgrid.Shared(t)
	for _, first := range []string{"", g.GatewayDir()} {
		second := g.GatewayDir()
		if first != "" {
			second = ""
		}
		name := map[bool]string{true: "web API then direct", false: "direct then web API"}[first == ""]
		proxy := testgrid.NewCountingProxy(t, g.URL())
		s := newSite(t, proxy.URL(), "")
		snap := filepath.Join(s.snaps, "snap.1")
		directTree(t, snap)
		settleTree()
		s.setDirect(t, first)
		code, out, errOut := s.backup(t)
		if code != 0 {
			t.Fatalf("%s: first backup: exit %d\n%s", name, code, errOut)
		}
		s.setDirect(t, second)
		proxy.Reset()
		code, out2, errOut := s.backup(t)
		if code != 0 || out2 != out || !onlyIdentity(proxy.Requests()) || !strings.Contains(errOut, "files: 0 uploaded, ") {
			t.Errorf("%s: rerun after the switch: exit %d, same cap %v, requests %v\n%s", name, code, out2 == out, proxy.Requests(), errOut)
		}
		mustWrite(t, filepath.Join(snap, "a/b/c/deep.txt"), randomBytes(3000))
		proxy.Reset()
		code, out3, errOut := s.backup(t)
		puts, mkdirs := countKinds(proxy.Requests())
		if code != 0 || !strings.Contains(errOut, "files: 1 uploaded, ") || (second == "" && (puts != 1 || mkdirs != 5)) {
			t.Errorf("%s: one file changed: exit %d, %d PUTs, %d mkdirs\n%s", name, code, puts, mkdirs, errOut)
		}
		restoredEquals(t, s, rootCapOf(t, out3).Secret(), snap)
	}
}

// shareDirs counts the storage indexes storage node i holds shares of.
func shareDirs(g *testgrid.Grid, i int) int {
	m, _ := filepath.Glob(filepath.Join(g.StorageDir(i), "shares", "*", "*"))
	return len(m)
}

// startDirectBackup starts the binary's backup and returns once storage
// node 0 holds shares of at least n more objects.
func startDirectBackup(t *testing.T, bin string, s *site, g *testgrid.Grid, n int) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	base := shareDirs(g, 0)
	cmd := exec.Command(bin, "-c", s.config, "backup")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	must(t, cmd.Start())
	for deadline := time.Now().Add(60 * time.Second); shareDirs(g, 0) < base+n; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("backup stored fewer than %d objects in 60s\n%s", n, stderr.String())
		}
	}
	return cmd, &stderr
}

// completeTree checks through the gateway that every directory of a
// fillRandomTree has all its files.
func completeTree(t *testing.T, url string, root lafsapi.Cap, dirs, perDir int) {
	t.Helper()
	for d := range dirs {
		n, err := client(t, url).Info(context.Background(), root, "snap.1", fmt.Sprintf("d%02d", d))
		if err != nil || len(n.Children) != perDir {
			t.Fatalf("d%02d: %d children (%v), want %d", d, len(n.Children), err, perDir)
		}
	}
}

// TestDirectBackupWithStorageNodesStopping: one node of four stopped in
// the middle of a direct backup leaves happiness 3 and the run succeeds;
// a second one stopped mid-run makes it fail with exit 1 and an error
// saying how many servers were reachable; with both back a plain rerun
// completes the tree.
func TestDirectBackupWithStorageNodesStopping(t *testing.T) {
	g := testgrid.New(t, testgrid.Options{})
	s := newSite(t, g.URL(), "http: {retry: {attempts: 2, delay: [0.2]}}\n")
	s.setDirect(t, g.GatewayDir())
	snap := filepath.Join(s.snaps, "snap.1")
	const dirs, perDir = 4, 25
	bin := buildBinary(t)

	fillRandomTree(t, snap, dirs, perDir)
	cmd, stderr := startDirectBackup(t, bin, s, g, dirs*perDir/4)
	must(t, g.StopStorage(3))
	if err := cmd.Wait(); err != nil {
		t.Fatalf("one node stopped mid-run: %v\n%s", err, stderr)
	}

	fillRandomTree(t, snap, dirs, perDir)
	cmd, stderr = startDirectBackup(t, bin, s, g, dirs*perDir/4)
	must(t, g.StopStorage(2))
	err := cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); err == nil || code != exitFatal ||
		!strings.Contains(stderr.String(), "not enough storage servers: 2 of 4 storage servers reachable") {
		t.Fatalf("two nodes stopped mid-run: exit %d\n%s", code, stderr)
	}
	must(t, g.StartStorage(2))
	must(t, g.StartStorage(3))
	code, out, errOut := s.backup(t)
	if code != 0 {
		t.Fatalf("rerun with the nodes back: exit %d\n%s", code, errOut)
	}
	completeTree(t, g.URL(), rootCapOf(t, out), dirs, perDir)
}

// TestDirectBackupKilledTenTimes is the crash-recovery acceptance test:
// a direct backup killed with SIGKILL at ten random points, then one
// plain rerun, with nothing restarted in between, exits 0 with the whole
// tree, which restores and deep-checks healthy. A byte rate limit keeps
// every kill inside the uploads (large files stream for seconds); the
// rerun goes at full speed.
func TestDirectBackupKilledTenTimes(t *testing.T) {
	g := testgrid.New(t, testgrid.Options{})
	s := newSite(t, g.URL(), "")
	s.setDirect(t, g.GatewayDir())
	slow, err := os.ReadFile(s.config)
	must(t, err)
	fast := slow
	slow = bytes.Replace(slow, []byte("operation: {jobs: 2}"), []byte("operation: {jobs: 4, rate_limit: {bytes: 1MB/s}}"), 1)
	must(t, os.WriteFile(s.config, slow, 0o600))
	snap := filepath.Join(s.snaps, "snap.1")
	const dirs, perDir = 6, 40
	fillRandomTree(t, snap, dirs, perDir)
	for i := range 4 {
		mustWrite(t, filepath.Join(snap, fmt.Sprintf("large/%d.bin", i)), randomBytes(4<<20+i))
	}
	bin := buildBinary(t)
	for i := range 10 {
		cmd := exec.Command(bin, "-c", s.config, "backup")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		must(t, cmd.Start())
		time.Sleep(time.Duration(200+rand.IntN(1300)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("kill %d: the backup ended before it (exit %d)\n%s", i+1, cmd.ProcessState.ExitCode(), stderr.String())
		}
	}
	must(t, os.WriteFile(s.config, fast, 0o600))
	code, out, errOut := s.backup(t)
	if code != 0 {
		t.Fatalf("rerun after ten kills: exit %d\n%s", code, errOut)
	}
	root := rootCapOf(t, out)
	completeTree(t, g.URL(), root, dirs, perDir)
	restoredEquals(t, s, root.Secret(), snap)
	deepCheckHealthy(t, g.URL(), root)
}

// TestCheckWithDirectRenewsOnTheServers: check renews every object's
// lease straight on the storage servers (no t=check through the gateway,
// whose directory reads remain), and the lease count on a share stays 1
// while its expiry moves.
func TestCheckWithDirectRenewsOnTheServers(t *testing.T) {
	g := testgrid.Shared(t)
	proxy := testgrid.NewCountingProxy(t, g.URL())
	s := newSite(t, proxy.URL(), "")
	s.setDirect(t, g.GatewayDir())
	snap := filepath.Join(s.snaps, "snap.1")
	mixedTree(t, snap)
	code, out, errOut := s.backup(t)
	if code != 0 {
		t.Fatalf("backup: exit %d\n%s", code, errOut)
	}
	n, err := client(t, g.URL()).Info(context.Background(), rootCapOf(t, out), "snap.1", "data", "random.bin")
	must(t, err)
	capv, _, err := chk.ParseURI(n.ReadCap.Secret())
	must(t, err)
	si := capv.StorageIndex()
	before := oneLeaseEach(t, g, tahoehash.Base32(si[:]))
	time.Sleep(1100 * time.Millisecond)
	proxy.Reset()
	code, _, errOut = runMain(t, "-c", s.config, "check", "--leases-only")
	if code != 0 || !strings.Contains(errOut, "leases renewed on") {
		t.Fatalf("check: exit %d\n%s", code, errOut)
	}
	for _, r := range proxy.Requests() {
		if strings.Contains(r, "t=check") {
			t.Errorf("check sent %s to the gateway", r)
		}
	}
	after := oneLeaseEach(t, g, tahoehash.Base32(si[:]))
	for k, e := range after {
		if !e.After(before[k]) {
			t.Errorf("share %v: lease expiry did not move", k)
		}
	}
	if code, _, errOut := runMain(t, "-c", s.config, "check"); code != 0 {
		t.Errorf("check with the deep-check: exit %d\n%s", code, errOut)
	}
	oneLeaseEach(t, g, tahoehash.Base32(si[:]))
}

// oneLeaseEach is the lease expiry of each share of si, failing the test
// unless each share has exactly one lease.
func oneLeaseEach(t *testing.T, g *testgrid.Grid, si string) map[[2]int]time.Time {
	t.Helper()
	shares, err := g.ImmutableShares(si)
	must(t, err)
	out := map[[2]int]time.Time{}
	for _, sh := range shares {
		if sh.Leases != 1 {
			t.Fatalf("share %d on node %d has %d leases, want 1", sh.Num, sh.Node, sh.Leases)
		}
		out[[2]int{sh.Node, sh.Num}] = sh.Expires[0]
	}
	if len(out) != 4 {
		t.Fatalf("%d shares", len(out))
	}
	return out
}

// TestDirectNodeDirErrors: a node directory that cannot be used is a
// configuration error (exit 2) naming the key and the file.
func TestDirectNodeDirErrors(t *testing.T) {
	s := newSite(t, "http://127.0.0.1:1", "")
	missing := filepath.Join(t.TempDir(), "nonode")
	s.setDirect(t, missing)
	mustWrite(t, filepath.Join(s.snaps, "snap.1/a"), []byte("hello, a file of more than fifty-five bytes, to be uploaded"))
	code, _, errOut := s.backup(t)
	if code != exitUsage || !strings.Contains(errOut, "destination.direct.node_dir") || !strings.Contains(errOut, missing) {
		t.Errorf("missing node directory: exit %d\n%s", code, errOut)
	}
}

// foreignNodeDir copies node directory dir's configuration and secrets
// with every announced server's key_s changed: a node of another grid
// whose servers' NURLs still answer, as a wrong node_dir would look.
func foreignNodeDir(t *testing.T, dir string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "other-node")
	must(t, os.MkdirAll(filepath.Join(out, "private"), 0o700))
	copyFile := func(rel string, change func([]byte) []byte) {
		b, err := os.ReadFile(filepath.Join(dir, rel))
		must(t, err)
		must(t, os.WriteFile(filepath.Join(out, rel), change(b), 0o600))
	}
	same := func(b []byte) []byte { return b }
	for _, rel := range []string{"tahoe.cfg", "private/convergence", "private/secret"} {
		copyFile(rel, same)
	}
	key := regexp.MustCompile(`key_s: v0-[a-z2-7]+`)
	copyFile("private/introducer_default_cache.yaml", func(b []byte) []byte {
		n := 0
		b = key.ReplaceAllFunc(b, func(k []byte) []byte {
			n++
			h := sha256.Sum256(k)
			return []byte("key_s: v0-" + tahoehash.Base32(h[:])[:52])
		})
		if n == 0 {
			t.Fatal("no key_s in the gateway's introducer cache")
		}
		return b
	})
	return out
}

// TestDirectNodeDirOfAnotherGrid: a node directory none of whose servers
// the gateway lists is refused with exit 2 before anything is uploaded,
// by backup and by check, naming destination.url and node_dir; pointed
// back at the gateway's own, the same site backs up.
func TestDirectNodeDirOfAnotherGrid(t *testing.T) {
	g := testgrid.Shared(t)
	proxy := testgrid.NewCountingProxy(t, g.URL())
	s := newSite(t, proxy.URL(), "")
	other := foreignNodeDir(t, g.GatewayDir())
	s.setDirect(t, other)
	mustWrite(t, filepath.Join(s.snaps, "snap.1/a.txt"), []byte("a file of more than fifty-five bytes, so that it needs an upload"))
	refused := func(what string, code int, errOut string) {
		t.Helper()
		if code != exitUsage || !strings.Contains(errOut, "is not a node of the grid of destination.url "+proxy.URL()) ||
			!strings.Contains(errOut, "destination.direct.node_dir "+other) || strings.Contains(errOut, "pb://") {
			t.Errorf("%s with another grid's node directory: exit %d, want %d\n%s", what, code, exitUsage, errOut)
		}
	}
	code, _, errOut := s.backup(t)
	refused("backup", code, errOut)
	for _, r := range proxy.Requests() {
		if r != "GET /?t=json" {
			t.Errorf("the refused backup sent the gateway %s", r)
		}
	}

	s.setDirect(t, g.GatewayDir())
	if code, _, errOut := s.backup(t); code != 0 {
		t.Fatalf("backup with the gateway's node directory: exit %d\n%s", code, errOut)
	}
	s.setDirect(t, other)
	code, _, errOut = runMain(t, "-c", s.config, "check", "--leases-only")
	refused("check", code, errOut)
}

// TestSameGrid: one server in common is enough; none is a configuration
// error whose message shows the URL without its user info.
func TestSameGrid(t *testing.T) {
	cfg := &config.Config{}
	cfg.Destination.URL = "http://user:pw@gw.example:3456/uri?x=1"
	cfg.Destination.Direct.NodeDir = "/var/lib/tahoe/client"
	node := &tahoenode.Node{Servers: []tahoenode.Server{{ID: "v0-aaaa", Nickname: "a"}, {ID: "v0-bbbb"}}}
	status := func(ids ...string) lafsapi.Status {
		var st lafsapi.Status
		for _, id := range ids {
			st.Servers = append(st.Servers, lafsapi.Server{NodeID: id})
		}
		return st
	}
	for _, tc := range []struct {
		name string
		node *tahoenode.Node
		st   lafsapi.Status
		ok   bool
	}{
		{"web API", nil, status("v0-cccc"), true},
		{"all known", node, status("v0-aaaa", "v0-bbbb"), true},
		{"one known", node, status("v0-bbbb", "v0-cccc"), true},
		{"none known", node, status("v0-cccc"), false},
		{"gateway lists none", node, status(), false},
	} {
		err := sameGrid(cfg, tc.node, tc.st)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if err == nil {
			continue
		}
		var ee *exitError
		msg := err.Error()
		if !errors.As(err, &ee) || ee.Code != exitUsage || strings.Contains(msg, "pw") ||
			!strings.Contains(msg, "http://gw.example:3456/uri") || !strings.Contains(msg, "/var/lib/tahoe/client") ||
			!strings.Contains(msg, "a [aaaa], [bbbb]") {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
