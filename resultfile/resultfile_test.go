package resultfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestFormatParseRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 29, 17, 12, 43, 904543000, time.Local)
	for _, src := range []string{"/srv/backups/weekly.2026-11-29", "/srv/with space/x", "/odd\\name\nline", "/"} {
		l := Line{Time: at, Generation: 42, Source: src, Cap: "URI:DIR2-CHK:aaaa:bbbb:2:4:100"}
		s := l.Format()
		if strings.ContainsAny(s, "\n") {
			t.Fatalf("line for %q has a newline: %q", src, s)
		}
		got, ok := Parse(s)
		if !ok || !got.Time.Equal(at) || got.Generation != 42 || got.Source != src || got.Cap != l.Cap {
			t.Errorf("round trip of %q: got %+v ok=%v from %q", src, got, ok, s)
		}
	}
}

func TestParseOriginalAndForeignLines(t *testing.T) {
	for _, tc := range []struct {
		in     string
		ok     bool
		source string
		gen    int64
	}{
		{"2012-10-10T23:12:43.904543 /srv/backups/weekly.2012-10-10 URI:DIR2-CHK:x:y:1:2:3", true, "/srv/backups/weekly.2012-10-10", 0},
		{"", false, "", 0},
		{"# my note", false, "", 0},
		{"2026-01-01T00:00:00Z gen:7 /a URI:DIR2-CHK:x", true, "/a", 7},
		{"2026-01-01T00:00:00Z gen:7 URI:DIR2-CHK:x", true, "gen:7", 0},
	} {
		l, ok := Parse(tc.in)
		if ok != tc.ok || (ok && (l.Source != tc.source || l.Generation != tc.gen)) {
			t.Errorf("Parse(%q) = %+v, %v", tc.in, l, ok)
		}
	}
}

func TestAppendCreates0600AndRewriteKeepsForeignLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "backups.txt")
	os.WriteFile(path, []byte("# operator note\n\n"), 0o600)
	now := time.Now()
	for g := int64(1); g <= 3; g++ {
		if err := Append(path, Line{Time: now, Generation: g, Source: "/s", Cap: fmt.Sprintf("URI:DIR2-CHK:c%d", g)}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := Rewrite(path, func(l Line) bool { return l.Generation == 2 })
	if err != nil || n != 1 {
		t.Fatalf("Rewrite = %d, %v", n, err)
	}
	data, _ := os.ReadFile(path)
	got := string(data)
	if !strings.HasPrefix(got, "# operator note\n\n") || strings.Contains(got, "c2") || !strings.Contains(got, "c1") || !strings.Contains(got, "c3") {
		t.Fatalf("after rewrite:\n%s", got)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}

	// An existing file (and its lock) left 0644 is made 0600 by Append.
	os.Chmod(path, 0o644)
	os.Chmod(path+".lock", 0o644)
	if err := Append(path, Line{Time: now, Generation: 4, Source: "/s", Cap: "URI:DIR2-CHK:c4"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + ".lock"} {
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: mode %v after Append, want 0600", p, fi.Mode().Perm())
		}
	}

	fresh := filepath.Join(t.TempDir(), "new.txt")
	if err := Append(fresh, Line{Time: now, Generation: 1, Source: "/s", Cap: "URI:LIT:"}); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(fresh); fi.Mode().Perm() != 0o600 {
		t.Fatalf("new file mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestConcurrentAppendsDuringRewriteAreKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "backups.txt")
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(2)
		go func(i int) {
			defer wg.Done()
			Append(path, Line{Time: time.Now(), Generation: int64(i + 1), Source: "/s", Cap: fmt.Sprintf("URI:DIR2-CHK:k%d", i)})
		}(i)
		go func() {
			defer wg.Done()
			Rewrite(path, func(Line) bool { return false })
		}()
	}
	wg.Wait()
	lines, err := Read(path)
	if err != nil || len(lines) != 40 {
		t.Fatalf("got %d lines, want 40 (%v)", len(lines), err)
	}
}
