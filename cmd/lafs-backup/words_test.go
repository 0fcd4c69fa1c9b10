package main

import (
	"strings"
	"testing"
)

func TestPlural(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		noun string
		want string
	}{
		{1, "symlink", "1 symlink"},
		{2, "symlink", "2 symlinks"},
		{0, "backup", "0 backups"},
		{1, "entry", "1 entry"},
		{3, "entry", "3 entries"},
		{2, "directory", "2 directories"},
		{2, "day", "2 days"},
		{2, "unchanged subtree", "2 unchanged subtrees"},
	} {
		if got := plural(tc.n, tc.noun); got != tc.want {
			t.Errorf("plural(%d, %q) = %q, want %q", tc.n, tc.noun, got, tc.want)
		}
	}
}

// TestSingularCounts: a count of one reads in the singular, as a person
// would write it (keep 1 backup, not keep 1 backups).
func TestSingularCounts(t *testing.T) {
	s := newOfflineSite(t, 2)
	code, out, errOut := s.run(t, "", "cleanup", "--keep-last", "1", "--dry-run")
	if want := "would remove 1 backup and the cache rows of generation 1; keep 1 backup\n"; code != 0 || !strings.Contains("\n"+out, "\n"+want) {
		t.Errorf("exit %d, want %q in\n%s%s", code, want, out, errOut)
	}
}
