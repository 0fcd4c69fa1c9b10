package main

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	lafsbackup "github.com/lafs-backup/lafs-backup"
	"github.com/lafs-backup/lafs-backup/config"
	"github.com/lafs-backup/lafs-backup/internal/needs"
)

var update = flag.Bool("update", false, "rewrite golden files")

// runMain runs the program in-process and returns exit code, stdout, stderr.
func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, stdio{in: strings.NewReader(""), out: &out, err: &errb})
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test ./cmd/lafs-backup -update rewrites it):\n%s", path, got)
	}
}

func TestHelp(t *testing.T) {
	cases := []struct {
		args   []string
		golden string
	}{
		{[]string{"--help"}, "help.golden"},
		{[]string{"-h"}, "help.golden"},
		{[]string{"help"}, "help.golden"},
		{[]string{"dump-config", "--help"}, "dump-config-help.golden"},
		{[]string{"help", "dump-config"}, "dump-config-help.golden"},
		{[]string{"-c", "/nonexistent.yaml", "dump-config", "-h"}, "dump-config-help.golden"},
	}
	for _, c := range cases {
		code, out, errs := runMain(t, c.args...)
		if code != 0 || errs != "" {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, errs)
		}
		golden(t, c.golden, out)
	}
}

// Every command's help lists the exit codes.
func TestEveryCommandHelpListsExitCodes(t *testing.T) {
	for _, c := range commands {
		_, out, _ := runMain(t, c.Name, "--help")
		for _, e := range exitCodeHelp {
			if !strings.Contains(out, fmt.Sprintf("%3d  %s", e.Code, e.Text)) {
				t.Errorf("%s --help lacks exit code %d", c.Name, e.Code)
			}
		}
	}
}

func TestDumpConfigIsTheBaseByteForByte(t *testing.T) {
	code, out, errs := runMain(t, "dump-config")
	if code != 0 || errs != "" || out != string(lafsbackup.BaseConfig) {
		t.Errorf("exit %d, stderr %q, stdout equal to base: %v", code, errs, out == string(lafsbackup.BaseConfig))
	}
	base, err := os.ReadFile("../../base-config.yaml")
	if err != nil || !bytes.Equal(base, lafsbackup.BaseConfig) {
		t.Errorf("embedded base differs from base-config.yaml (%v)", err)
	}
}

func TestDumpConfigEffective(t *testing.T) {
	a := writeFile(t, "a.yaml", "operation: {jobs: 2}\ndestination: {result: {append_to_lafs_dir: 'URI:DIR2:aaaa:bbbb'}}\n")
	b := writeFile(t, "b.yaml", "operation: {jobs: 7}\n")
	for _, args := range [][]string{
		{"-c", a, "-c", b, "dump-config", "--effective"},
		{"dump-config", "--effective", "-c", a, "--config", b},
		{"-c", a, "dump-config", "-c=" + b, "--effective"},
	} {
		code, out, errs := runMain(t, args...)
		if code != 0 || errs != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errs)
		}
		if !strings.Contains(out, "jobs: 7 # set in "+b+":1") {
			t.Errorf("%v: merged jobs missing:\n%s", args, out)
		}
		if strings.Contains(out, "aaaa") || !strings.Contains(out, "URI:DIR2:(redacted)") {
			t.Errorf("%v: cap not redacted", args)
		}
	}
}

func TestConfigErrorsExit2(t *testing.T) {
	bad := writeFile(t, "bad.yaml", "source:\n  pth: /x\noperation:\n  jobs: many\nfilter: ['-(?<=a)b']\n")
	code, out, errs := runMain(t, "-c", bad, "dump-config")
	if code != exitUsage || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	for _, want := range []string{
		bad + ":2: source.pth: unknown key",
		bad + `:4: operation.jobs: expected an integer, got "many"`,
		bad + `:5: filter[0]: rule "-(?<=a)b": look-behind (?<= is Python regexp syntax`,
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	code, _, errs = runMain(t, "-c", "/nonexistent/x.yaml", "dump-config")
	if code != exitUsage || !strings.Contains(errs, "/nonexistent/x.yaml: open: no such file or directory") {
		t.Errorf("missing file: exit %d, %q", code, errs)
	}
}

func TestPythonConfigWarnsOnce(t *testing.T) {
	p := writeFile(t, "py.yaml", `source:
  path: /srv/backups/weekly.*
  queue: {path: /srv/backups/queue.txt}
  entry_cache: {path: /srv/backups/dentries.sqlite}
filter:
  - '-/\.git/'
logging:
  version: 1
  handlers:
    console: {class: logging.StreamHandler, level: custom}
  root: {level: custom, handlers: [console]}
`)
	code, _, errs := runMain(t, "-c", p, "dump-config", "--effective")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if n := strings.Count(errs, "lafs-backup: warning: "); n != 1 || !strings.Contains(errs, "logging.handlers") {
		t.Errorf("want one warning naming logging.handlers, got:\n%s", errs)
	}
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{nil, "no command given"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"--bogus"}, "unknown flag --bogus"},
		{[]string{"dump-config", "--bogus"}, "unknown flag --bogus\nRun 'lafs-backup dump-config --help'"},
		{[]string{"dump-config", "extra"}, "dump-config takes no arguments"},
		{[]string{"help", "nope"}, `unknown command "nope"`},
	}
	for _, c := range cases {
		code, out, errs := runMain(t, c.args...)
		if code != exitUsage || out != "" || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and %q", c.args, code, out, errs, c.want)
		}
	}
}

