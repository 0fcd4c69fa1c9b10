package lafstest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/lafsapi/lafstest"
)

// Everything below goes through the real client: the server must answer
// in the shapes lafsapi parses.

func TestFilesAndDirectories(t *testing.T) {
	ctx := context.Background()
	s := lafstest.New(t)
	c := s.Client(t, lafsapi.Options{})
	big := bytes.Repeat([]byte("x"), 1000)
	fc, err := c.UploadBytes(ctx, big)
	if err != nil || fc.Kind() != "CHK" {
		t.Fatalf("upload: %v %v", fc.Kind(), err)
	}
	if again, _ := c.UploadBytes(ctx, big); !again.Equal(fc) {
		t.Error("the same content gave another cap")
	}
	small, err := c.UploadBytes(ctx, []byte("tiny"))
	if err != nil || !small.IsLIT() {
		t.Fatalf("small upload: %v %v", small.Kind(), err)
	}
	rc, err := c.Download(ctx, fc)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, big) {
		t.Errorf("downloaded %d bytes", len(got))
	}
	md := map[string]any{"mode": "100644", "mtime": 1.5}
	dir, err := c.MkdirImmutable(ctx, map[string]lafsapi.Child{"big": {Cap: fc, Metadata: md}, "small": {Cap: small}})
	if err != nil || dir.Kind() != "DIR2-CHK" {
		t.Fatalf("mkdir: %v %v", dir.Kind(), err)
	}
	n, err := c.Info(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	b := n.Children["big"]
	if !n.IsDir() || len(n.Children) != 2 || !b.Cap.Equal(fc) || b.Size != 1000 || b.Metadata["mode"] != "100644" {
		t.Errorf("listing %+v", n)
	}
	child, err := c.Info(ctx, dir, "big")
	if err != nil || child.Type != "filenode" || child.Metadata["mtime"].(interface{ String() string }).String() != "1.5" {
		t.Errorf("child by path: %+v %v", child, err)
	}
	if _, err := c.Info(ctx, dir, "none"); !lafsapi.IsNotFound(err) {
		t.Errorf("missing child: %v", err)
	}
	if empty, err := c.MkdirImmutable(ctx, nil); err != nil || !empty.IsLIT() {
		t.Errorf("empty directory: %v %v", empty.Kind(), err)
	}
	if s.Count(lafstest.Op("upload", lafsapi.Cap{})) != 3 || s.Count(lafstest.Op("info", dir)) != 3 {
		t.Errorf("request log: %d uploads, %d infos", s.Count(lafstest.Op("upload", lafsapi.Cap{})), s.Count(lafstest.Op("info", dir)))
	}
}

func TestLinks(t *testing.T) {
	ctx := context.Background()
	s := lafstest.New(t)
	c := s.Client(t, lafsapi.Options{})
	links, err := c.MkdirMutable(ctx)
	if err != nil || links.IsImmutable() {
		t.Fatalf("mkdir: %v", err)
	}
	a, b := s.PutFile(bytes.Repeat([]byte("a"), 100)), s.PutFile(bytes.Repeat([]byte("b"), 100))
	if err := c.Link(ctx, links, "x", a); err != nil {
		t.Fatal(err)
	}
	if err := c.Unlink(ctx, links, "x", b); !lafsapi.IsConflict(err) {
		t.Errorf("unlink of another cap: %v", err)
	}
	if err := c.Unlink(ctx, links, "x", a); err != nil {
		t.Errorf("unlink: %v", err)
	}
	if _, ok := s.Children(links)["x"]; ok {
		t.Error("still linked")
	}
	if err := c.Unlink(ctx, links, "x", a); !lafsapi.IsNotFound(err) {
		t.Errorf("unlink of a missing name: %v", err)
	}
}

