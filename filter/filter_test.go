package filter

import (
	"errors"
	"strings"
	"testing"
)

type matchCase struct {
	rel   string
	isDir bool
	inc   bool
	rule  int // 0-based, -1 none
}

func checkMatches(t *testing.T, rules []string, cases []matchCase) {
	t.Helper()
	f, err := Parse(rules)
	if err != nil {
		t.Fatalf("Parse(%q): %v", rules, err)
	}
	for _, c := range cases {
		inc, rule := f.Match(c.rel, c.isDir)
		if inc != c.inc || rule != c.rule {
			t.Errorf("rules %q: Match(%q, dir=%v) = (%v, %d), want (%v, %d)",
				rules, c.rel, c.isDir, inc, rule, c.inc, c.rule)
		}
	}
}

// Each rule of docs/filter.md, one table per rule.
func TestMatchSpecRules(t *testing.T) {
	t.Run("leading slash", func(t *testing.T) {
		checkMatches(t, []string{`-^/tmp/`}, []matchCase{
			{"tmp", true, false, 0},
			{"tmp/x", false, false, 0},
			{"sub/tmp", true, true, -1},
			{"tmpfile", false, true, -1},
		})
	})
	t.Run("trailing slash for directories only", func(t *testing.T) {
		checkMatches(t, []string{`-/cache/$`}, []matchCase{
			{"a/cache", true, false, 0},
			{"a/cache", false, true, -1}, // a file, or a symlink to a directory
			{"cache", true, false, 0},
		})
	})
	t.Run("symlink to directory is tested without slash", func(t *testing.T) {
		// The walker passes isDir=false for every symlink.
		checkMatches(t, []string{`-^/link/`, `+.`}, []matchCase{
			{"link", false, true, 1},
			{"link", true, false, 0},
		})
	})
	t.Run("unanchored search", func(t *testing.T) {
		checkMatches(t, []string{`-\.o$`, `-core`}, []matchCase{
			{"a/b/c.o", false, false, 0},
			{"c.o/x", false, true, -1},
			{"score/board", false, false, 1},
		})
	})
	t.Run("first match wins", func(t *testing.T) {
		checkMatches(t, []string{`+keep`, `-.`, `+never-reached`}, []matchCase{
			{"keep/me", false, true, 0},
			{"other", false, false, 1},
			{"never-reached", false, false, 1},
		})
	})
	t.Run("no match includes", func(t *testing.T) {
		checkMatches(t, []string{`-^/x$`}, []matchCase{
			{"y", false, true, -1},
			{"x", true, true, -1}, // "/x/" does not match ^/x$
		})
		checkMatches(t, nil, []matchCase{{"anything", true, true, -1}})
	})
	t.Run("root is never tested", func(t *testing.T) {
		checkMatches(t, []string{`-.*`}, []matchCase{{"", true, true, -1}})
	})
	t.Run("dollar does not match before a final newline", func(t *testing.T) {
		// Python's $ would match "/a\n"; Go's does not (documented).
		checkMatches(t, []string{`-a$`}, []matchCase{
			{"a\n", false, true, -1},
			{"a", false, false, 0},
		})
	})
	t.Run("odd bytes in paths", func(t *testing.T) {
		// Go matches invalid UTF-8 bytes as U+FFFD, never as \xff.
		checkMatches(t, []string{`-\x{FFFD}`, `-^/ lead`, "-\n"}, []matchCase{
			{"bad\xffname", false, false, 0},
			{"bad\xc3name", false, false, 0},
			{" lead", false, false, 1},
			{"a\nb", false, false, 2},
			{"fine", false, true, -1},
		})
	})
}

func TestNilFilterIncludesAll(t *testing.T) {
	var f *Filter
	if inc, r := f.Match("x", true); !inc || r != -1 {
		t.Fatalf("nil filter: (%v, %d)", inc, r)
	}
}

// The README example of the original: /var/log/security is kept while the
// rest of /var/log, and /var/tmp etc., are excluded.
func TestReadmeVarLog(t *testing.T) {
	rules := []string{
		`+^/var/log/($|security/)`,
		`-^/var/(tmp|cache|log|spool)/`,
		`-^/home/\w+/Downloads/`,
		`-^/tmp/`,
	}
	checkMatches(t, rules, []matchCase{
		{"var", true, true, -1},
		{"var/log", true, true, 0}, // "$" matches after "/var/log/"
		{"var/log/security", true, true, 0},
		{"var/log/security/auth.log", false, true, 0},
		{"var/log/messages", false, false, 1},
		{"var/log/old", true, false, 1},
		{"var/tmp", true, false, 1},
		{"var/cache", true, false, 1},
		{"var/lib", true, true, -1},
		{"home/bob/Downloads", true, false, 2},
		{"home/bob/Documents", true, true, -1},
		{"tmp", true, false, 3},
		{"srv/tmp", true, true, -1},
	})
}

