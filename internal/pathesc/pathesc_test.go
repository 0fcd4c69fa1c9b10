package pathesc

import "testing"

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain/name.txt", "plain/name.txt"},
		{"with space ", "with space "},
		{"back\\slash", `back\\slash`},
		{"new\nline\ttab\rcr", `new\nline\ttab\rcr`},
		{"bad\xffbyte", `bad\xffbyte`},
		{"ctl\x01", `ctl\x01`},
		{"utf8 é ✓", "utf8 é ✓"},
		// Formerly uploader's TestEscapePath.
		{"a/b c", "a/b c"},
		{"a\nb\\c", `a\nb\\c`},
		{"\u00e9\x01", "\u00e9\\x01"},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDisplay(t *testing.T) {
	if got := Display(""); got != "." {
		t.Errorf("Display(\"\") = %q, want .", got)
	}
	if got := Display("a/b\nc"); got != Escape("a/b\nc") {
		t.Errorf("Display = %q, want the escaped path %q", got, Escape("a/b\nc"))
	}
}

func TestBadComponent(t *testing.T) {
	for _, tc := range []struct {
		in  string
		bad bool
	}{
		{"a", false},
		{"a/b/c.txt", false},
		{"..a/b.", false},
		{" lead/trail ", false},
		{"a\n/b", false},
		{"/a", true},
		{"a/", true},
		{"a//b", true},
		{".", true},
		{"a/./b", true},
		{"..", true},
		{"a/..", true},
		{"../a", true},
	} {
		if got := BadComponent(tc.in); got != tc.bad {
			t.Errorf("BadComponent(%q) = %v, want %v", tc.in, got, tc.bad)
		}
	}
}
