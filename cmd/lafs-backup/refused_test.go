package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/lafs-backup/lafs-backup/chk"
	"github.com/lafs-backup/lafs-backup/storageapi"
	"github.com/lafs-backup/lafs-backup/tahoenode"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

// holdShares leaves data's shares half-written on the storage servers, as
// the gateway's upload of data leaves them when a kill -9 of its client
// cuts it off; the servers then refuse that content for up to 30 minutes
// (allmydata/storage/immutable.py). Every share is held on every server,
// so that whichever placement the gateway tries meets a held share.
// release aborts them: the end of the hold.
func holdShares(t *testing.T, g *testgrid.Grid, data []byte) (release func()) {
	t.Helper()
	n, err := tahoenode.Read(g.GatewayDir())
	if err != nil {
		t.Fatal(err)
	}
	enc, err := chk.Encode(n.Convergence.Bytes(), chk.Params{Needed: n.Needed, Total: n.Total, MaxSegmentSize: n.MaxSegmentSize}, data)
	if err != nil {
		t.Fatal(err)
	}
	si := storageapi.StorageIndex(enc.StorageIndex)
	ctx := context.Background()
	var aborts []func()
	shares := make([]int, len(enc.Shares))
	for sh := range shares {
		shares[sh] = sh
	}
	for _, s := range n.Servers {
		c, err := storageapi.New(s.NURLs[0], storageapi.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		upload := storageapi.NewSecret(randomBytes(32))
		a, err := c.Allocate(ctx, si, shares, int64(len(enc.Shares[0])), n.LeaseSecrets(si, s), upload)
		if err != nil || len(a.Allocated) != len(shares) {
			t.Fatalf("allocate on %s: %+v, %v", s.Nickname, a, err)
		}
		for _, sh := range shares {
			if _, err := c.WriteChunk(ctx, si, sh, upload, 0, enc.Shares[sh][:len(enc.Shares[sh])/2]); err != nil {
				t.Fatal(err)
			}
			aborts = append(aborts, func() {
				if err := c.Abort(ctx, si, sh, upload); err != nil {
					t.Errorf("abort share %d on %s: %v", sh, s.Nickname, err)
				}
			})
		}
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			for _, a := range aborts {
				a()
			}
		})
	}
	t.Cleanup(release)
	return release
}

// watchWriter collects what is written and calls on once when a write
// contains needle.
type watchWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	needle string
	on     func()
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.on != nil && bytes.Contains(p, []byte(w.needle)) {
		w.on()
		w.on = nil
	}
	return w.buf.Write(p)
}

func (w *watchWriter) String() string { w.mu.Lock(); defer w.mu.Unlock(); return w.buf.String() }

// TestBackupSetsAsideRefusedContent: on the real grid, storage servers
// that hold an interrupted upload's shares refuse that content. The backup
// finishes every other object, retries the refused ones at the end of the
// run (one whose hold ended meanwhile then goes up), and exits 3 naming
// the one still refused; the tree holds everything else. Once its hold
// has ended the next run completes the tree, uploading only that file.
func TestBackupSetsAsideRefusedContent(t *testing.T) {
	g := testgrid.Shared(t)
	s := newSite(t, g.URL(), "http: {retry: {attempts: 2, delay: [0.2]}}\n")
	snap := filepath.Join(s.snaps, "snap.1")
	const dirs, perDir = 3, 10
	content := map[string][]byte{}
	for d := range dirs {
		for f := range perDir {
			rel := fmt.Sprintf("d%02d/f%03d.bin", d, f)
			content[rel] = randomBytes(20_000)
			mustWrite(t, filepath.Join(snap, rel), content[rel])
		}
	}
	// Settled, so that the next run reuses what this one uploaded.
	settleTree()
	releaseA := holdShares(t, g, content["d01/f003.bin"]) // released during the end-of-run wait
	releaseB := holdShares(t, g, content["d02/f007.bin"]) // still held at the end

	stderr := &watchWriter{needle: "retrying what the storage servers refused", on: releaseA}
	var stdout bytes.Buffer
	code := run(context.Background(), []string{"-c", s.config, "-v", "backup"}, stdio{in: strings.NewReader(""), out: &stdout, err: stderr})
	errOut := stderr.String()
	if code != exitPartial {
		t.Fatalf("backup with refused content: exit %d, want %d\n%s", code, exitPartial, errOut)
	}
	for _, want := range []string{
		"1 refused by the storage servers",
		"refused: d02/f007.bin: the storage servers refuse it for now",
		"the next run uploads it",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("summary does not say %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "refused: d01/f003.bin") || strings.Contains(errOut, "URI:") {
		t.Errorf("the file released in time is reported refused, or a cap leaked:\n%s", errOut)
	}
	c := client(t, g.URL())
	root := rootCapOf(t, stdout.String())
	for d, want := range []int{perDir, perDir, perDir - 1} {
		n, err := c.Info(context.Background(), root, "snap.1", fmt.Sprintf("d%02d", d))
		if err != nil || len(n.Children) != want {
			t.Errorf("d%02d: %d children, want %d (%v)", d, len(n.Children), want, err)
		}
	}
	if _, listOut, _ := runMain(t, "-c", s.config, "--json", "list"); !strings.Contains(listOut, `"partial"`) {
		t.Errorf("the backup is not recorded partial:\n%s", listOut)
	}

	releaseB()
	code, out, errOut := s.backup(t)
	if code != 0 || !strings.Contains(errOut, "files: 1 uploaded, 29 reused") {
		t.Fatalf("run after the hold ended: exit %d, want 0 uploading only the refused file\n%s", code, errOut)
	}
	root = rootCapOf(t, out)
	n, err := c.Info(context.Background(), root, "snap.1", "d02")
	if err != nil || len(n.Children) != perDir {
		t.Fatalf("d02 after the run that completes it: %d children (%v)", len(n.Children), err)
	}
}