// The .git example of the original README does not work as written: the
// directory ".git/" itself matches '-/\.git/', so it is never descended
// into and .git/config is never reached. It needs '+/\.git/$' first.
func TestReadmeGitOrdering(t *testing.T) {
	asWritten := []string{
		`+/\.git/config$`,
		`+/\.git/info/`,
		`-/\.git/`,
		`-/(?i)\.?svn(/|ignore)$`,
		`-^/tmp/`,
	}
	checkMatches(t, asWritten, []matchCase{
		{"repo/.git", true, false, 2}, // excluded: nothing below is walked
		{"repo/.git/config", false, true, 0},
		{"repo/.git/info", true, true, 1},
		{"repo/.git/objects", true, false, 2},
		{"repo/.svn", true, false, 3},
		{"repo/.SVN", true, false, 3},
		{"repo/SVN", true, false, 3},
		{"repo/.svnignore", false, false, 3},
		{"repo/svn", false, true, -1},
		{"tmp", true, false, 4},
		{"a/tmp", true, true, -1},
	})
	fixed := append([]string{`+/\.git/$`}, asWritten...)
	checkMatches(t, fixed, []matchCase{
		{"repo/.git", true, true, 0},
		{"repo/.git/config", false, true, 1},
		{"repo/.git/info", true, true, 2},
		{"repo/.git/info/exclude", false, true, 2},
		{"repo/.git/HEAD", false, false, 3},
		{"repo/.git/objects", true, false, 3},
		{"repo/.git/config.bak", false, false, 3},
	})
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		rule      string
		construct string // "" = not a Python construct; want is then matched
		want      string
	}{
		{`^/a(?=b)`, "(?=", "look-ahead"},
		{`^/a(?!b)`, "(?!", "negative look-ahead"},
		{`(?<=a)b`, "(?<=", "look-behind"},
		{`(?<!a)b`, "(?<!", "negative look-behind"},
		{`(a)\1`, `\1`, "back-reference"},
		{`(a)\12`, `\12`, "back-reference"},
		{`(?P<n>a)(?P=n)`, "(?P=", "named back-reference"},
		{`a(?#comment)`, "(?#", "comment group"},
		{`(a)?(?(1)b|c)`, "(?(", "conditional group"},
		{`(?>ab)`, "(?>", "atomic group"},
		{`a*+`, "*+", "possessive"},
		{`a{2}+`, "{2}+", "possessive"},
		{`(?x) a b`, "(?x", "verbose flag"},
		{`(?iL)a`, "(?iL", "locale flag"},
		{`a\Z`, `\Z`, `write \z`},
		{`\u00e9`, `\u`, `\x{HHHH}`},
		{`^/a{,3}$`, "{,3}", "{0,3}"},
		{`^/a{,}$`, "{,}", "write *"},
		{`noprefix`, "", `must start with "+"`},
		{``, "", `must start with "+"`},
		{`+a(b`, "", "missing closing )"},
		{`-[z-a]`, "", "invalid character class range"},
	}
	for _, c := range cases {
		text := c.rule
		if c.construct != "" {
			text = "-" + c.rule
		}
		_, err := Parse([]string{`+ok`, text})
		if err == nil {
			t.Errorf("Parse(%q): no error", text)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, "rule 2 ") || !strings.Contains(msg, strconvQuote(text)) {
			t.Errorf("Parse(%q): error does not name rule 2 and its text: %s", text, msg)
		}
		if !strings.Contains(msg, c.want) {
			t.Errorf("Parse(%q): error %q lacks %q", text, msg, c.want)
		}
		var pe *PythonSyntaxError
		if c.construct != "" {
			if !errors.As(err, &pe) || pe.Construct != c.construct {
				t.Errorf("Parse(%q): want PythonSyntaxError for %q, got %v", text, c.construct, err)
			}
		} else if errors.As(err, &pe) {
			t.Errorf("Parse(%q): not Python syntax, got %v", text, err)
		}
	}
}

