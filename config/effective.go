package config

import (
	"bytes"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Effective returns the merged configuration as commented YAML: the base with
// every user file layered over it, each value set by a user file marked with
// where it was set, and caps (strings starting "URI:") redacted.
func (c *Config) Effective() []byte { return c.effective }

func (l *loader) effective(root *yaml.Node, files []string) []byte {
	cp := l.copyNode(root, false, false)
	var buf bytes.Buffer
	buf.WriteString("# Effective lafs-backup configuration: " + BaseName)
	for _, f := range files {
		buf.WriteString(" + " + f)
	}
	buf.WriteString("\n# Values set by -c files are marked with where they were set; relative paths\n# are shown resolved; caps are redacted.\n\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{cp}}); err != nil {
		// Encoding nodes that were just parsed cannot fail; say so loudly if it does.
		return fmt.Appendf(nil, "# cannot render the effective configuration: %v\n", err)
	}
	enc.Close()
	return buf.Bytes()
}

// copyNode deep-copies n without comments, resolving aliases, redacting
// caps and marking values that came from user files. secret redacts every
// scalar below; marked means an enclosing value was already marked.
func (l *loader) copyNode(n *yaml.Node, secret, marked bool) *yaml.Node {
	n = resolve(n)
	c := yaml.Node{Kind: n.Kind, Style: n.Style &^ (yaml.FlowStyle), Tag: n.Tag, Value: n.Value}
	if n.Kind == yaml.SequenceNode && allScalars(n) {
		c.Style = n.Style
	}
	switch abs, ok := l.resolved[n]; {
	case c.Kind == yaml.ScalarNode && c.Tag != "!!null" && (secret || strings.HasPrefix(c.Value, "URI:")):
		c.Value, c.Style = redact(c.Value), 0
	case ok:
		c.Value = abs
	}
	for i, ch := range n.Content {
		isVal := n.Kind == yaml.MappingNode && i%2 == 1
		sec := secret || isVal && n.Content[i-1].Value == "append_to_lafs_dir"
		mark := isVal && !marked && l.fromUser(resolve(ch))
		cc := l.copyNode(ch, sec, marked || mark)
		if mark {
			note := "set in " + l.pos(resolve(ch), "").String()
			if cc.Kind == yaml.ScalarNode {
				cc.LineComment = note
			} else {
				c.Content[i-1].HeadComment = note
			}
		}
		c.Content = append(c.Content, cc)
	}
	return &c
}

func allScalars(n *yaml.Node) bool {
	for _, c := range n.Content {
		if resolve(c).Kind != yaml.ScalarNode {
			return false
		}
	}
	return true
}

// redact hides a cap, keeping its kind: "URI:DIR2:(redacted)".
func redact(s string) string {
	if !strings.HasPrefix(s, "URI:") {
		return "(redacted)"
	}
	kind, _, _ := strings.Cut(strings.TrimPrefix(s, "URI:"), ":")
	return "URI:" + kind + ":(redacted)"
}
