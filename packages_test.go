package lafsbackup_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/lafs-backup/lafs-backup"

// pkg is what go list says about one package of the module.
type pkg struct {
	ImportPath string
	Name       string
	Deps       []string // everything it imports, directly or not (tests excluded)
}

// rel is the package path inside the module ("" for the root).
func (p pkg) rel() string { return strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/") }

// ours are the module packages among p's dependencies, module-relative.
func (p pkg) ours() []string {
	var out []string
	for _, d := range p.Deps {
		if d == module || strings.HasPrefix(d, module+"/") {
			out = append(out, strings.TrimPrefix(strings.TrimPrefix(d, module), "/"))
		}
	}
	return out
}

// under reports whether rel is one of pats: "x" is x itself, "x/..." is x
// and every package below it.
func under(rel string, pats ...string) bool {
	for _, p := range pats {
		if base, ok := strings.CutSuffix(p, "/..."); ok {
			if rel == base || strings.HasPrefix(rel, base+"/") {
				return true
			}
		} else if rel == p {
			return true
		}
	}
	return false
}

// storageProtocol are the packages that speak Tahoe's storage protocol
// themselves (docs/packages.md); the rule holds for them as they appear.
var storageProtocol = []string{"zfec/...", "chk/...", "dirnode/...", "internal/tahoehash", "storageapi/...", "tahoenode/...", "direct/..."}

// A rule: the packages it is about (who and not except) must not depend,
// directly or through another package, on anything deny matches. deny
// sees module packages by their module-relative path (ours), standard
// library ones by their import path; other modules are not checked.
type rule struct {
	name   string
	who    func(pkg) bool
	deny   func(dep string, ours bool, all map[string]pkg) bool
	except []string
}

var rules = []rule{
	{name: "library packages never import config or cmd",
		who:  func(p pkg) bool { return p.Name != "main" },
		deny: func(d string, ours bool, _ map[string]pkg) bool { return ours && under(d, "config", "cmd/...") }},
	{name: "filter and lafsapi import nothing of ours but leaf internal utilities",
		who: func(p pkg) bool { return under(p.rel(), "filter", "lafsapi") },
		deny: func(d string, ours bool, all map[string]pkg) bool {
			return ours && !(under(d, "internal/...") && len(all[d].ours()) == 0)
		}},
	{name: "entrycache does not use net/http",
		who:  func(p pkg) bool { return under(p.rel(), "entrycache/...") },
		deny: func(d string, ours bool, _ map[string]pkg) bool { return !ours && d == "net/http" }},
	{name: "storage-protocol packages import neither lafsapi nor uploader",
		who: func(p pkg) bool { return under(p.rel(), storageProtocol...) },
		deny: func(d string, ours bool, _ map[string]pkg) bool {
			return ours && under(d, "lafsapi/...", "uploader/...")
		}},
	{name: "the uploader and treeformat do not use the web API client",
		who:  func(p pkg) bool { return under(p.rel(), "uploader", "treeformat") },
		deny: func(d string, ours bool, _ map[string]pkg) bool { return ours && under(d, "lafsapi/...") }},
	{name: "treeformat depends on neither of its users",
		who:  func(p pkg) bool { return under(p.rel(), "treeformat") },
		deny: func(d string, ours bool, _ map[string]pkg) bool { return ours && under(d, "uploader", "restore") }},
	{name: "browse only reads",
		who: func(p pkg) bool { return under(p.rel(), "browse") },
		deny: func(d string, ours bool, _ map[string]pkg) bool {
			return ours && under(d, "uploader", "restore", "lifecycle", "entrycache", "queue", "direct")
		}},
	{name: "only tests and programs use the test helpers",
		who: func(p pkg) bool { return p.Name != "main" },
		deny: func(d string, ours bool, _ map[string]pkg) bool {
			return ours && under(d, "lafsapi/lafstest", "testgrid/...", "internal/needs")
		},
		except: []string{"testgrid/..."}},
}

// TestImportRules enforces the arrows of docs/packages.md on what go list
// reports for every package of the module.
func TestImportRules(t *testing.T) {
	all := listPackages(t)
	for _, r := range rules {
		for _, p := range all {
			if !r.who(p) || under(p.rel(), r.except...) {
				continue
			}
			for _, d := range p.Deps {
				dep, ours := d, d == module || strings.HasPrefix(d, module+"/")
				if ours {
					dep = strings.TrimPrefix(strings.TrimPrefix(d, module), "/")
				} else if strings.Contains(strings.SplitN(d, "/", 2)[0], ".") {
					continue // another module
				}
				if r.deny(dep, ours, all) {
					t.Errorf("%s: %s depends on %s", r.name, p.ImportPath, d)
				}
			}
		}
	}
}

// TestImportRulesSeeViolations: each rule catches what it forbids.
func TestImportRulesSeeViolations(t *testing.T) {
	all := map[string]pkg{"internal/leaf": {ImportPath: module + "/internal/leaf"},
		"internal/deep": {ImportPath: module + "/internal/deep", Deps: []string{module + "/fsmeta"}}}
	for _, tc := range []struct {
		pkg, dep string
		rule     int
	}{
		{"queue", "config", 0}, {"restore", "cmd/lafs-backup", 0},
		{"lafsapi", "fsmeta", 1}, {"filter", "internal/deep", 1},
		{"entrycache/sub", "net/http", 2},
		{"dirnode", "uploader", 3}, {"direct", "lafsapi", 3}, {"internal/tahoehash", "lafsapi/lafstest", 3},
		{"uploader", "lafsapi", 4}, {"treeformat", "restore", 5},
		{"browse", "restore", 6}, {"browse", "entrycache", 6}, {"lifecycle", "testgrid", 7},
	} {
		p := pkg{ImportPath: module + "/" + tc.pkg, Name: "x"}
		r := rules[tc.rule]
		if !r.who(p) || !r.deny(tc.dep, tc.dep != "net/http", all) {
			t.Errorf("rule %q lets %s import %s", r.name, tc.pkg, tc.dep)
		}
	}
	if r := rules[1]; r.deny("internal/leaf", true, all) || r.deny("strings", false, all) {
		t.Errorf("rule %q refuses a leaf internal package or the standard library", r.name)
	}
}

func listPackages(t *testing.T) map[string]pkg {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goCmd, "list", "-json=ImportPath,Name,Deps", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	all := map[string]pkg{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		all[p.rel()] = p
	}
	if len(all) < 10 || !slices.ContainsFunc([]string{"filter", "lafsapi", "uploader"}, func(r string) bool { _, ok := all[r]; return ok }) {
		t.Fatalf("go list found %d packages: not this module?", len(all))
	}
	return all
}
