package browse

import (
	"testing"

	"github.com/lafs-backup/lafs-backup/lafsapi"
)

// TestGlobAndRegexp pins the pattern syntax of find (docs/browse.md).
func TestGlobAndRegexp(t *testing.T) {
	file := func(p string) Entry {
		name := p
		for i := len(p) - 1; i >= 0; i-- {
			if p[i] == '/' {
				name = p[i+1:]
				break
			}
		}
		return Entry{Path: p, Name: name, Node: lafsapi.Node{Type: "filenode"}}
	}
	dir := func(p string) Entry { e := file(p); e.Node.Type = "dirnode"; return e }
	for _, tc := range []struct {
		pattern string
		re      bool
		e       Entry
		want    bool
	}{
		{"*.conf", false, file("etc/app.conf"), true},
		{"*.conf", false, file("app.conf"), true},
		{"*.conf", false, file("etc/app.conf.bak"), false},
		{"passwd", false, file("etc/passwd"), true},
		{".*", false, file("home/bob/.bashrc"), true},
		{"caf?.txt", false, file("caf\xe9.txt"), true}, // ? is one byte that is not UTF-8
		{"etc/*.conf", false, file("etc/app.conf"), true},
		{"/etc/*.conf", false, file("etc/app.conf"), true},
		{"etc/*.conf", false, file("etc/sub/app.conf"), false}, // * stays in one component
		{"etc/**/*.conf", false, file("etc/sub/app.conf"), true},
		{"etc/**/*.conf", false, file("etc/app.conf"), true}, // ** is zero components too
		{"home/*/.ssh/**", false, file("home/bob/.ssh/id_ed25519"), true},
		{"home/*/.ssh/**", false, dir("home/bob/.ssh"), false}, // a final ** is what is below
		{"**/log/", false, dir("var/log"), true},
		{"**/log/", false, file("var/log"), false}, // a trailing / is directories only
		{"log/", false, dir("var/log"), true},
		{`a\*b`, false, file("a*b"), true},
		{`a\*b`, false, file("axb"), false},
		{`^/etc/.*\.conf$`, true, file("etc/app.conf"), true},
		{`^/var/log/$`, true, dir("var/log"), true}, // a directory is tested with a trailing /
		{`^/var/log/$`, true, file("var/log"), false},
		{`conf`, true, file("etc/app.conf.bak"), true}, // unanchored, as a filter rule
	} {
		compile := Glob
		if tc.re {
			compile = Regexp
		}
		m, err := compile(tc.pattern)
		if err != nil {
			t.Fatalf("%q: %v", tc.pattern, err)
		}
		if got := m(tc.e); got != tc.want {
			t.Errorf("%q on %q (dir %v): %v, want %v", tc.pattern, tc.e.Path, tc.e.IsDir(), got, tc.want)
		}
	}
	for _, bad := range []string{"", "[", "etc/[x"} {
		if _, err := Glob(bad); err == nil {
			t.Errorf("Glob(%q) accepted", bad)
		}
	}
	if _, err := Regexp("(?!x)"); err == nil {
		t.Error("a Python-only regexp was accepted")
	}
}
