package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const filterTestConfig = `filter:
  - '+^/var/log/($|security/)'
  - '-^/var/(tmp|cache|log|spool)/'
  - '+/\.git/config$'
  - '-/\.git/'
destination:
  encoding:
    xz:
      min_size: 1000
      path_filter:
        - '-\.gz$'
        - [100, '\.log$']
`

// filterTestTree makes a source tree for --root lookups.
func filterTestTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]int{"var/log/security/auth.log": 150, "var/log/security/tiny.log": 20,
		"var/log/messages": 5000, "big.dat": 2000, "repo/.git/config": 300, "x.gz": 9000}
	for name, size := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.Repeat("x", size)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("var/log", filepath.Join(root, "logs.log")); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestFilterTest(t *testing.T) {
	cfg := writeFile(t, "cfg.yaml", filterTestConfig)
	root := filterTestTree(t)
	code, out, errs := runMain(t, "-c", cfg, "filter-test", "--root", root,
		"/var/log", "var/log/security/auth.log", "/var/log/security/tiny.log", "var/log/messages",
		"/var/tmp/", "big.dat", "/repo/.git/config", "/x.gz", "/logs.log", "/", "not/on/disk.log", "--size", "120")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
	golden(t, "filter-test.golden", strings.ReplaceAll(out, cfg, "CFG"))
}

func TestFilterTestJSON(t *testing.T) {
	// --json before the command name: global flags survive the command's flag set.
	cfg := writeFile(t, "cfg.yaml", filterTestConfig)
	code, out, _ := runMain(t, "-c", cfg, "--json", "filter-test", "--size", "5000", "/var/log/messages", "/var/log/security/a.log")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var rs []filterResult
	if err := json.Unmarshal([]byte(out), &rs); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rs) != 2 || rs[0].Included || !rs[1].Included || rs[1].Compress == nil || !*rs[1].Compress ||
		!strings.HasSuffix(rs[0].RulePos, "filter[1]") || !strings.HasSuffix(rs[1].XZPos, "path_filter[1]") {
		t.Errorf("results %+v", rs)
	}
}

func TestFilterTestXZDisabledAndUsage(t *testing.T) {
	cfg := writeFile(t, "cfg.yaml", "destination:\n  encoding:\n    xz:\n      enabled: false\n")
	code, out, _ := runMain(t, "-c", cfg, "filter-test", "--size", "99999", "a.txt")
	if code != 0 || !strings.Contains(out, "xz: not compressed: destination.encoding.xz.enabled is false") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if code, _, errs := runMain(t, "filter-test"); code != exitUsage || !strings.Contains(errs, "PATH") {
		t.Errorf("no PATH: exit %d, %s", code, errs)
	}
}
