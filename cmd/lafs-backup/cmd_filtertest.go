package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lafs-backup/lafs-backup/config"
	"github.com/lafs-backup/lafs-backup/filter"
	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/source"
)

var filterTestCommand = &command{
	Name:    "filter-test",
	Summary: "show which filter rule decides each path, and whether it is compressed",
	Args:    "PATH...",
	Help: `For each PATH (relative to the source root; a leading "/" is optional, a
trailing "/" marks a directory), prints the rule of "filter" that decides
whether it is backed up, with where that rule was set, and for files the
destination.encoding.xz decision. A path under an excluded directory is
reported as excluded by that directory: the walk never reaches it.

PATH is looked up under --root (default: the directory source.path picks,
when set) for its type and size; a path not found there is judged by its
trailing "/" and --size.`,
	Setup: func(fs *flag.FlagSet) runFunc {
		root := fs.String("root", "", "look PATHs up under `DIR` (default: what source.path picks)")
		size := fs.Int64("size", -1, "size in `BYTES` to assume for paths not found on disk")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) == 0 {
				return &usageError{"filter-test needs at least one PATH"}
			}
			ft, err := newFilterTester(e, *root, *size)
			if err != nil {
				return err
			}
			results := make([]filterResult, len(args))
			for i, a := range args {
				results[i] = ft.test(a)
			}
			if e.JSON {
				enc := json.NewEncoder(e.Stdout)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(results)
			}
			for _, r := range results {
				r.print(e.Stdout)
			}
			return nil
		}
	},
}

// filterTester holds the compiled rules of the loaded config.
type filterTester struct {
	cfg   *config.Config
	flt   *filter.Filter
	xz    *filter.Sized // nil when xz is disabled
	root  string        // "" = paths are not looked up
	size  int64         // -1 = unknown
	rules []config.Rule
}

func newFilterTester(e *env, root string, size int64) (*filterTester, error) {
	c := e.Config
	ft := &filterTester{cfg: c, root: root, size: size, rules: c.Filter}
	var err error
	if ft.flt, err = filter.Parse(config.RuleStrings(c.Filter)); err != nil {
		return nil, fmt.Errorf("filter: %w", err)
	}
	if xz := c.Destination.Encoding.XZ; xz.Enabled {
		if ft.xz, err = filter.ParseSized(config.RuleRows(xz.PathFilter), xz.MinSizeOr(filter.NoMinSize)); err != nil {
			return nil, fmt.Errorf("destination.encoding.xz.path_filter: %w", err)
		}
	}
	if ft.root == "" && c.Source.Path != "" {
		if ft.root, err = source.Pick(c.Source.Path, source.PickOptions{}); err != nil {
			e.Log.Warn("paths are not looked up on disk", "reason", err.Error())
		}
	}
	return ft, nil
}

// filterResult is what filter-test says about one path (also its --json form).
type filterResult struct {
	Path     string `json:"path"`   // as given
	Tested   string `json:"tested"` // the string the rules see
	Type     string `json:"type"`   // "file", "dir", "symlink", ... or "" if unknown
	Size     *int64 `json:"size,omitempty"`
	Included bool   `json:"included"`
	Filter   string `json:"filter"`         // why, in words
	RulePos  string `json:"rule,omitempty"` // where the deciding rule was set
	Compress *bool  `json:"compress,omitempty"`
	XZ       string `json:"xz,omitempty"` // why, in words ("" for directories and excluded paths)
	XZPos    string `json:"xz_rule,omitempty"`
}

func (ft *filterTester) test(arg string) filterResult {
	rel, isDir := filterTestPath(arg)
	if rel == "" {
		return filterResult{Path: arg, Tested: "/", Type: "dir", Included: true,
			Filter: "included: the source root is never tested"}
	}
	r := filterResult{Path: arg, Tested: filter.TestString(rel, isDir)}
	typ, size := ft.lookup(rel)
	if typ != "" {
		isDir = typ == "dir"
		r.Tested = filter.TestString(rel, isDir)
	} else if isDir {
		typ = "dir"
	}
	r.Type = typ
	if size < 0 && !isDir {
		size = ft.size
	}
	if size >= 0 && !isDir {
		r.Size = &size
	}
	if !ft.decideFilter(&r, rel, isDir) || isDir {
		return r
	}
	ft.decideXZ(&r, rel, typ, size)
	return r
}

// filterTestPath turns an argument into a relative path and a directory hint.
func filterTestPath(arg string) (string, bool) {
	isDir := strings.HasSuffix(arg, "/")
	rel := strings.TrimPrefix(path.Clean("/"+arg), "/")
	return rel, isDir
}

