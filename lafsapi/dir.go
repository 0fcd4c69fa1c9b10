package lafsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
)

// Child is one entry of an immutable directory: an immutable cap (CHK,
// LIT, DIR2-CHK or DIR2-LIT) and its edge metadata.
type Child struct {
	Cap      Cap
	Metadata map[string]any // stored verbatim; must not use the key "tahoe"
}

// MkdirImmutable creates an immutable directory holding children
// (POST /uri?t=mkdir-immutable) and returns its cap (DIR2-CHK, or DIR2-LIT
// when small). Names must pass ValidateName; an empty map makes an empty
// directory. The same children and metadata through the same gateway give
// the same cap.
func (c *Client) MkdirImmutable(ctx context.Context, children map[string]Child) (Cap, error) {
	body, err := mkdirBody(children)
	if err != nil {
		return Cap{}, &Error{Op: "mkdir-immutable", Err: err, final: true}
	}
	var got Cap
	err = c.do(ctx, &call{
		op: "mkdir-immutable", method: http.MethodPost, path: "uri",
		query: url.Values{"t": {"mkdir-immutable"}},
		open:  bytesOpener(body), size: int64(len(body)), ctype: "application/json",
		object: true,
		read:   readCap(&got, func(c Cap) bool { return c.IsDir() && c.IsImmutable() }),
	})
	return got, err
}

// mkdirBody builds {name: ["filenode"|"dirnode", {"ro_uri": CAP,
// "metadata": {...}}]}, validating names, caps and metadata first.
func mkdirBody(children map[string]Child) ([]byte, error) {
	type props struct {
		ROURI    string         `json:"ro_uri"`
		Metadata map[string]any `json:"metadata"`
	}
	out := make(map[string][2]any, len(children))
	for _, name := range sortedNames(children) {
		ch := children[name]
		if err := ValidateName(name); err != nil {
			return nil, err
		}
		if ch.Cap.IsZero() || !ch.Cap.IsImmutable() {
			return nil, fmt.Errorf("child %q: %w: an immutable directory holds only CHK/LIT files and immutable directories (got %q)",
				name, ErrBadCap, ch.Cap.Kind())
		}
		if _, ok := ch.Metadata["tahoe"]; ok {
			return nil, fmt.Errorf("child %q: the metadata key \"tahoe\" belongs to the gateway", name)
		}
		md := ch.Metadata
		if md == nil {
			md = map[string]any{}
		}
		typ := "filenode"
		if ch.Cap.IsDir() {
			typ = "dirnode"
		}
		out[name] = [2]any{typ, props{ROURI: ch.Cap.Secret(), Metadata: md}}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("metadata cannot be encoded as JSON: %v", err)
	}
	return buf.Bytes(), nil
}

func sortedNames(m map[string]Child) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func bytesOpener(b []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

// MkdirMutable creates an empty mutable directory (POST /uri?t=mkdir) and
// returns its write cap. Each costs the gateway an RSA key.
func (c *Client) MkdirMutable(ctx context.Context) (Cap, error) {
	var got Cap
	err := c.do(ctx, &call{
		op: "mkdir", method: http.MethodPost, path: "uri",
		query: url.Values{"t": {"mkdir"}},
		read:  readCap(&got, func(c Cap) bool { return c.IsDir() && !c.IsImmutable() }),
	})
	return got, err
}

// Link points name in the mutable directory dir at child, replacing what
// was there (PUT /uri/DIR/NAME?t=uri).
func (c *Client) Link(ctx context.Context, dir Cap, name string, child Cap) error {
	if err := linkArgs("link", dir, name, child); err != nil {
		return err
	}
	body := []byte(child.Secret())
	return c.do(ctx, &call{
		op: "link", method: http.MethodPut, path: capPath(dir, name),
		query: url.Values{"t": {"uri"}, "replace": {"true"}},
		open:  bytesOpener(body), size: int64(len(body)),
		ok:   []int{http.StatusOK, http.StatusCreated},
		read: discard,
	})
}

func linkArgs(op string, dir Cap, name string, child Cap) error {
	switch {
	case !dir.IsDir() || dir.IsImmutable():
		return &Error{Op: op, Err: fmt.Errorf("%w: the directory must be a mutable directory write cap", ErrBadCap), final: true}
	case child.IsZero():
		return &Error{Op: op, Err: fmt.Errorf("%w: empty", ErrBadCap), final: true}
	}
	if err := ValidateName(name); err != nil {
		return &Error{Op: op, Err: err, final: true}
	}
	return nil
}

func discard(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}

// Unlink removes name from the mutable directory dir, but only while it
// still points to expect (compared with the link's read and write caps):
// otherwise it returns an error for which IsConflict is true and leaves
// the link alone. A missing name is an error for which IsNotFound is true.
func (c *Client) Unlink(ctx context.Context, dir Cap, name string, expect Cap) error {
	if err := linkArgs("unlink", dir, name, expect); err != nil {
		return err
	}
	n, err := c.Info(ctx, dir, name)
	if err != nil {
		if e, ok := err.(*Error); ok {
			e.Op = "unlink"
		}
		return err
	}
	if !n.Points(expect) {
		return &Error{Op: "unlink", Err: ErrConflict, final: true,
			Msg: fmt.Sprintf("%q now points to another object; left alone", name)}
	}
	var removed string
	err = c.do(ctx, &call{
		op: "unlink", method: http.MethodDelete, path: capPath(dir, name),
		read: func(r io.Reader) error {
			b, err := io.ReadAll(io.LimitReader(r, maxCapBody))
			removed = string(b)
			return err
		},
	})
	if IsNotFound(err) {
		return nil // gone already (perhaps our own earlier attempt)
	}
	if err != nil {
		return err
	}
	return c.relinkIfRaced(ctx, dir, name, expect, removed)
}

// relinkIfRaced puts back a link that changed between the check and the
// DELETE, and reports the conflict.
func (c *Client) relinkIfRaced(ctx context.Context, dir Cap, name string, expect Cap, removed string) error {
	got, err := ParseCap(removed)
	// A mutable child may come back as its write cap while expect is its
	// read cap: only immutable caps compare reliably.
	if err != nil || got.Equal(expect) || !got.IsImmutable() {
		return nil
	}
	if err := c.Link(ctx, dir, name, got); err != nil {
		return err
	}
	return &Error{Op: "unlink", Err: ErrConflict, final: true,
		Msg: fmt.Sprintf("%q changed while it was being unlinked; restored", name)}
}
