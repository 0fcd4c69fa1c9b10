package dirnode

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/lafs-backup/lafs-backup/chk"
	"github.com/lafs-backup/lafs-backup/internal/tahoehash"
)

// Child is one entry of an immutable directory.
type Child struct {
	Cap      string         // read cap: URI:CHK:, URI:LIT:, URI:DIR2-CHK: or URI:DIR2-LIT:
	Metadata map[string]any // edge metadata as the web-API client sends it; nil is {}
}

// IsDir reports whether the child is a directory.
func (c Child) IsDir() bool { return strings.HasPrefix(c.Cap, "URI:DIR2-") }

// immutablePrefixes are the caps allowed in an immutable directory.
var immutablePrefixes = []string{"URI:CHK:", "URI:LIT:", "URI:DIR2-CHK:", "URI:DIR2-LIT:"}

// ErrBadChild marks a child Pack refuses; the message names the child but
// never quotes its cap.
var ErrBadChild = errors.New("dirnode: bad child")

// Pack serialises children as the gateway's t=mkdir-immutable stores them
// (dirnode.py pack_children with deep_immutable): names NFC-normalised and
// sorted, each entry the netstring of netstring(name), netstring(cap),
// an empty netstring (no write cap) and netstring(metadata JSON in
// Python's json.dumps form). Two names equal after NFC are refused: the
// gateway would silently keep only one.
func Pack(children map[string]Child) ([]byte, error) {
	byNFC := make(map[string]string, len(children))
	for name := range children {
		if err := checkName(name); err != nil {
			return nil, err
		}
		nfc := norm.NFC.String(name)
		if other, dup := byNFC[nfc]; dup {
			return nil, fmt.Errorf("%w: names %q and %q are the same after Unicode NFC normalisation", ErrBadChild, other, name)
		}
		byNFC[nfc] = name
	}
	names := make([]string, 0, len(byNFC))
	for nfc := range byNFC {
		names = append(names, nfc)
	}
	sort.Strings(names) // UTF-8 byte order is code point order, as Python's sorted
	var out []byte
	for _, nfc := range names {
		entry, err := packEntry(nfc, children[byNFC[nfc]])
		if err != nil {
			return nil, err
		}
		out = tahoehash.AppendNetstring(out, entry)
	}
	return out, nil
}

func packEntry(name string, c Child) ([]byte, error) {
	if !hasImmutablePrefix(c.Cap) {
		return nil, fmt.Errorf("%w: %q: an immutable directory holds only CHK/LIT files and immutable directories", ErrBadChild, name)
	}
	md := c.Metadata
	if md == nil {
		md = map[string]any{}
	}
	if _, ok := md["tahoe"]; ok {
		return nil, fmt.Errorf("%w: %q: the metadata key \"tahoe\" belongs to the gateway", ErrBadChild, name)
	}
	js, err := pyDumps(md)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrBadChild, name, err)
	}
	e := tahoehash.AppendNetstring(nil, []byte(name))
	e = tahoehash.AppendNetstring(e, []byte(c.Cap))
	e = tahoehash.AppendNetstring(e, nil)
	return tahoehash.AppendNetstring(e, js), nil
}

// checkName refuses what the web-API client refuses (lafsapi.ValidateName),
// except that names not in NFC are normalised as the gateway does.
func checkName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("%w: name %q", ErrBadChild, name)
	case strings.Contains(name, "/"):
		return fmt.Errorf("%w: name %q contains '/'", ErrBadChild, name)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: name %q is not valid UTF-8", ErrBadChild, name)
	}
	return nil
}

func hasImmutablePrefix(c string) bool {
	for _, p := range immutablePrefixes {
		if strings.HasPrefix(c, p) {
			return true
		}
	}
	return false
}

// Dir is an immutable directory ready to store: its packed contents, and
// unless they are small enough for a LIT cap, their CHK shares.
type Dir struct {
	uri     string
	Packed  []byte
	Encoded *chk.Encoded // nil for a DIR2-LIT directory, which needs no upload
}

// URI is the directory's cap, URI:DIR2-CHK:... or URI:DIR2-LIT:..., as
// mkdir-immutable returns it.
func (d *Dir) URI() string { return d.uri }

// String is redacted: the cap is a secret.
func (d *Dir) String() string { return "immutable directory (cap redacted)" }

// Encode packs children and encodes the result as the gateway does
// (nodemaker.py create_immutable_directory): at most chk.MaxLITSize bytes
// become a DIR2-LIT cap, more a CHK file under the convergence secret.
func Encode(secret []byte, p chk.Params, children map[string]Child) (*Dir, error) {
	packed, err := Pack(children)
	if err != nil {
		return nil, err
	}
	if len(packed) <= chk.MaxLITSize {
		return &Dir{uri: "URI:DIR2-LIT:" + tahoehash.Base32(packed), Packed: packed}, nil
	}
	enc, err := chk.Encode(secret, p, packed)
	if err != nil {
		return nil, err
	}
	return &Dir{uri: enc.Cap.DirURI(), Packed: packed, Encoded: enc}, nil
}