func TestChecksAndWalks(t *testing.T) {
	ctx := context.Background()
	s := lafstest.New(t)
	c := s.Client(t, lafsapi.Options{})
	f1, f2 := s.PutFile(bytes.Repeat([]byte("1"), 100)), s.PutFile(bytes.Repeat([]byte("2"), 100))
	sub := s.PutDir(map[string]lafsapi.Child{"f2": {Cap: f2}})
	root := s.PutDir(map[string]lafsapi.Child{"f1": {Cap: f1}, "sub": {Cap: sub}, "lit": {Cap: lafsapi.LITCap([]byte("l"))}})
	s.SetHealth(f2, lafsapi.CheckResult{Summary: "Not Healthy: 3 shares", Recoverable: true, SharesGood: 3})
	if r, err := c.Check(ctx, f1, lafsapi.CheckOptions{AddLease: true}); err != nil || !r.Healthy || r.StorageIndex != lafstest.StorageIndex(f1) {
		t.Errorf("check: %+v %v", r, err)
	}
	var paths []string
	err := c.StreamDeepCheck(ctx, root, lafsapi.CheckOptions{}, func(u lafsapi.DeepCheckUnit) error {
		if u.Type != "stats" {
			paths = append(paths, strings.Join(u.Path, "/")+":"+map[bool]string{true: "ok", false: "sick"}[u.Check.Healthy])
		}
		return nil
	})
	if want := ":ok f1:ok lit:ok sub:ok sub/f2:sick"; err != nil || strings.Join(paths, " ") != want {
		t.Errorf("deep-check %q %v, want %q", paths, err, want)
	}
	r, err := c.Check(ctx, f2, lafsapi.CheckOptions{Repair: true})
	if err != nil || !r.Healthy || !r.RepairSuccessful || r.PreRepair == nil || r.PreRepair.SharesGood != 3 {
		t.Errorf("repair: %+v %v", r, err)
	}
	s.Unreadable(sub, 410, "UnrecoverableFileError")
	if _, err := c.Info(ctx, sub); !lafsapi.IsGone(err) {
		t.Errorf("info of an unreadable directory: %v", err)
	}
	paths = nil
	err = c.StreamManifest(ctx, root, func(u lafsapi.ManifestUnit) error {
		paths = append(paths, strings.Join(u.Path, "/"))
		return nil
	})
	var se *lafsapi.StreamError
	if !errors.As(err, &se) || strings.Join(se.Path, "/") != "sub" || strings.Join(paths, " ") != " f1 lit sub" {
		t.Errorf("manifest %q %v", paths, err)
	}
}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	s := lafstest.New(t)
	c := s.Client(t, lafsapi.Options{Attempts: 3, QuickRetries: -1})
	data := bytes.Repeat([]byte("d"), 100)
	fc := s.PutFile(data)
	s.Fault(lafstest.Op("upload", lafsapi.Cap{}), lafstest.Replies(lafstest.Status(503, "busy"), s.Store))
	if got, err := c.UploadBytes(ctx, data); err != nil || !got.Equal(fc) {
		t.Errorf("upload after a 503: %v", err)
	}
	uploads := 0
	for _, r := range s.Requests() {
		if r.Op == "upload" {
			uploads++
			if !bytes.Equal(r.Body, data) || r.Line != "PUT /uri" {
				t.Errorf("recorded %q with %d bytes", r.Line, len(r.Body))
			}
		}
	}
	if uploads != 2 {
		t.Errorf("%d upload requests, want the retry too", uploads)
	}
	s.Fault(lafstest.Op("check", fc), lafstest.HangUp)
	if _, err := c.Check(ctx, fc, lafsapi.CheckOptions{}); err == nil || s.Count(lafstest.Op("check", fc)) != 3 {
		t.Errorf("hang-ups: %v after %d attempts", err, s.Count(lafstest.Op("check", fc)))
	}
	s.Fault(lafstest.Op("download", fc), lafstest.Replies(s.Truncated(3), s.Store))
	rc, err := c.Download(ctx, fc)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(rc); err == nil || len(got) != 3 {
		t.Errorf("truncated download: %d bytes, %v", len(got), err)
	}
	rc.Close()
	st, err := c.NodeStatus(ctx)
	if err != nil || len(st.ConnectedServers()) != 4 {
		t.Errorf("status %+v %v", st, err)
	}
}
