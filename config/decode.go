package config

import (
	"path/filepath"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// pythonOnly lists the Python tool's keys that have no meaning here. Each is
// accepted, with its whole subtree, and named in one warning.
var pythonOnly = map[string]bool{
	"http.request_pool_options":        true,
	"logging.warnings":                 true,
	"logging.sql_queries":              true,
	"logging.version":                  true,
	"logging.formatters":               true,
	"logging.filters":                  true,
	"logging.handlers":                 true,
	"logging.loggers":                  true,
	"logging.root":                     true,
	"logging.incremental":              true,
	"logging.disable_existing_loggers": true,
	"manhole":                          true,
	"source.entry_cache.commit_after":  true,
	"source.entry_cache.delete_batch":  true,
}

// decode fills cfg from the merged tree.
func (l *loader) decode(cfg *Config, root *yaml.Node) {
	d := &decoder{loader: l, positions: cfg.positions}
	d.structure(reflect.ValueOf(cfg).Elem(), root, "")
}

type decoder struct {
	*loader
	positions map[string]Pos
}

// structure decodes mapping n into struct v, key by key.
func (d *decoder) structure(v reflect.Value, n *yaml.Node, key string) {
	n = resolve(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.problem(d.pos(n, key), "expected a mapping, got %s", describe(n))
		return
	}
	fields := yamlFields(v.Type())
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		child := join(key, k.Value)
		idx, ok := fields[k.Value]
		switch {
		case ok:
			f := v.Type().Field(idx)
			d.positions[child] = d.pos(resolve(val), child)
			d.field(v.Field(idx), f.Tag.Get("cfg"), val, child)
		case pythonOnly[child]:
			if d.fromUser(k) {
				d.pythonOnly = append(d.pythonOnly, d.pos(k, child))
			}
		default:
			d.problem(d.pos(k, child), "unknown key%s", suggest(k.Value, fields))
		}
	}
}

// yamlFields maps YAML key names to exported field indexes.
func yamlFields(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if f.IsExported() && name != "" && name != "-" {
			m[name] = i
		}
	}
	return m
}

// field decodes one value according to its type and cfg tag.
func (d *decoder) field(v reflect.Value, opt string, n *yaml.Node, key string) {
	n = resolve(n)
	p := d.pos(n, key)
	switch opt {
	case "path":
		if s, ok := d.str(n, key); ok {
			v.SetString(d.path(s, n, key))
		}
		return
	case "paths":
		v.Set(reflect.ValueOf(d.paths(n, key)))
		return
	case "bytes", "objects":
		v.Set(reflect.ValueOf(d.rateLimit(n, key, opt)))
		return
	case "rules", "sized":
		v.Set(reflect.ValueOf(d.rules(n, key, opt == "sized")))
		return
	}
	switch ptr := v.Addr().Interface().(type) {
	case *Duration:
		*ptr, _ = d.duration(n, key)
	case *[]Duration:
		*ptr = d.durations(n, key)
	case *RetryDelay:
		*ptr = d.retryDelay(n, key)
	case *XZOptions:
		*ptr = d.xzOptions(n, key)
	case *Secret:
		if s, ok := d.str(n, key); ok {
			*ptr = Secret(s)
		}
	case *string:
		if s, ok := d.str(n, key); ok {
			*ptr = s
		}
	default:
		if v.Kind() == reflect.Struct {
			d.structure(v, n, key)
			return
		}
		d.scalar(v, n, p)
	}
}

// scalar decodes a plain scalar (bool, number, pointer to number).
func (d *decoder) scalar(v reflect.Value, n *yaml.Node, p Pos) {
	if isNull(n) {
		v.Set(reflect.Zero(v.Type()))
		return
	}
	t := v.Type()
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind != yaml.ScalarNode || t.Kind() == reflect.Bool && n.Tag != "!!bool" {
		d.problem(p, "expected %s, got %s", typeName(t), describe(n))
		return
	}
	if err := n.Decode(v.Addr().Interface()); err != nil {
		d.problem(p, "expected %s, got %s", typeName(t), describe(n))
	}
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.Float64:
		return "a number"
	}
	return t.String()
}

// str decodes a scalar as a string; null gives "".
func (d *decoder) str(n *yaml.Node, key string) (string, bool) {
	if isNull(n) {
		return "", true
	}
	if n.Kind != yaml.ScalarNode {
		d.problem(d.pos(n, key), "expected a string, got %s", describe(n))
		return "", false
	}
	return n.Value, true
}

// path resolves a relative path against the directory of the file that set
// it, warning when the Python tool (current directory) would differ.
func (d *decoder) path(s string, n *yaml.Node, key string) string {
	if s == "" || filepath.IsAbs(s) {
		return s
	}
	in := d.origin[n]
	dir := d.cwd
	if in != nil && in.Dir != "" {
		dir = in.Dir
	}
	abs := filepath.Join(dir, s)
	d.resolved[n] = abs
	if py := filepath.Join(d.cwd, s); py != abs {
		d.warn(d.pos(n, key), "relative path %q resolves to %s (against the config file's directory); the Python tool would have used %s", s, abs, py)
	}
	return abs
}

// paths decodes a path or a list of paths.
func (d *decoder) paths(n *yaml.Node, key string) []string {
	if isNull(n) {
		return nil
	}
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	var out []string
	for _, it := range items {
		it = resolve(it)
		if s, ok := d.str(it, key); ok && s != "" {
			out = append(out, d.path(s, it, key))
		}
	}
	return out
}

// warnPythonOnly turns the Python-only keys found into one warning.
func (l *loader) warnPythonOnly() {
	if len(l.pythonOnly) == 0 {
		return
	}
	names := make([]string, len(l.pythonOnly))
	for i, p := range l.pythonOnly {
		names[i] = p.String()
	}
	first := l.pythonOnly[0]
	l.warn(Pos{File: first.File, Line: first.Line},
		"ignoring settings of the Python lafs-backup-tool that have no meaning here (see docs/config-compat.md): %s",
		strings.Join(names, ", "))
}

// suggest proposes a known key close to an unknown one.
func suggest(name string, known map[string]int) string {
	best, bestD := "", 3
	for k := range known {
		if dist := editDistance(name, k); dist < bestD || dist == bestD && k < best {
			best, bestD = k, dist
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + best + "?)"
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
