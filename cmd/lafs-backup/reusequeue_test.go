package main

import (
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lafs-backup/lafs-backup/entrycache"
	"github.com/lafs-backup/lafs-backup/queue"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

// rewriteQueue rewrites the queue at path with the walk summary sum, as a
// walk that met sum.Errors unreadable entries would have written it.
func rewriteQueue(t *testing.T, path string, sum queue.Summary) {
	t.Helper()
	r, err := queue.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := queue.NewWriter(&buf, r.Header())
	if err != nil {
		t.Fatal(err)
	}
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	r.Close()
	w.SetSummary(sum)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// asVersion2 turns the queue at path into the format-2 file an older
// version wrote: header version 2, a trailer without the walk summary.
func asVersion2(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	body := data[:bytes.LastIndex(data[:len(data)-1], []byte("\n"))+1]
	body = bytes.Replace(body, []byte("#lafs-backup-queue 3 "), []byte("#lafs-backup-queue 2 "), 1)
	n := bytes.Count(body, []byte("\n")) - 1
	sum := crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli))
	out := fmt.Appendf(bytes.Clone(body), "#end entries=%d crc32c=%08x\n", n, sum)
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestReusedQueueKeepsWalkErrors: a backup from a reused queue whose walk
// met errors is partial (exit 3, status partial), as the run that walked
// would have been; so is one from a queue too old to say (issue 14, item
// 2). Before, the trailer kept only count and checksum: exit 0, ok, and
// retention protected it as the newest good backup.
func TestReusedQueueKeepsWalkErrors(t *testing.T) {
	g := testgrid.Shared(t)
	for _, tc := range []struct {
		name    string
		prepare func(t *testing.T, queuePath string)
		want    string
	}{
		{"walk errors", func(t *testing.T, q string) { rewriteQueue(t, q, queue.Summary{Errors: 2, Skipped: 1}) }, "2 unreadable while walking"},
		{"format 2", asVersion2, "predates format 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t, g.URL(), "")
			mixedTree(t, filepath.Join(s.snaps, "snap.1"))
			if code, _, errOut := s.backup(t, "--queue-only"); code != 0 {
				t.Fatalf("queue-only: exit %d %s", code, errOut)
			}
			tc.prepare(t, filepath.Join(s.dir, "queue.txt"))
			code, out, errOut := s.backup(t, "--reuse-queue")
			if code != exitPartial || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, want %d and %q in\n%s", code, exitPartial, tc.want, errOut)
			}
			rootCapOf(t, out)
			db, err := entrycache.Open(context.Background(), filepath.Join(s.dir, "cache.sqlite"), entrycache.Options{NoCreate: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			bs := mustBackups(t, db)
			if len(bs) != 1 || bs[0].Status != entrycache.StatusPartial {
				t.Fatalf("backups %+v, want one partial", bs)
			}
		})
	}
}
