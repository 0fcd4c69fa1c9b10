package restore_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lafs-backup/lafs-backup/restore"
)

func TestRestoreSubtree(t *testing.T) {
	requireRoot(t)
	c, root := v1Root(t)
	target := filepath.Join(t.TempDir(), "out")
	st, err := restore.Run(t.Context(), c, root, restore.Options{Target: target, SubPath: "/sub/"})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Failed) > 0 || st.Files != 3 || st.Hardlinks != 0 {
		t.Errorf("stats %+v", st)
	}
	// The target takes sub's metadata; h3's first member (hard2) is not
	// restored, so h3 is a file of its own.
	var wants []want
	for _, w := range v1Wants() {
		if rest, ok := strings.CutPrefix(w.path, "sub"); ok {
			w.path = strings.TrimPrefix(rest, "/")
			wants = append(wants, w)
		}
	}
	checkWants(t, target, wants)
	checkEntries(t, target, wants)
}

func TestRestoreOneFile(t *testing.T) {
	requireRoot(t)
	c, root := v1Root(t)
	for _, tc := range []struct{ sub, want string }{
		{"sub/acl.txt", "sub/acl.txt"},
		{"bad\xff", "bad\xff"},
		{"bad\\xff", "bad\xff"}, // the on-grid name works too
		{"cafe\u0301", "cafe\u0301"},
		{"link", "link"},
	} {
		target := filepath.Join(t.TempDir(), "out")
		st, err := restore.Run(t.Context(), c, root, restore.Options{Target: target, SubPath: tc.sub})
		if err != nil {
			t.Fatalf("%q: %v", tc.sub, err)
		}
		if len(st.Failed) > 0 || st.Files+st.Symlinks != 1 || st.Dirs != 0 {
			t.Errorf("%q: stats %+v", tc.sub, st)
		}
		i := slices.IndexFunc(v1Wants(), func(w want) bool { return w.path == tc.want })
		w := v1Wants()[i]
		w.path = filepath.Base(w.path)
		checkWants(t, target, []want{w})
		// The target directory itself keeps its own metadata.
		checkEntries(t, target, []want{w, {path: ""}})
	}
}

func TestRestoreSubPathMissing(t *testing.T) {
	c, root := v1Root(t)
	for _, sub := range []string{"nope", "plain.txt/x", "sub/../hard1"} {
		_, err := restore.Run(t.Context(), c, root, restore.Options{Target: t.TempDir(), SubPath: sub})
		if err == nil {
			t.Errorf("%q: no error", sub)
		}
	}
}
