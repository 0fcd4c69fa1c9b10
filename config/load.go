package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	lafsbackup "github.com/lafs-backup/lafs-backup"
)

// Load reads the embedded base configuration, layers each file of files over
// it in order, and validates the result. Warnings are returned even when err
// is nil; when the configuration is unusable, err is a Problems listing every
// problem found in every file.
func Load(files []string) (*Config, []Warning, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return nil, nil, fmt.Errorf("config: current directory: %w", err)
	}
	inputs := make([]Input, 0, len(files))
	for _, f := range files {
		inputs = append(inputs, ReadInput(f))
	}
	return LoadInputs(lafsbackup.BaseConfig, inputs, cwd)
}

// Input is one configuration file: the name used in messages, its directory
// (relative paths in it resolve against Dir), and its bytes or the error
// reading it.
type Input struct {
	Name string
	Dir  string
	Data []byte
	Err  error
}

// ReadInput reads a configuration file for LoadInputs.
func ReadInput(path string) Input {
	in := Input{Name: path}
	abs, err := filepath.Abs(path)
	if err != nil {
		in.Err = err
		return in
	}
	in.Dir = filepath.Dir(abs)
	in.Data, in.Err = os.ReadFile(path)
	return in
}

// LoadInputs is Load with the base and the files given as bytes, and cwd the
// directory the Python tool would have resolved relative paths against.
func LoadInputs(base []byte, inputs []Input, cwd string) (*Config, []Warning, error) {
	l := &loader{origin: map[*yaml.Node]*Input{}, resolved: map[*yaml.Node]string{}, cwd: cwd}
	baseIn := &Input{Name: BaseName, Dir: cwd, Data: base}
	root := l.parse(baseIn)
	if root == nil {
		return nil, nil, fmt.Errorf("config: embedded base is broken: %w", l.problems)
	}
	for i := range inputs {
		in := &inputs[i]
		if in.Err != nil {
			l.problem(Pos{File: in.Name}, "%s", readError(in.Err))
			continue
		}
		if n := l.parse(in); n != nil {
			l.merge(root, n, "")
		}
	}
	cfg := &Config{positions: map[string]Pos{}}
	for _, in := range inputs {
		cfg.files = append(cfg.files, in.Name)
	}
	l.decode(cfg, root)
	l.validate(cfg)
	l.warnPythonOnly()
	if len(l.problems) > 0 {
		sortByFile(l.problems, inputs)
		return nil, l.warnings, l.problems
	}
	cfg.effective = l.effective(root, cfg.files)
	return cfg, l.warnings, nil
}

func readError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

// loader holds the state of one Load.
type loader struct {
	report
	origin     map[*yaml.Node]*Input // file each node came from
	resolved   map[*yaml.Node]string // relative path scalars -> absolute path
	cwd        string
	pythonOnly []Pos
}

// parse reads one file into a mapping node, recording the origin of every
// node. It returns nil (after recording a problem) when the file is not a
// YAML mapping; an empty file gives an empty mapping.
func (l *loader) parse(in *Input) *yaml.Node {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(in.Data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &yaml.Node{Kind: yaml.MappingNode}
		}
		l.problem(yamlErrorPos(in.Name, err), "not valid YAML: %s", yamlErrorMsg(err))
		return nil
	}
	if len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.MappingNode}
	}
	root := doc.Content[0]
	l.mark(root, in)
	if isNull(root) {
		return &yaml.Node{Kind: yaml.MappingNode}
	}
	if root.Kind != yaml.MappingNode {
		l.problem(Pos{File: in.Name, Line: root.Line}, "the top level must be a mapping of sections (source:, destination:, ...), not %s", describe(root))
		return nil
	}
	return root
}

func (l *loader) mark(n *yaml.Node, in *Input) {
	if n == nil {
		return
	}
	if _, done := l.origin[n]; done {
		return
	}
	l.origin[n] = in
	for _, c := range n.Content {
		l.mark(c, in)
	}
	l.mark(n.Alias, in)
}

// pos is where node n (with dotted key) was written.
func (l *loader) pos(n *yaml.Node, key string) Pos {
	p := Pos{Line: n.Line, Key: key}
	if in := l.origin[n]; in != nil {
		p.File = in.Name
	}
	return p
}

// fromUser reports whether n was written in a user file, not the base.
func (l *loader) fromUser(n *yaml.Node) bool {
	in := l.origin[n]
	return in != nil && in.Name != BaseName
}

// merge layers mapping src over mapping dst: maps merge, anything else
// replaces, and null does not replace a map.
func (l *loader) merge(dst, src *yaml.Node, prefix string) {
	seen := map[string]bool{}
	for i := 0; i+1 < len(src.Content); i += 2 {
		k, v := src.Content[i], resolve(src.Content[i+1])
		key := join(prefix, k.Value)
		if seen[k.Value] {
			l.problem(l.pos(k, key), "key given twice in the same mapping")
			continue
		}
		seen[k.Value] = true
		j := findKey(dst, k.Value)
		if j < 0 {
			dst.Content = append(dst.Content, k, v)
			continue
		}
		old := resolve(dst.Content[j+1])
		switch {
		case old.Kind == yaml.MappingNode && v.Kind == yaml.MappingNode:
			l.merge(old, v, key)
		case old.Kind == yaml.MappingNode && isNull(v):
			// lya: null does not replace a map
		default:
			dst.Content[j+1] = v
		}
	}
}

func findKey(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return i
		}
	}
	return -1
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// describe names a node's kind and value for messages.
func describe(n *yaml.Node) string {
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an unexpected YAML node"
}

var yamlLine = regexp.MustCompile(`^yaml: line ([0-9]+): `)

func yamlErrorPos(file string, err error) Pos {
	p := Pos{File: file}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
	}
	return p
}

func yamlErrorMsg(err error) string {
	s := yamlLine.ReplaceAllString(err.Error(), "")
	return strings.TrimPrefix(s, "yaml: ")
}

// sortByFile orders problems by file (base, then the -c files in order) and
// line, so they read like the files.
func sortByFile(ps Problems, inputs []Input) {
	order := map[string]int{BaseName: -1}
	for i, in := range inputs {
		if _, ok := order[in.Name]; !ok {
			order[in.Name] = i
		}
	}
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if order[a.File] != order[b.File] {
			return order[a.File] < order[b.File]
		}
		return a.Line < b.Line
	})
}
