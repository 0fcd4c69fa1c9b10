package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	lafsbackup "github.com/lafs-backup/lafs-backup"
	"github.com/lafs-backup/lafs-backup/filter"
)

// load layers the given YAML texts (named a.yaml, b.yaml, ... in /etc/lafs)
// over the real base.
func load(t *testing.T, files ...string) (*Config, []Warning, error) {
	t.Helper()
	inputs := make([]Input, len(files))
	for i, f := range files {
		inputs[i] = Input{Name: string(rune('a'+i)) + ".yaml", Dir: "/etc/lafs", Data: []byte(f)}
	}
	return LoadInputs(lafsbackup.BaseConfig, inputs, "/etc/lafs")
}

func mustLoad(t *testing.T, files ...string) *Config {
	t.Helper()
	c, _, err := load(t, files...)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return c
}

func TestBaseDefaults(t *testing.T) {
	c, w, err := load(t)
	if err != nil || len(w) != 0 {
		t.Fatalf("base: err %v, warnings %v", err, w)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"url", c.Destination.URL, "http://localhost:3456/uri"},
		{"gateway", c.GatewayURL(), "http://localhost:3456"},
		{"check_mtime", c.Source.Queue.CheckMtime, true},
		{"pick_policy", c.Source.PickPolicy, "alphasort_last"},
		{"special_files", c.Source.SpecialFiles, "record"},
		{"xattrs", c.Source.Xattrs, true},
		{"print_to_stdout", c.Destination.Result.PrintToStdout, true},
		{"link_name", c.Destination.Result.LinkName, "{name}"},
		{"xz.enabled", c.Destination.Encoding.XZ.Enabled, true},
		{"xz.min_size", *c.Destination.Encoding.XZ.MinSize, int64(5120)},
		{"ca_certs_files", c.HTTP.CACertsFiles, []string{"/etc/ssl/certs/ca-certificates.crt"}},
		{"attempts", c.HTTP.Retry.Attempts, 4},
		{"delay", c.HTTP.Retry.Delay.List, []time.Duration{10 * time.Second, time.Minute, 10 * time.Minute}},
		{"jobs", c.Operation.Jobs, 4},
		{"trust", c.Operation.Trust(), 25 * 24 * time.Hour},
		{"updates", c.Operation.Timeouts.Updates, []Duration{Duration(1200 * time.Second), Duration(2400 * time.Second), Duration(3600 * time.Second)}},
		{"idle", c.Operation.Timeouts.Idle.D(), 300 * time.Second},
		{"rate bytes", c.Operation.RateLimit.Bytes.Unlimited(), true},
		{"filter", len(c.Filter), 0},
		{"source.path", c.Source.Path, ""},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %#v, want %#v", ch.name, ch.got, ch.want)
		}
	}
}

