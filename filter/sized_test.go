package filter

import (
	"errors"
	"strings"
	"testing"
)

// The rows of the original's base config comments plus every row form,
// as config decodes them (config/helpers_test.go TestPathFilterRowForms
// checks that decoding).
var sizedRows = []Row{
	{Action: Exclude, Pattern: `\.(gz|bz2|t[gb]z2?|xz|lzma|7z|zip|rar)$`},
	{Action: AtSize, Size: 500, Pattern: `\.(txt|csv|log|md)$`},
	{Action: AtSize, Size: 2000, Pattern: `^/etc/`},
	{Action: Include, Pattern: `\.dat$`},
	{Action: AtSize, Size: 0, Pattern: `\.always$`},
	{Action: Exclude, Pattern: `\.bin$`},          // ["-", RE]
	{Action: Exclude, Pattern: `\.null$`},         // [null, RE]
	{Action: Exclude, Pattern: `\.false$`},        // [false, RE]
	{Action: Include, Pattern: `\.true$`},         // [true, RE]
	{Action: Include, Pattern: `\.plus$`},         // ["+", RE]
	{Action: AtSize, Size: 3, Pattern: `\.frac$`}, // [2.5, RE]: >= 2.5 is >= 3
	{Action: Exclude, Pattern: `\.strpair$`},
}

type decideCase struct {
	rel      string
	size     int64
	compress bool
	rule     int
}

func checkDecide(t *testing.T, s *Sized, cases []decideCase) {
	t.Helper()
	for _, c := range cases {
		got, rule := s.Decide(c.rel, c.size)
		if got != c.compress || rule != c.rule {
			t.Errorf("Decide(%q, %d) = (%v, %d), want (%v, %d)", c.rel, c.size, got, rule, c.compress, c.rule)
		}
	}
}

func TestDecideWithMinSize(t *testing.T) {
	s, err := ParseSized(sizedRows, 5120)
	if err != nil {
		t.Fatal(err)
	}
	checkDecide(t, s, []decideCase{
		{"a/b.tar.gz", 1 << 30, false, 0},
		{"notes.txt", 499, false, 1},
		{"notes.txt", 500, true, 1},
		{"etc/passwd", 1999, false, 2},
		{"etc/passwd", 2000, true, 2},
		{"etc/x.txt", 600, true, 1}, // first match wins over ^/etc/
		{"x.dat", 5119, false, 3},   // "+": min_size
		{"x.dat", 5120, true, 3},
		{"empty.always", 0, true, 4}, // 0 compresses even empty files
		{"x.bin", 1 << 20, false, 5},
		{"x.null", 1 << 20, false, 6},
		{"x.false", 1 << 20, false, 7},
		{"x.true", 5120, true, 8},
		{"x.true", 5119, false, 8},
		{"x.plus", 5120, true, 9},
		{"x.frac", 2, false, 10}, // size >= 2.5
		{"x.frac", 3, true, 10},
		{"x.strpair", 1 << 20, false, 11},
		{"other", 5119, false, -1}, // no match: min_size
		{"other", 5120, true, -1},
		{"etc", 5120, true, -1}, // files only: "/etc" does not match ^/etc/
	})
}

// min_size: null in the original: "+" rules and unmatched files are never
// compressed; only numeric rows are.
func TestDecideNoMinSize(t *testing.T) {
	s, err := ParseSized(sizedRows, NoMinSize)
	if err != nil {
		t.Fatal(err)
	}
	checkDecide(t, s, []decideCase{
		{"x.dat", 1 << 30, false, 3},
		{"x.true", 1 << 30, false, 8},
		{"other", 1 << 30, false, -1},
		{"notes.txt", 500, true, 1},
		{"empty.always", 0, true, 4},
	})
}

func TestNilSizedNeverCompresses(t *testing.T) {
	var s *Sized
	if c, r := s.Decide("x", 1<<30); c || r != -1 {
		t.Fatalf("nil Sized: (%v, %d)", c, r)
	}
	empty, err := ParseSized(nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	checkDecide(t, empty, []decideCase{{"x", 99, false, -1}, {"x", 100, true, -1}})
}

// The YAML row forms' own errors (three elements, "x" as an action, a
// negative size...) are config's: config/load_test.go.
func TestParseSizedErrors(t *testing.T) {
	cases := []struct {
		row  Row
		want string
	}{
		{Row{Action: AtSize, Size: -1, Pattern: "a"}, "out of range"},
		{Row{Pattern: "a"}, "unknown action"},
		{Row{Action: AtSize, Size: 500, Pattern: `(?=a)`}, "look-ahead"},
		{Row{Action: AtSize, Size: 500, Pattern: `a{,9}`}, "{0,9}"},
		{Row{Action: Exclude, Pattern: `a(`}, "not a valid Go regexp"},
	}
	for _, c := range cases {
		_, err := ParseSized([]Row{{Action: Include, Pattern: "ok"}, c.row}, 5120)
		if err == nil {
			t.Errorf("ParseSized(%v): no error", c.row)
			continue
		}
		var re *RuleError
		if !errors.As(err, &re) || re.Index != 1 || !strings.Contains(err.Error(), "rule 2 ") {
			t.Errorf("ParseSized(%v): error does not name rule 2: %v", c.row, err)
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseSized(%v): error %q lacks %q", c.row, err, c.want)
		}
	}
}

func TestSizedExplain(t *testing.T) {
	s, err := ParseSized([]Row{{Action: AtSize, Size: 500, Pattern: `\.txt$`}, {Action: Exclude, Pattern: `\.gz$`}}, 5120)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		rel  string
		size int64
		want string
	}{
		{"a.txt", 600, `"/a.txt" (600 bytes) compressed: 600 >= 500, by rule 1 "[500, \"\\\\.txt$\"]"`},
		{"a.gz", 600, `"/a.gz" (600 bytes) not compressed: never, by rule 2 "-\\.gz$"`},
		{"a", 10, `"/a" (10 bytes) not compressed: 10 < 5120, by min_size (no rule matched)`},
	}
	for _, c := range cases {
		if got := s.Explain(c.rel, c.size); got != c.want {
			t.Errorf("Explain(%q) =\n %s\nwant\n %s", c.rel, got, c.want)
		}
	}
}
