package config

import (
	"flag"
	"fmt"
	lafsbackup "github.com/lafs-backup/lafs-backup"
	"github.com/lafs-backup/lafs-backup/filter"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestParseRateLimit(t *testing.T) {
	cases := []struct {
		spec  string
		unit  Unit
		rate  float64
		burst int
		err   string
	}{
		{"", Bytes, 0, 0, ""},
		{"1/3e6:50e6", Bytes, 3e6, 50e6, ""},
		{"1/3e5:20e6", Bytes, 3e5, 20e6, ""},
		{"1/3e6", Bytes, 3e6, 3e6, ""},         // burst raised to one second of rate
		{"1/1000", Bytes, 1000, 256 << 10, ""}, // ... and to 256 KiB for bytes
		{"3MB/s", Bytes, 3e6, 3e6, ""},
		{"3MiB/s", Bytes, 3 << 20, 3 << 20, ""},
		{"512KiB/s:4MiB", Bytes, 512 << 10, 4 << 20, ""},
		{"60MB/min", Bytes, 1e6, 1e6, ""},
		{"1/10:50", Objects, 10, 50, ""},
		{"0.1:50", Objects, 10, 50, ""},
		{"10:20", Objects, 0.1, 20, ""},
		{"5", Objects, 0.2, 1, ""},
		{"10/s", Objects, 10, 10, ""},
		{"0", Objects, 0, 0, "an interval of 0"},
		{"0/5", Objects, 0, 0, "an interval of 0"},
		{"1/0", Objects, 0, 0, "division by zero"},
		{"-1", Objects, 0, 0, "negative interval"},
		{"1:0", Objects, 0, 0, "burst must be positive"},
		{"1:2:3", Objects, 0, 0, "expected interval[:burst]"},
		{"3MB/s", Objects, 0, 0, `unknown unit "MB"`},
		{"3XB/s", Bytes, 0, 0, `unknown unit "XB"`},
		{"fast", Bytes, 0, 0, `"fast" is not a number`},
		{"0MB/s", Bytes, 0, 0, "rate must be positive"},
	}
	for _, c := range cases {
		r, err := ParseRateLimit(c.spec, c.unit)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: err %v, want %q", c.spec, err, c.err)
			}
			continue
		}
		if err != nil || r.Burst != c.burst || !near(r.Rate, c.rate) {
			t.Errorf("%q: got %+v %v, want rate %v burst %d", c.spec, r, err, c.rate, c.burst)
		}
	}
}

func near(a, b float64) bool { return a == b || a != 0 && (a-b)/a < 1e-9 && (b-a)/a < 1e-9 }

func TestRetryDelay(t *testing.T) {
	list := RetryDelay{List: []time.Duration{10 * time.Second, time.Minute}}
	exp := RetryDelay{Base: 5 * time.Second}
	cases := []struct {
		d    RetryDelay
		n    int
		want time.Duration
	}{
		{list, 1, 10 * time.Second}, {list, 2, time.Minute}, {list, 7, time.Minute},
		{exp, 1, 5 * time.Second}, {exp, 2, 10 * time.Second}, {exp, 4, 40 * time.Second},
		{exp, 100, MaxRetryDelay},
	}
	for _, c := range cases {
		if got := c.d.Before(c.n); got != c.want {
			t.Errorf("%+v.Before(%d) = %v, want %v", c.d, c.n, got, c.want)
		}
	}
	if list.Exponential() || !exp.Exponential() {
		t.Error("Exponential wrong")
	}
}

func TestTimeoutsAnswer(t *testing.T) {
	to := Timeouts{Updates: []Duration{Duration(time.Minute), Duration(2 * time.Minute)}, PerGiB: Duration(time.Hour)}
	if got := to.Answer(1, 1<<29); got != time.Minute+30*time.Minute {
		t.Errorf("Answer(1, 512MiB) = %v", got)
	}
	if got := to.Answer(5, 0); got != 2*time.Minute {
		t.Errorf("Answer(5, 0) = %v", got)
	}
	if got := (Timeouts{}).Answer(1, 1<<40); got != 0 {
		t.Errorf("no updates: %v", got)
	}
}

func TestGatewayURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://localhost:3456/uri":  "http://localhost:3456",
		"http://localhost:3456/uri/": "http://localhost:3456",
		"http://localhost:3456/":     "http://localhost:3456",
		"http://localhost:3456":      "http://localhost:3456",
		"https://gw/tahoe/uri":       "https://gw/tahoe",
		"http://gw/urinal":           "http://gw/urinal",
	} {
		if got := GatewayURL(in); got != want {
			t.Errorf("GatewayURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLinkName(t *testing.T) {
	r := Result{LinkName: "{name}.{gen}"}
	if got := r.LinkNameFor("weekly.2026", 12); got != "weekly.2026.12" {
		t.Errorf("got %q", got)
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	s := Secret("URI:DIR2:abcdefgh:ijklmnop")
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%s %v %#v %+v", s, s, s, struct{ S Secret }{s})} {
		if strings.Contains(out, "abcdefgh") {
			t.Errorf("secret leaked: %s", out)
		}
	}
	if s.Value() != "URI:DIR2:abcdefgh:ijklmnop" || s.String() != "URI:DIR2:(redacted)" {
		t.Errorf("Value %q String %q", s.Value(), s.String())
	}
}

func TestXZOptions(t *testing.T) {
	c, w, err := load(t, "destination: {encoding: {xz: {options: {dict_size: 65536, lc: 3, lp: 0, pb: 2, mf: bt4}}}}")
	if err != nil {
		t.Fatal(err)
	}
	o := c.Destination.Encoding.XZ.Options
	if o.DictSize != 65536 || *o.LC != 3 || *o.LP != 0 || *o.PB != 2 || o.Check != "" {
		t.Errorf("options = %+v", o)
	}
	if len(w) != 1 || !strings.Contains(w[0].Msg, "xz options mf cannot be honoured") {
		t.Errorf("warnings = %v", w)
	}
}

// TestEffective checks the merged rendering against a golden file: values
// from -c files marked, relative paths resolved, caps redacted.
func TestEffective(t *testing.T) {
	c := mustLoad(t, "source:\n  path: snaps/weekly.*\nfilter: ['-^/tmp/']\n",
		"destination:\n  result:\n    append_to_lafs_dir: URI:DIR2:secretsecret:moresecret/sub\nhttp: {ca_certs_files: [URI:CHK:leak, /x.pem]}\n")
	got := c.Effective()
	for _, leak := range []string{"secretsecret", "moresecret", "leak"} {
		if strings.Contains(string(got), leak) {
			t.Errorf("effective config leaks %q", leak)
		}
	}
	golden := filepath.Join("testdata", "effective.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("effective config differs from %s (run go test ./config -update):\n%s", golden, got)
	}
	// The rendering is itself a valid config that loads to the same values.
	again := mustLoad(t, string(got))
	if again.Source.Path != c.Source.Path || len(again.Filter) != 1 {
		t.Errorf("reloaded effective config differs: %+v", again.Source)
	}
}

func TestRequire(t *testing.T) {
	c := mustLoad(t, "source: {path: /srv/x}")
	if err := c.Require("backup", "source.path", "destination.url"); err != nil {
		t.Errorf("set keys: %v", err)
	}
	err := c.Require("backup", "source.path", "source.queue.path", "source.entry_cache.path")
	want := fmt.Sprintf("base-config.yaml:%d: source.queue.path: required by backup but not set (set it in a -c file)\n"+
		"base-config.yaml:%d: source.entry_cache.path: required by backup but not set (set it in a -c file)",
		baseLine(t, "path: # example: /srv/backups/queue.txt"), baseLine(t, "path: # example: /srv/backups/dentries.sqlite"))
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// TestPathFilterRowForms: every YAML form of a path_filter row decodes to
// the row filter.ParseSized takes (the original tool's forms).
func TestPathFilterRowForms(t *testing.T) {
	c := mustLoad(t, "destination: {encoding: {xz: {path_filter: [['-', a], [null, b], [false, c], [true, d], ['+', e], [2.5, f], [0, g], '+h', '-i']}}}")
	want := []filter.Row{
		{Action: filter.Exclude, Pattern: "a"}, {Action: filter.Exclude, Pattern: "b"}, {Action: filter.Exclude, Pattern: "c"},
		{Action: filter.Include, Pattern: "d"}, {Action: filter.Include, Pattern: "e"},
		{Action: filter.AtSize, Size: 3, Pattern: "f"}, {Action: filter.AtSize, Size: 0, Pattern: "g"},
		{Action: filter.Include, Pattern: "h"}, {Action: filter.Exclude, Pattern: "i"},
	}
	if got := RuleRows(c.Destination.Encoding.XZ.PathFilter); !reflect.DeepEqual(got, want) {
		t.Errorf("RuleRows = %+v\nwant %+v", got, want)
	}
}

func TestRuleRows(t *testing.T) {
	c := mustLoad(t, "filter: ['-^/tmp/', ['+', x]]\ndestination: {encoding: {xz: {min_size: null, path_filter: ['-\\.gz$', [500, '\\.txt$'], [2.5, a]]}}}")
	if got := RuleStrings(c.Filter); !reflect.DeepEqual(got, []string{"-^/tmp/", "+x"}) {
		t.Errorf("RuleStrings = %q", got)
	}
	want := []filter.Row{{Action: filter.Exclude, Pattern: `\.gz$`}, {Action: filter.AtSize, Size: 500, Pattern: `\.txt$`},
		{Action: filter.AtSize, Size: 3, Pattern: "a"}}
	if got := RuleRows(c.Destination.Encoding.XZ.PathFilter); !reflect.DeepEqual(got, want) {
		t.Errorf("RuleRows = %#v", got)
	}
	if got := c.Destination.Encoding.XZ.MinSizeOr(-1); got != -1 {
		t.Errorf("MinSizeOr = %d", got)
	}
}

// baseLine is the 1-based line of the base config containing text.
func baseLine(t *testing.T, text string) int {
	t.Helper()
	for i, l := range strings.Split(string(lafsbackup.BaseConfig), "\n") {
		if strings.Contains(l, text) {
			return i + 1
		}
	}
	t.Fatalf("base config lacks %q", text)
	return 0
}
