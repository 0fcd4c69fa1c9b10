package main

import (
	"encoding/json"
	"flag"
	"regexp"
	"strings"
	"testing"
)

// TestEveryCommandUsageListsEveryFlag: each command's --help is generated
// from its flag set: the usage line names every flag the command defines
// (all aliases; deprecated spellings only in the list), the flag list
// shows each with its own help once, values
// have a placeholder word (N, PATH, DURATION, never a Go type name), and
// the positional part holds no flags.
func TestEveryCommandUsageListsEveryFlag(t *testing.T) {
	goType := regexp.MustCompile(`(^|[ \[=])(int|int64|uint|string|duration|float|float64|value)(\]|$| )`)
	for _, c := range commands {
		_, out, _ := runMain(t, c.Name, "--help")
		usage, rest, _ := strings.Cut(out, "\n\n")
		usage = strings.Join(strings.Fields(usage), " ")
		if strings.Contains(c.Args, "-") {
			t.Errorf("%s: Args %q holds a flag; flags come from the flag set", c.Name, c.Args)
		}
		if goType.MatchString(usage) {
			t.Errorf("%s: a Go type name as a placeholder in %q", c.Name, usage)
		}
		if strings.Contains(rest, "same as -") {
			t.Errorf("%s: an alias is described as \"same as\":\n%s", c.Name, rest)
		}
		fs := flagSetFor(c)
		fs.VisitAll(func(f *flag.Flag) {
			if globalFlagNames[f.Name] {
				return
			}
			if !isDeprecated(f) && !regexp.MustCompile(`[\[|]`+regexp.QuoteMeta(dashed(f.Name))+`[\]|\[ ]`).MatchString(usage) {
				t.Errorf("%s: usage line %q lacks %s", c.Name, usage, dashed(f.Name))
			}
			if !regexp.MustCompile(`(?m)^  .*` + regexp.QuoteMeta(dashed(f.Name)) + `\b`).MatchString(rest) {
				t.Errorf("%s: the flag list lacks %s", c.Name, dashed(f.Name))
			}
		})
		for _, e := range flagEntries(fs, func(string) bool { return true }) {
			if e.f.Usage == "" {
				t.Errorf("%s: %v has no help text", c.Name, e.names)
			}
			if arg, _ := e.placeholder(); (!isBool(e.f) || isOptional(e.f)) && (arg == "" || strings.ToUpper(arg) != arg) {
				t.Errorf("%s: %v has placeholder %q, want an upper-case word", c.Name, e.names, arg)
			}
		}
	}
	for _, want := range []string{"[--queue-only[=PATH]]", "[-r|--try-resume]", "[--jobs N]", "[--disable-deduplication]", "[-f|--force-queue-rebuild]"} {
		_, out, _ := runMain(t, "backup", "--help")
		if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("backup --help lacks %s", want)
		}
	}
}

// TestFlagErrorsSpellFlagsAsHelpDoes: mistakes are reported with the
// dashes help uses (--bogus, -f), never Go's single-dash -bogus.
func TestFlagErrorsSpellFlagsAsHelpDoes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"backup", "-bogus"}, "lafs-backup: unknown flag --bogus\nRun 'lafs-backup backup --help' for usage.\n"},
		{[]string{"--bogus", "list"}, "lafs-backup: unknown flag --bogus\nRun 'lafs-backup --help' for usage.\n"},
		{[]string{"backup", "--jobs", "x"}, "lafs-backup: invalid value \"x\" for --jobs: not a number\n"},
		{[]string{"backup", "-f=maybe"}, "lafs-backup: invalid value \"maybe\" for -f: want true or false\n"},
		{[]string{"backup", "--wait"}, "lafs-backup: --wait needs a value\n"},
		{[]string{"check", "--max-age", "3x"}, "lafs-backup: invalid value \"3x\" for --max-age: "},
	} {
		code, out, errOut := runMain(t, tc.args...)
		if code != exitUsage || out != "" || !strings.HasPrefix(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want it to start with %q", tc.args, code, errOut, tc.want)
		}
	}
}

// TestJSONErrorsAreJSON: with --json, usage mistakes and configuration
// problems are JSON records on stderr too.
func TestJSONErrorsAreJSON(t *testing.T) {
	bad := writeFile(t, "bad.yaml", "operation: {jobs: many}\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--json", "backup", "--bogus"}, `"level":"ERROR","msg":"unknown flag --bogus","command":"backup","usage":"lafs-backup backup --help"}`},
		{[]string{"backup", "--bogus", "--json"}, `"msg":"unknown flag --bogus"`},
		{[]string{"--json", "-c", bad, "dump-config", "--effective"}, `"msg":"configuration problems","problems":["` + bad + `:1: operation.jobs:`},
	} {
		code, out, errOut := runMain(t, tc.args...)
		if code != exitUsage || out != "" || strings.Count(errOut, "\n") != 1 || !json.Valid([]byte(errOut)) || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want one JSON line with %s", tc.args, code, out, errOut, tc.want)
		}
	}
}