func TestLayering(t *testing.T) {
	cases := []struct {
		name  string
		files []string
		check func(c *Config) string
	}{
		{"scalar replaces", []string{"destination: {url: 'http://gw:1/'}"}, func(c *Config) string {
			return eq(c.Destination.URL, "http://gw:1/")
		}},
		{"maps merge", []string{"source: {queue: {path: /q}}"}, func(c *Config) string {
			return eq(c.Source.Queue.Path, "/q") + eq(c.Source.Queue.CheckMtime, true)
		}},
		{"later file wins", []string{"operation: {jobs: 2}", "operation: {jobs: 3}"}, func(c *Config) string {
			return eq(c.Operation.Jobs, 3)
		}},
		{"lists replace, not append", []string{"filter: ['-a', '-b', '-c']", "filter: ['+d']"}, func(c *Config) string {
			return eq(len(c.Filter), 1) + eq(c.Filter[0].String(), "+d")
		}},
		{"base list replaced", []string{"http: {retry: {delay: [1]}}"}, func(c *Config) string {
			return eq(c.HTTP.Retry.Delay.List, []time.Duration{time.Second})
		}},
		{"null replaces a scalar", []string{"source: {queue: {check_mtime: null}}"}, func(c *Config) string {
			return eq(c.Source.Queue.CheckMtime, false)
		}},
		{"null replaces a list", []string{"filter: ['-x']", "filter:"}, func(c *Config) string {
			return eq(len(c.Filter), 0)
		}},
		{"null does not replace a map", []string{"source:"}, func(c *Config) string {
			return eq(c.Source.PickPolicy, "alphasort_last")
		}},
		{"empty map changes nothing", []string{"operation: {}"}, func(c *Config) string {
			return eq(c.Operation.Jobs, 4)
		}},
		{"empty file changes nothing", []string{""}, func(c *Config) string {
			return eq(c.Operation.Jobs, 4)
		}},
		{"null min_size", []string{"destination: {encoding: {xz: {min_size: null}}}"}, func(c *Config) string {
			return eq(c.Destination.Encoding.XZ.MinSize == nil, true)
		}},
		{"unrelated keys of a map survive", []string{"http: {retry: {attempts: 1}}"}, func(c *Config) string {
			return eq(c.HTTP.Retry.Attempts, 1) + eq(len(c.HTTP.Retry.Delay.List), 3)
		}},
		{"aliases", []string{"x: &p /srv/q\nsource: {queue: {path: *p}}"}, nil},
		{"relative path against the file's directory", []string{"source: {entry_cache: {path: db.sqlite}}"}, func(c *Config) string {
			return eq(c.Source.EntryCache.Path, "/etc/lafs/db.sqlite")
		}},
		{"direct node directory, relative", []string{"destination: {direct: {node_dir: tahoe/client}}"}, func(c *Config) string {
			return eq(c.Destination.Direct.NodeDir, "/etc/lafs/tahoe/client")
		}},
		{"ca_certs_files list", []string{"http: {ca_certs_files: [a.pem, /b.pem]}"}, func(c *Config) string {
			return eq(c.HTTP.CACertsFiles, []string{"/etc/lafs/a.pem", "/b.pem"})
		}},
		{"durations", []string{"source: {min_age: 1d2h}\noperation: {timeouts: {idle: 1.5, updates: 60}}"}, func(c *Config) string {
			return eq(c.Source.MinAge.D(), 26*time.Hour) + eq(c.Operation.Timeouts.Idle.D(), 1500*time.Millisecond) +
				eq(c.Operation.Timeouts.Updates, []Duration{Duration(time.Minute)})
		}},
		{"updates false", []string{"operation: {timeouts: {updates: false}}"}, func(c *Config) string {
			return eq(c.Operation.Timeouts.Updates == nil, true)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _, err := load(t, tc.files...)
			if tc.check == nil {
				if err == nil {
					t.Fatalf("want an error (unknown key x)")
				}
				return
			}
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if msg := tc.check(c); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func eq(got, want any) string {
	if reflect.DeepEqual(got, want) {
		return ""
	}
	return strings.TrimSpace(strings.ReplaceAll(
		"got "+sprint(got)+", want "+sprint(want), "\n", " ")) + "; "
}

func sprint(v any) string { return strings.TrimSpace(strings.Trim(fmtv(v), " ")) }

func TestProblems(t *testing.T) {
	cases := []struct {
		name  string
		files []string
		want  []string
	}{
		{"unknown key", []string{"source:\n  pth: /x\n"},
			[]string{"a.yaml:2: source.pth: unknown key (did you mean path?)"}},
		{"unknown section", []string{"sauce: {}\n"},
			[]string{"a.yaml:1: sauce: unknown key (did you mean source?)"}},
		{"wrong type", []string{"operation:\n  jobs: many\n"},
			[]string{`a.yaml:2: operation.jobs: expected an integer, got "many"`}},
		{"bool", []string{"source: {xattrs: 1}\n"},
			[]string{`a.yaml:1: source.xattrs: expected true or false, got "1"`}},
		{"map expected", []string{"destination: {result: 5}\n"},
			[]string{`a.yaml:1: destination.result: expected a mapping, got "5"`}},
		{"two errors in two files", []string{"operation: {jobs: 0}\n", "\nhttp: {retry: {attempts: x}}\n"},
			[]string{"a.yaml:1: operation.jobs: must be from 1 to 256, got 0",
				`b.yaml:2: http.retry.attempts: expected an integer, got "x"`}},
		{"values", []string{"source: {pick_policy: newest, special_files: keep}\ndestination: {url: 'ftp://x', result: {link_name: '{date}'}}"},
			[]string{
				`a.yaml:1: source.pick_policy: only alphasort_last is supported, got "newest"`,
				`a.yaml:1: source.special_files: expected record or skip, got "keep"`,
				"a.yaml:2: destination.url: expected an http:// or https:// URL, got ftp://x",
				"a.yaml:2: destination.result.link_name: unknown placeholder {date} (known: {name}, {gen})",
			}},
		{"rule without prefix", []string{"filter:\n  - '/\\.git/'\n"},
			[]string{`a.yaml:2: filter[0]: rule "/\\.git/": must be a string starting with '+' (include) or '-' (exclude)`}},
		{"look-ahead", []string{"filter:\n  - '+x'\n  - '-^/(?!keep)'\n"},
			[]string{`a.yaml:3: filter[1]: rule "-^/(?!keep)": negative look-ahead (?! is Python regexp syntax that Go's RE2 does not support (include the exception with a + rule before this - rule, since the first rule that matches decides: write +^/keep then -^/)`}},
		{"bad regexp", []string{"filter: ['-a(']"},
			[]string{"a.yaml:1: filter[0]: rule \"-a(\": not a valid Go regexp: error parsing regexp: missing closing ): `a(`"}},
		{"size rule in filter", []string{"filter: [[500, x]]"},
			[]string{`a.yaml:1: filter[0]: rule ["500", "x"]: first item must be '+' or '-', got "500"`}},
		{"path_filter {,n}", []string{"destination: {encoding: {xz: {path_filter: [[100, 'a{,3}']]}}}"},
			[]string{`a.yaml:1: destination.encoding.xz.path_filter[0]: rule ["100", "a{,3}"]: {,3} is Python regexp syntax that Go's RE2 reads as literal text, not {0,3} (write {0,3})`}},
		{"rate limit", []string{"operation: {rate_limit: {bytes: '0:5', objects: 3MB/s}}"},
			[]string{
				`a.yaml:1: operation.rate_limit.bytes: "0:5": an interval of 0 would be an infinite rate (leave the value empty for no limit)`,
				`a.yaml:1: operation.rate_limit.objects: "3MB/s": unknown unit "MB" in "3MB"`,
			}},
		{"xz", []string{"destination: {encoding: {xz: {options: {format: alone, check: md5, lc: 9}}}}"},
			[]string{
				`a.yaml:1: destination.encoding.xz.options.format: only format xz is written (the output must decode with "xz -d"), got "alone"`,
				`a.yaml:1: destination.encoding.xz.options.check: unknown check "md5" (known: crc32, crc64, sha256, none)`,
				`a.yaml:1: destination.encoding.xz.options.lc: expected an integer from 0 to 4, got "9"`,
			}},
		{"duplicate key", []string{"operation:\n  jobs: 1\n  jobs: 2\n"},
			[]string{"a.yaml:3: operation.jobs: key given twice in the same mapping"}},
		{"not a mapping", []string{"- a\n"},
			[]string{"a.yaml:1: the top level must be a mapping of sections (source:, destination:, ...), not a list"}},
		{"invalid yaml", []string{"a: [\n"},
			[]string{"a.yaml:1: not valid YAML: did not find expected node content"}},
		{"negative duration", []string{"source: {min_age: -5}"},
			[]string{"a.yaml:1: source.min_age: negative duration -5"}},
		{"queue_only and reuse_queue", []string{"operation: {queue_only: true, reuse_queue: true}"},
			[]string{"a.yaml:1: operation.reuse_queue: queue_only and reuse_queue cannot both be true"}},
		// The YAML forms of path_filter rows (filter.ParseSized takes them decoded).
		{"path_filter rows", []string{"destination: {encoding: {xz: {path_filter: ['\\.gz$', [1, a, b], [x, a], ['500', a], [-1, a], 42]}}}"},
			[]string{
				`a.yaml:1: destination.encoding.xz.path_filter[0]: rule "\\.gz$": must be a string starting with '+' (include) or '-' (exclude)`,
				`a.yaml:1: destination.encoding.xz.path_filter[1]: rule ["1", "a", "b"]: a list rule must have two items, [ACTION, REGEX]`,
				`a.yaml:1: destination.encoding.xz.path_filter[2]: rule ["x", "a"]: first item must be '+', '-' or a size in bytes, got "x"`,
				`a.yaml:1: destination.encoding.xz.path_filter[3]: rule ["500", "a"]: first item must be '+', '-' or a size in bytes, got "500"`,
				`a.yaml:1: destination.encoding.xz.path_filter[4]: rule ["-1", "a"]: size "-1" must be a non-negative number of bytes`,
				`a.yaml:1: destination.encoding.xz.path_filter[5]: rule "42": must be a string starting with '+' (include) or '-' (exclude)`,
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := load(t, tc.files...)
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("want Problems, got %v", err)
			}
			got := strings.Split(ps.Error(), "\n")
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("problems:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	_, _, err := LoadInputs(lafsbackup.BaseConfig, []Input{ReadInput("/nonexistent/x.yaml")}, "/")
	if err == nil || err.Error() != "/nonexistent/x.yaml: open: no such file or directory" {
		t.Errorf("got %v", err)
	}
}

// pythonConfig is a config written for the Python tool, in the shape of its
// README: paths, a filter list, and a logging dictConfig section.
const pythonConfig = `
source:
  path: /srv/backups/weekly.*
  queue:
    path: /srv/backups/queue.txt
  entry_cache:
    path: /srv/backups/dentries.sqlite
    commit_after:
      queries: 50
      seconds: 10

destination:
  url: http://localhost:3456/uri
  result:
    append_to_file: /srv/backups/lafs_caps
  encoding:
    xz:
      options: {options: {level: 9, extreme: true, check: crc64}}
      path_filter:
        - '-\.(gz|bz2|xz|zip|rar)$'
        - [500, '\.(txt|csv|log|md|rst)$']
        - [2000, '^/etc/']

http:
  request_pool_options:
    maxPersistentPerHost: 10
  retry:
    attempts: 5
    delay: 30

filter:
  - '+^/var/log/($|security/)'
  - '-^/var/(tmp|cache|log|spool)/'
  - '-/(?i)\.?svn(/.*|ignore)$'

operation:
  rate_limit:
    bytes: 1/3e6:50e6
    objects: 10:50

logging:
  warnings: true
  tag: weekly
  formatters:
    basic:
      format: '%(asctime)s :: %(name)s :: %(levelname)s: %(message)s'
  handlers:
    console:
      class: logging.StreamHandler
      stream: ext://sys.stderr
      formatter: basic
      level: custom
  root:
    level: custom
    handlers: [console]

manhole:
  endpoint: tcp:8022:interface=localhost
`

func TestPythonToolConfig(t *testing.T) {
	c, warnings, err := load(t, pythonConfig)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	var pyWarn []Warning
	for _, w := range warnings {
		if strings.Contains(w.Msg, "Python lafs-backup-tool") {
			pyWarn = append(pyWarn, w)
		}
	}
	if len(pyWarn) != 1 {
		t.Fatalf("want one warning naming the Python-only keys, got %v", warnings)
	}
	for _, k := range []string{"source.entry_cache.commit_after", "http.request_pool_options", "logging.warnings",
		"logging.formatters", "logging.handlers", "logging.root", "manhole"} {
		if !strings.Contains(pyWarn[0].Msg, k) {
			t.Errorf("warning does not name %s: %s", k, pyWarn[0].Msg)
		}
	}
	if len(c.Filter) != 3 || c.Filter[0].Action != filter.Include || c.Filter[1].Pattern != `^/var/(tmp|cache|log|spool)/` {
		t.Errorf("filter = %v", c.Filter)
	}
	if p := c.Filter[2].Pos; p.File != "a.yaml" || p.Line != 34 || p.Key != "filter[2]" {
		t.Errorf("filter[2] pos = %+v", p)
	}
	pf := c.Destination.Encoding.XZ.PathFilter
	if len(pf) != 3 || pf[1].Action != filter.AtSize || pf[1].Size != 500 || pf[0].Action != filter.Exclude {
		t.Errorf("path_filter = %v", pf)
	}
	if c.Destination.Encoding.XZ.Options.Check != "crc64" {
		t.Errorf("xz check = %q", c.Destination.Encoding.XZ.Options.Check)
	}
	if c.Logging.Tag != "weekly" || c.HTTP.Retry.Attempts != 5 || c.HTTP.Retry.Delay.Base != 30*time.Second {
		t.Errorf("tag %q attempts %d delay %+v", c.Logging.Tag, c.HTTP.Retry.Attempts, c.HTTP.Retry.Delay)
	}
	if r := c.Operation.RateLimit.Bytes; r.Rate != 3e6 || r.Burst != 50e6 {
		t.Errorf("bytes limit = %+v", r)
	}
	if !hasWarning(warnings, "xz options level, extreme cannot be honoured") {
		t.Errorf("no xz warning in %v", warnings)
	}
}

func hasWarning(ws []Warning, sub string) bool {
	for _, w := range ws {
		if strings.Contains(w.Msg, sub) {
			return true
		}
	}
	return false
}

func TestRelativePathWarning(t *testing.T) {
	in := []Input{{Name: "conf/x.yaml", Dir: "/etc/lafs/conf", Data: []byte("source: {queue: {path: q.txt}}")}}
	c, w, err := LoadInputs(lafsbackup.BaseConfig, in, "/root")
	if err != nil {
		t.Fatal(err)
	}
	if c.Source.Queue.Path != "/etc/lafs/conf/q.txt" {
		t.Errorf("path = %q", c.Source.Queue.Path)
	}
	want := `conf/x.yaml:1: source.queue.path: relative path "q.txt" resolves to /etc/lafs/conf/q.txt (against the config file's directory); the Python tool would have used /root/q.txt`
	if len(w) != 1 || w[0].String() != want {
		t.Errorf("warnings = %v\nwant %s", w, want)
	}
	// No warning when both agree.
	in[0].Dir = "/root"
	if _, w, _ := LoadInputs(lafsbackup.BaseConfig, in, "/root"); len(w) != 0 {
		t.Errorf("unexpected warnings %v", w)
	}
}

func TestPos(t *testing.T) {
	c := mustLoad(t, "\n\nsource:\n  path: /srv/x\n")
	if p, ok := c.Pos("source.path"); !ok || p.String() != "a.yaml:4: source.path" {
		t.Errorf("Pos = %v %v", p, ok)
	}
	if p, _ := c.Pos("operation.jobs"); p.File != BaseName {
		t.Errorf("Pos(operation.jobs) = %v", p)
	}
}