// lookup returns the type and size of rel under the root ("", -1 if unknown).
func (ft *filterTester) lookup(rel string) (string, int64) {
	if ft.root == "" {
		return "", -1
	}
	fi, err := os.Lstat(filepath.Join(ft.root, rel))
	if err != nil {
		return "", -1
	}
	switch m := fi.Mode(); {
	case m.IsDir():
		return "dir", -1
	case m.IsRegular():
		return "file", fi.Size()
	case m&fs.ModeSymlink != 0:
		return "symlink", fi.Size()
	}
	return "special", -1
}

// decideFilter fills in the filter decision, checking the ancestors first.
func (ft *filterTester) decideFilter(r *filterResult, rel string, isDir bool) bool {
	for i := 0; i < len(rel); i++ {
		if rel[i] != '/' {
			continue
		}
		if inc, rule := ft.flt.Match(rel[:i], true); !inc {
			r.Filter = fmt.Sprintf("excluded: its directory %q is excluded by rule %d %s, so the walk never reaches it",
				filter.TestString(rel[:i], true), rule+1, ruleText(ft.rules[rule]))
			r.RulePos = ft.rules[rule].Pos.String()
			return false
		}
	}
	inc, rule := ft.flt.Match(rel, isDir)
	r.Included = inc
	switch {
	case rule < 0:
		r.Filter = "included: no rule matched"
	case inc:
		r.Filter = fmt.Sprintf("included by rule %d %s", rule+1, ruleText(ft.rules[rule]))
	default:
		r.Filter = fmt.Sprintf("excluded by rule %d %s", rule+1, ruleText(ft.rules[rule]))
	}
	if rule >= 0 {
		r.RulePos = ft.rules[rule].Pos.String()
	}
	return inc
}

// decideXZ fills in the compression decision for an included non-directory.
func (ft *filterTester) decideXZ(r *filterResult, rel, typ string, size int64) {
	no, yes := false, true
	switch {
	case ft.xz == nil:
		r.Compress, r.XZ = &no, "not compressed: destination.encoding.xz.enabled is false"
		return
	case typ == "symlink" || typ == "special":
		r.Compress, r.XZ = &no, "not compressed: only regular files are"
		return
	case size >= 0 && size <= lafsapi.MaxLITSize:
		r.Compress, r.XZ = &no, fmt.Sprintf("not compressed: %d bytes or less are stored as a LIT cap", lafsapi.MaxLITSize)
		return
	}
	t, rule := ft.xz.Threshold(rel)
	by := "min_size (no rule matched)"
	if rule >= 0 {
		pr := ft.cfg.Destination.Encoding.XZ.PathFilter[rule]
		by = fmt.Sprintf("rule %d %s", rule+1, ruleText(pr))
		r.XZPos = pr.Pos.String()
	}
	switch {
	case t < 0:
		r.Compress, r.XZ = &no, "never compressed, by "+by
	case size < 0:
		r.XZ = fmt.Sprintf("compressed when size >= %d, by %s (size unknown: give --size)", t, by)
	case size >= t:
		r.Compress, r.XZ = &yes, fmt.Sprintf("compressed: %d >= %d, by %s", size, t, by)
	default:
		r.Compress, r.XZ = &no, fmt.Sprintf("not compressed: %d < %d, by %s", size, t, by)
	}
}

func (r filterResult) print(w io.Writer) {
	head := showPath(r.Tested)
	if r.Type != "" || r.Size != nil {
		var parts []string
		if r.Type != "" {
			parts = append(parts, r.Type)
		}
		if r.Size != nil {
			parts = append(parts, fmt.Sprintf("%d bytes", *r.Size))
		}
		head += " (" + strings.Join(parts, ", ") + ")"
	}
	fmt.Fprintln(w, head)
	fmt.Fprintf(w, "  filter: %s%s\n", r.Filter, at(r.RulePos))
	if r.XZ != "" {
		fmt.Fprintf(w, "  xz: %s%s\n", r.XZ, at(r.XZPos))
	}
}

// ruleText shows a rule as written: '+RE' and '-RE' quoted, [SIZE, "RE"] as is.
func ruleText(r config.Rule) string {
	if r.Action == filter.AtSize {
		return r.String()
	}
	return strconv.Quote(r.String())
}

func at(pos string) string {
	if pos == "" {
		return ""
	}
	return " [" + pos + "]"
}

// showPath prints a path as it is when it is plain text, quoted otherwise.
func showPath(s string) string {
	if !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}
