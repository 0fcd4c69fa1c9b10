package lafsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Node is what GET ?t=json says about a file or directory.
type Node struct {
	Type     string // "filenode", "dirnode" or "unknown"
	Cap      Cap    // the write cap when there is one, else the read cap; zero when unparseable
	ReadCap  Cap
	Mutable  bool
	Format   string          // files: "CHK", "SDMF", "MDMF"
	Size     int64           // files; -1 when not given
	Metadata map[string]any  // edge metadata (children, or a node reached by path); numbers are json.Number
	Children map[string]Node // the directory asked about; nil for files and for directories listed as children
}

// IsDir reports whether n is a directory.
func (n Node) IsDir() bool { return n.Type == "dirnode" }

// Points reports whether n is the object c (its read or write cap).
func (n Node) Points(c Cap) bool {
	return !c.IsZero() && (n.Cap.Equal(c) || n.ReadCap.Equal(c))
}

// maxInfoBody bounds a ?t=json answer (a directory of about a million
// entries).
const maxInfoBody = 512 << 20

// Info reads the node c, or the node reached from c through path
// (GET /uri/CAP[/NAME...]?t=json). Reached through a path, the node
// carries its edge metadata.
func (c *Client) Info(ctx context.Context, root Cap, path ...string) (Node, error) {
	if err := checkCap("info", root); err != nil {
		return Node{}, err
	}
	for _, p := range path {
		if err := ValidateName(p); err != nil {
			return Node{}, &Error{Op: "info", Err: err, final: true}
		}
	}
	var n Node
	err := c.do(ctx, &call{
		op: "info", method: http.MethodGet, path: capPath(root, path...),
		query: url.Values{"t": {"json"}},
		read: func(r io.Reader) error {
			data, err := io.ReadAll(io.LimitReader(r, maxInfoBody))
			if err != nil {
				return err
			}
			n, err = parseNode(data)
			return err
		},
	})
	return n, err
}

// rawNode is the property object of a [TYPE, PROPS] pair.
type rawNode struct {
	RO       string                     `json:"ro_uri"`
	RW       string                     `json:"rw_uri"`
	Mutable  bool                       `json:"mutable"`
	Format   string                     `json:"format"`
	Size     *int64                     `json:"size"`
	Metadata map[string]any             `json:"metadata"`
	Children map[string]json.RawMessage `json:"children"`
}

// parseNode decodes a [TYPE, PROPS] pair, numbers kept as json.Number.
func parseNode(data []byte) (Node, error) {
	var pair []json.RawMessage
	if err := decodeJSON(data, &pair); err != nil || len(pair) != 2 {
		return Node{}, errors.New("gateway answered ?t=json with something other than [TYPE, PROPS]")
	}
	var n Node
	var raw rawNode
	if err := decodeJSON(pair[0], &n.Type); err != nil {
		return Node{}, fmt.Errorf("node type: %v", err)
	}
	if err := decodeJSON(pair[1], &raw); err != nil {
		return Node{}, fmt.Errorf("node properties: %v", err)
	}
	n.ReadCap, _ = ParseCap(raw.RO)
	n.Cap = n.ReadCap
	if rw, err := ParseCap(raw.RW); err == nil {
		n.Cap = rw
	}
	n.Mutable, n.Format, n.Metadata = raw.Mutable, raw.Format, raw.Metadata
	n.Size = -1
	if raw.Size != nil {
		n.Size = *raw.Size
	}
	if raw.Children != nil {
		n.Children = make(map[string]Node, len(raw.Children))
	}
	for name, child := range raw.Children {
		cn, err := parseNode(child)
		if err != nil {
			return Node{}, fmt.Errorf("child %q: %v", name, err)
		}
		n.Children[name] = cn
	}
	return n, nil
}

func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}