func TestParseInterleaved(t *testing.T) {
	cases := []struct {
		args []string
		pos  []string
		f    bool
		s    string
	}{
		{[]string{"a", "b"}, []string{"a", "b"}, false, ""},
		{[]string{"-f", "a", "b"}, []string{"a", "b"}, true, ""},
		{[]string{"a", "b", "--force"}, []string{"a", "b"}, true, ""},
		{[]string{"a", "--s", "x", "b"}, []string{"a", "b"}, false, "x"},
		{[]string{"a", "--", "-f", "--s=y"}, []string{"a", "-f", "--s=y"}, false, ""},
		{[]string{"-", "-f"}, []string{"-"}, true, ""},
	}
	for _, c := range cases {
		fs := newFlagSet("t")
		f := fs.Bool("f", false, "")
		fs.BoolVar(f, "force", false, "")
		s := fs.String("s", "", "")
		pos, err := parseInterleaved(fs, c.args)
		if err != nil || !reflect.DeepEqual(pos, c.pos) && len(pos)+len(c.pos) > 0 || *f != c.f || *s != c.s {
			t.Errorf("%q: pos %q f %v s %q err %v", c.args, pos, *f, *s, err)
		}
	}
}

func TestOptionalString(t *testing.T) {
	cases := []struct {
		args  []string
		given bool
		value string
	}{
		{nil, false, ""},
		{[]string{"--queue-only"}, true, ""},
		{[]string{"--queue-only=/tmp/q"}, true, "/tmp/q"},
		{[]string{"--queue-only", "pos"}, true, ""}, // a bare flag never eats the next argument
	}
	for _, c := range cases {
		fs := newFlagSet("t")
		var o optionalString
		fs.Var(&o, "queue-only", "")
		if _, err := parseInterleaved(fs, c.args); err != nil || o.Given != c.given || o.Value != c.value {
			t.Errorf("%q: %+v %v", c.args, o, err)
		}
	}
}

func TestExitCode(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("boom"), 1},
		{&usageError{"x"}, 2},
		{fmt.Errorf("load: %w", config.Problems{{Msg: "x"}}), 2},
		{fmt.Errorf("backup: %w", errPartial), 3},
		{fmt.Errorf("cache: %w", errLocked), 4},
		{errNoSource, 5},
		{coded(7, "%d objects unrecoverable", 2), 7},
		{&exitError{Code: 6}, 6},
		{fmt.Errorf("wrapped: %w", &exitError{Code: 3, Err: errors.New("x")}), 3},
	}
	for _, c := range cases {
		if got := exitCode(c.err); got != c.want {
			t.Errorf("exitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
	if signalExitCode(syscall.SIGINT) != 130 || signalExitCode(syscall.SIGTERM) != 143 {
		t.Error("signal exit codes")
	}
}

// TestStaticBinary builds the command as CI does and checks that the result
// has no dynamic loader and runs dump-config.
func TestStaticBinary(t *testing.T) {
	needs.Long(t, "building the binary")
	bin := filepath.Join(t.TempDir(), "lafs-backup")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("binary has a dynamic loader (PT_INTERP): not static")
		}
	}
	out, err := exec.Command(bin, "dump-config").Output()
	if err != nil || !bytes.Equal(out, lafsbackup.BaseConfig) {
		t.Errorf("dump-config from the binary: %v", err)
	}
}

// TestMessagesRedactCaps: a cap never reaches stderr, not in a usage
// error that quotes an argument, not in a configuration problem, not in
// the top-level error report (issue 14, item 9).
func TestMessagesRedactCaps(t *testing.T) {
	const key = "aaaaaaaaaaaaaaaaaaaaaaaaaa"
	dircap := "URI:DIR2:" + key + ":" + strings.Repeat("b", 52)
	bad := writeFile(t, "caps.yaml", "destination:\n  result:\n    append_to_lafs_dir: "+dircap+"\n  url: "+dircap+"\n")
	for _, args := range [][]string{
		{"list", dircap},
		{"-c", bad, "dump-config"},
		{"frobnicate-" + dircap},
	} {
		code, _, errs := runMain(t, args...)
		if code != exitUsage || errs == "" || strings.Contains(errs, key) {
			t.Errorf("%.20q...: exit %d, stderr shows the cap or nothing:\n%s", args, code, errs)
		}
	}
	var errb bytes.Buffer
	code := report(stdio{out: io.Discard, err: &errb}, "backup", fmt.Errorf("linking %s failed", dircap))
	if code != exitFatal || strings.Contains(errb.String(), key) || !strings.Contains(errb.String(), "linking") {
		t.Errorf("report: exit %d, %q", code, errb.String())
	}
}
