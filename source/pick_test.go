package source

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// mk creates dir/name as a directory (or a file when name ends in "!")
// modified age before now, with an optional ready marker.
func mk(t *testing.T, dir, name string, age time.Duration, marker bool) {
	t.Helper()
	p := filepath.Join(dir, strings.TrimSuffix(name, "!"))
	var err error
	if strings.HasSuffix(name, "!") {
		err = os.WriteFile(p, nil, 0o644)
	} else {
		err = os.Mkdir(p, 0o755)
		if err == nil && marker {
			err = os.WriteFile(filepath.Join(p, ".done"), nil, 0o644)
		}
	}
	if err == nil {
		err = os.Chtimes(p, now.Add(-age), now.Add(-age))
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestPick(t *testing.T) {
	dir := t.TempDir()
	mk(t, dir, "backup.2026-11-01", 48*time.Hour, true)
	mk(t, dir, "backup.2026-11-19", 20*time.Hour, true)
	mk(t, dir, "backup.2026-11-20", 10*time.Minute, false) // rsync still writing
	mk(t, dir, "backup.2026-11-3", 30*time.Hour, false)    // byte order: after -20
	mk(t, dir, "backup.zz!", 100*time.Hour, false)         // newest name, a file
	pat := filepath.Join(dir, "backup.*")
	cases := []struct {
		o    PickOptions
		want string
	}{
		{PickOptions{Now: now}, "backup.2026-11-3"},
		{PickOptions{Now: now, ReadyMarker: ".done"}, "backup.2026-11-19"},
		{PickOptions{Now: now, MinAge: time.Hour}, "backup.2026-11-3"},
		{PickOptions{Now: now, MinAge: 25 * time.Hour}, "backup.2026-11-3"},
		{PickOptions{Now: now, MinAge: 40 * time.Hour}, "backup.2026-11-01"},
	}
	for _, c := range cases {
		got, err := Pick(pat, c.o)
		if err != nil || got != filepath.Join(dir, c.want) {
			t.Errorf("Pick(%+v) = %q, %v; want %s", c.o, got, err, c.want)
		}
	}
}

func TestPickNothing(t *testing.T) {
	dir := t.TempDir()
	_, err := Pick(filepath.Join(dir, "backup.*"), PickOptions{})
	if !errors.Is(err, ErrNoSource) || !strings.Contains(err.Error(), "matched nothing") {
		t.Fatalf("no match: %v", err)
	}
	mk(t, dir, "backup.1", time.Minute, false)
	_, err = Pick(filepath.Join(dir, "backup.*"), PickOptions{Now: now, MinAge: time.Hour, ReadyMarker: ".done"})
	if !errors.Is(err, ErrNoSource) || !strings.Contains(err.Error(), "min_age") {
		t.Fatalf("none ready: %v", err)
	}
	_, err = Pick(filepath.Join(dir, "["), PickOptions{})
	if err == nil || errors.Is(err, ErrNoSource) {
		t.Fatalf("bad pattern: %v", err)
	}
}

func TestPickFollowsSymlinkedMatch(t *testing.T) {
	dir := t.TempDir()
	mk(t, dir, "snap", time.Hour, false)
	if err := os.Symlink("snap", filepath.Join(dir, "zlatest")); err != nil {
		t.Fatal(err)
	}
	got, err := Pick(filepath.Join(dir, "*"), PickOptions{})
	if err != nil || filepath.Base(got) != "zlatest" {
		t.Fatalf("got %q, %v", got, err)
	}
}