func strconvQuote(s string) string { return `"` + strings.ReplaceAll(s, `\`, `\\`) + `"` }

// Constructs that look Python-only but are escaped, inside a class, or valid
// in both dialects.
func TestParseAcceptsLookalikes(t *testing.T) {
	ok := []string{
		`-\(?=x`, `-[(?=]`, `-[a\]{,3}]`, `-\{,3}`, `-[{,3}]`, `-a{2,3}`, `-a{2,}`,
		`-a{}`, `-a{x}`, `-(?i)abc`, `-(?i:abc)`, `-(?P<name>a)`, `-(?:a)`,
		`-a+?`, `-a*?`, `-\123`, `-[[:alpha:](?=]x`, `-\\1`, `-(?s).`,
	}
	for _, r := range ok {
		if _, err := Parse([]string{r}); err != nil {
			t.Errorf("Parse(%q): %v", r, err)
		}
	}
}

func TestParseReportsAll(t *testing.T) {
	_, err := Parse([]string{`-(?=a)`, `+ok`, `bad`, `-a{,2}`})
	if err == nil {
		t.Fatal("no error")
	}
	var n int
	for _, line := range strings.Split(err.Error(), "\n") {
		if strings.HasPrefix(line, "rule ") {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("want 3 rule errors, got %d: %v", n, err)
	}
	for _, want := range []string{"rule 1 ", "rule 3 ", "rule 4 "} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

func TestExplain(t *testing.T) {
	f, err := Parse([]string{`+^/var/log/($|security/)`, `-^/var/(tmp|cache|log|spool)/`})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		rel   string
		isDir bool
		want  string
	}{
		{"var/log", true, `"/var/log/" included by rule 1 "+^/var/log/($|security/)"`},
		{"var/log/x", false, `"/var/log/x" excluded by rule 2 "-^/var/(tmp|cache|log|spool)/"`},
		{"etc\n", false, `"/etc\n" included: no rule matched`},
		{"", true, `"/" (the source root) included: the root is never tested`},
	}
	for _, c := range cases {
		if got := f.Explain(c.rel, c.isDir); got != c.want {
			t.Errorf("Explain(%q) = %s, want %s", c.rel, got, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{`+a`, `-(?=x)`, `-a{,3}`, `-[\1]`, `-(?P=n)`, `-[[:x:]`, `-\`, `-{`, `-(?`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rule string) {
		flt, err := Parse([]string{rule})
		if err != nil {
			var re *RuleError
			if !errors.As(err, &re) || re.Index != 0 || re.Text != rule {
				t.Fatalf("error is not a RuleError naming the rule: %v", err)
			}
			return
		}
		flt.Match("a/b", true)
		flt.Match("a/b", false)
	})
}

// TestCheckPattern: the messages config reports for a bad rule (config
// validates with CheckPattern).
func TestCheckPattern(t *testing.T) {
	cases := []struct{ re, err string }{
		{`^/etc/`, ""},
		{`/(?i)\.?svn(/.*|ignore)$`, ""},
		{`[(?=]x`, ""},   // inside a class: literal
		{`\(?=x\)`, ""},  // escaped parenthesis
		{`a{0,3}`, ""},   // the Go spelling
		{`[]{,3}]`, ""},  // "]" first in a class is literal
		{`x\\1`, ""},     // escaped backslash then "1"
		{`(?P<n>a)`, ""}, // named groups are fine
		{`a(?=b)`, "look-ahead (?="},
		{`a(?!b)`, "negative look-ahead (?!"},
		{`(?<=a)b`, "look-behind (?<="},
		{`(?<!a)b`, "negative look-behind (?<!"},
		{`(a)\1`, `back-reference \1`},
		{`(?P<n>a)(?P=n)`, "named back-reference (?P= is Python"},
		{`a{,3}`, "{,3} is Python regexp syntax that Go's RE2 reads as literal text, not {0,3}"},
		{`end\Z`, `\Z is Python`},
		{`a(`, "not a valid Go regexp"},
		{`(?x) a b`, "verbose flag (?x is Python"},
		{`\101`, ""}, // an octal escape, not a back-reference
	}
	for _, c := range cases {
		err := CheckPattern(c.re)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%q: unexpected error %v", c.re, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q: error %v, want %q", c.re, err, c.err)
		}
	}
}

// TestPythonOnlyHints: the message of a Python-only construct says what
// to write instead (README, Configuration); for a negative look-ahead, the
// two rules of the right signs.
func TestPythonOnlyHints(t *testing.T) {
	for _, tc := range []struct{ rule, want string }{
		{`+^/home/(?!bob/)`, "(exclude the exception with a - rule before this + rule, since the first rule that matches decides: write -^/home/bob/ then +^/home/)"},
		{`-^/(?!keep)`, "(include the exception with a + rule before this - rule, since the first rule that matches decides: write +^/keep then -^/)"},
		{`-^/x/(?!a|b)`, "write +^/x/(?:a|b) then -^/x/)"},
		{`-^/x/(?!a)\.log$`, "(include the exception with a + rule before this - rule, since the first rule that matches decides)"},
		{`-(?<!\.)git`, "(include the exception with a + rule before this - rule, since the first rule that matches decides)"},
		{`-a(?=b)`, "(write the text it looks for in place: a(?=b) matches the paths ab does)"},
		{`-(a)\1`, "(spell the repeated text out, or write one rule per case)"},
		{`-a(?#note)`, "(remove the comment)"},
		{`-(?>ab)`, "(write (?:...) instead)"},
	} {
		_, err := Parse([]string{tc.rule})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q): %v\nwant it to contain %q", tc.rule, err, tc.want)
		}
	}
	if err := CheckPattern(`^/(?!keep)`); err == nil || !strings.Contains(err.Error(), "give the exception a rule of its own with the other sign") {
		t.Errorf("CheckPattern without a sign: %v", err)
	}
}
