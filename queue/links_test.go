package queue

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestSurveyFile: files linked twice inside the walk are candidates; a file
// whose only other link is outside the walk (rsync --link-dest) is not.
func TestSurveyFile(t *testing.T) {
	base := t.TempDir()
	src := filepath.Join(base, "snap")
	outside := filepath.Join(base, "older")
	for _, d := range []string{src, outside, filepath.Join(src, "d")} {
		os.MkdirAll(d, 0o755)
	}
	write := func(p string) {
		if err := os.WriteFile(p, []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(src, "a"))
	os.Link(filepath.Join(src, "a"), filepath.Join(src, "d", "a2")) // group inside
	write(filepath.Join(outside, "b"))
	os.Link(filepath.Join(outside, "b"), filepath.Join(src, "b")) // other link outside
	write(filepath.Join(src, "plain"))

	q := filepath.Join(base, "queue")
	wst, err := WriteFile(context.Background(), q, src, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sv, err := SurveyFile(q)
	if err != nil {
		t.Fatal(err)
	}
	// root, d, a, d/a2, b, plain; bytes are the files' own names.
	wantBytes := int64(len(filepath.Join(src, "a"))*2 + len(filepath.Join(outside, "b")) + len(filepath.Join(src, "plain")))
	if sv.Entries != 6 || sv.Files != 4 || sv.Bytes != wantBytes {
		t.Errorf("survey %d entries, %d files, %d bytes; want 6, 4, %d", sv.Entries, sv.Files, sv.Bytes, wantBytes)
	}
	if sv.Walk == nil || *sv.Walk != (Summary{}) {
		t.Errorf("survey of a clean walk: summary %v, want zero errors and skips", sv.Walk)
	}
	for _, tc := range []struct {
		name string
		want bool
	}{{"a", true}, {"d/a2", true}, {"b", false}, {"plain", false}} {
		var st unix.Stat_t
		if err := unix.Lstat(filepath.Join(src, tc.name), &st); err != nil {
			t.Fatal(err)
		}
		// The walk finds the same candidates as it writes the queue.
		for what, cand := range map[string]func(dev, ino uint64) bool{"SurveyFile": sv.Links, "WriteFile": wst.Links} {
			if got := cand(uint64(st.Dev), st.Ino); got != tc.want {
				t.Errorf("%s: %s says candidate %v, want %v", tc.name, what, got, tc.want)
			}
		}
	}
}
