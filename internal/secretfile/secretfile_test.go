package secretfile

import (
	"os"
	"path/filepath"
	"testing"
)

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

func TestOpenFileCreatesAndTightens(t *testing.T) {
	dir := t.TempDir()
	fresh := filepath.Join(dir, "fresh")
	f, err := OpenFile(fresh, os.O_RDWR|os.O_CREATE)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if m := mode(t, fresh); m != 0o600 {
		t.Errorf("new file: %v, want 0600", m)
	}
	for _, tc := range []struct {
		before, after os.FileMode
	}{
		{0o644, 0o600}, {0o666, 0o600}, {0o640, 0o600}, {0o400, 0o400}, {0o600, 0o600}, {0o755, 0o700},
	} {
		old := filepath.Join(dir, "old")
		os.Remove(old)
		if err := os.WriteFile(old, []byte("caps"), 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chmod(old, tc.before)
		f, err := OpenFile(old, os.O_RDONLY)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		if m := mode(t, old); m != tc.after {
			t.Errorf("existing %v: %v after open, want %v", tc.before, m, tc.after)
		}
	}
}

func TestRestrictPath(t *testing.T) {
	dir := t.TempDir()
	db, link := filepath.Join(dir, "db"), filepath.Join(dir, "link")
	if err := os.WriteFile(db, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(db, 0o644)
	target := filepath.Join(dir, "target")
	os.WriteFile(target, nil, 0o644)
	os.Chmod(target, 0o644)
	os.Symlink(target, link)
	for _, p := range []string{db, link, filepath.Join(dir, "missing-wal")} {
		if err := RestrictPath(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	if m := mode(t, db); m != 0o600 {
		t.Errorf("database: %v, want 0600", m)
	}
	if m := mode(t, target); m != 0o644 {
		t.Errorf("a symlink's target was changed: %v", m)
	}
}
