package queue

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestReusable(t *testing.T) {
	dir := t.TempDir()
	qpath := filepath.Join(dir, "queue")
	if ok, err := Reusable(qpath, memRoot); ok || err != nil {
		t.Fatalf("missing queue: %v %v", ok, err)
	}
	if _, err := WriteFile(context.Background(), qpath, memRoot, BuildOptions{FS: newMemFS("a:d", "a/b:f")}); err != nil {
		t.Fatal(err)
	}
	if ok, err := Reusable(qpath, memRoot); !ok || err != nil {
		t.Fatalf("complete queue: %v %v", ok, err)
	}
	if ok, err := Reusable(qpath, memRoot+"/../mem"); !ok || err != nil {
		t.Fatalf("same source spelled otherwise: %v %v", ok, err)
	}
	if ok, err := Reusable(qpath, "/elsewhere"); ok || !errors.Is(err, ErrOtherSource) {
		t.Fatalf("other source: %v %v", ok, err)
	}
	// A version-2 queue (no walk summary) is not reused automatically.
	v2, err := os.ReadFile(filepath.Join("testdata", "golden-v2.queue"))
	if err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, "old-queue")
	os.WriteFile(old, v2, 0o600)
	if ok, err := Reusable(old, "/srv/backups/backup 2026-11-20\n\\x"); ok || !errors.Is(err, ErrNoSummary) {
		t.Fatalf("version-2 queue: %v %v", ok, err)
	}
	data, err := os.ReadFile(qpath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(qpath, data[:len(data)-10], 0o600); err != nil {
		t.Fatal(err)
	}
	if ok, err := Reusable(qpath, memRoot); ok || !errors.Is(err, ErrIncomplete) {
		t.Fatalf("truncated queue: %v %v", ok, err)
	}
}
