package treeformat

import (
	"reflect"
	"testing"
)

func TestGridName(t *testing.T) {
	for raw, want := range map[string]string{
		"plain.txt":      "plain.txt",
		"e\u0301":        "\u00e9", // NFD -> NFC
		"bad\xff":        `bad\xff`,
		"\xc3":           `\xc3`,
		"a\nb":           "a\nb",
		"\xe9t\xe9.txt":  `\xe9t\xe9.txt`,  // Latin-1
		"x\xfa\u0301.go": "x\\xf\u00e1.go", // the escape's last digit composes
	} {
		if got := GridName(raw); got != want {
			t.Errorf("GridName(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestAssignNames(t *testing.T) {
	for _, tc := range []struct {
		raws, want []string
	}{
		{[]string{"a", "b"}, []string{"a", "b"}},
		// The NFC name keeps itself whatever the order.
		{[]string{"e\u0301", "\u00e9"}, []string{"\u00e9~1", "\u00e9"}},
		{[]string{"\u00e9", "e\u0301"}, []string{"\u00e9", "\u00e9~1"}},
		{[]string{"e\u0301.txt", "\u00e9.txt", "\u00e9~1.txt"}, []string{"\u00e9~2.txt", "\u00e9.txt", "\u00e9~1.txt"}},
		{[]string{"bad\xff", `bad\xff`}, []string{`bad\xff~1`, `bad\xff`}},
		{[]string{".e\u0301", ".\u00e9"}, []string{".\u00e9~1", ".\u00e9"}},
		// Two changed names mapping alike: byte order of the raw names decides.
		{[]string{"\xfa\u0301", "\\xfa\u0301"}, []string{"\\xf\u00e1~1", "\\xf\u00e1"}},
		{[]string{"\\xfa\u0301", "\xfa\u0301"}, []string{"\\xf\u00e1", "\\xf\u00e1~1"}},
		{[]string{"\xff", "\xff"}, nil},
	} {
		got, err := AssignNames(tc.raws)
		if tc.want == nil {
			if err == nil {
				t.Errorf("AssignNames(%q) = %q, want a duplicate error", tc.raws, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("AssignNames(%q) = %q, %v; want %q", tc.raws, got, err, tc.want)
		}
	}
	if _, err := AssignNames([]string{"a", "a"}); err == nil {
		t.Error("duplicate valid names accepted")
	}
}

func TestWithSuffix(t *testing.T) {
	for name, want := range map[string]string{
		"a.txt": "a~2.txt", "a.tar.gz": "a.tar~2.gz", ".bashrc": ".bashrc~2", "README": "README~2", "a.": "a~2.",
	} {
		if got := withSuffix(name, 2); got != want {
			t.Errorf("withSuffix(%q) = %q, want %q", name, got, want)
		}
	}
}
