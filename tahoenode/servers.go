package tahoenode

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/lafs-backup/lafs-backup/internal/tahoehash"
	"github.com/lafs-backup/lafs-backup/storageapi"
)

// Server is one storage server the node knows, as its storage broker
// (allmydata/storage_client.py) describes it.
type Server struct {
	// ID is the server's key_s ("v0-..."), or its name in servers.yaml.
	ID       string
	Nickname string
	// NURLs are its HTTPS storage NURLs (anonymous-storage-NURLs); Tahoe
	// connects to whichever answers first.
	NURLs []storageapi.NURL
	// PermutationSeed orders the server on each file's permuted ring:
	// permutation-seed-base32, else the key in ID, else SHA-256 of ID.
	PermutationSeed []byte
	// LeaseSeed is the Foolscap tub id of its anonymous-storage-FURL, which
	// Tahoe's HTTP client still uses as the server's input to the bucket
	// lease secrets (HTTPNativeStorageServer.get_lease_seed).
	LeaseSeed [20]byte
	// Static: from private/servers.yaml, which overrides announcements.
	Static bool
	// Preferred: named in [client] peers.preferred.
	Preferred bool
	// Source is the file the server was read from.
	Source string
}

// Skipped is a known server that cannot be used for direct uploads.
type Skipped struct {
	Server Server // ID, Nickname and Source only
	Reason error
}

func (s Skipped) String() string {
	return fmt.Sprintf("%s (in %s): %v", s.Server.Name(), s.Server.Source, s.Reason)
}

// Name is "nickname [abcdefgh]" with Tahoe's short form of the ID, for
// messages; not secret.
func (s Server) Name() string {
	short := strings.TrimPrefix(s.ID, "v0-")
	short = short[:min(8, len(short))]
	if s.Nickname == "" {
		return "[" + short + "]"
	}
	return s.Nickname + " [" + short + "]"
}

// announcement is one entry of an introducer cache or servers.yaml.
type announcement struct {
	FURL      string   `yaml:"anonymous-storage-FURL"`
	NURLs     []string `yaml:"anonymous-storage-NURLs"`
	Nickname  string   `yaml:"nickname"`
	Seed      string   `yaml:"permutation-seed-base32"`
	Service   string   `yaml:"service-name"`
	Seqnum    int64    `yaml:"seqnum"`
	GridCerts []any    `yaml:"grid-manager-certificates"`
}

// readCaches reads every private/introducer_*_cache.yaml (sorted by name)
// and keeps, per server, the announcement with the highest seqnum.
func readCaches(dir string) (map[string]announced, []string, error) {
	files, _ := filepath.Glob(filepath.Join(dir, "private", "introducer_*_cache.yaml"))
	slices.Sort(files)
	out := map[string]announced{}
	for _, f := range files {
		var entries []struct {
			Ann  announcement `yaml:"ann"`
			KeyS string       `yaml:"key_s"`
		}
		if err := readYAML(f, &entries, "a list of {ann, key_s}"); err != nil {
			return nil, nil, err
		}
		for i, e := range entries {
			if e.KeyS == "" {
				return nil, nil, fmt.Errorf("tahoenode: %s: entry %d has no key_s", f, i+1)
			}
			if old, ok := out[e.KeyS]; ok && old.ann.Seqnum >= e.Ann.Seqnum {
				continue
			}
			out[e.KeyS] = announced{e.Ann, f}
		}
	}
	return out, files, nil
}

type announced struct {
	ann    announcement
	source string
}

// readStatic reads private/servers.yaml ({storage: {ID: {ann: ...}}}) if
// it exists.
func readStatic(dir string) (map[string]announced, error) {
	f := filepath.Join(dir, "private", "servers.yaml")
	var doc struct {
		Storage map[string]struct {
			Ann announcement `yaml:"ann"`
		} `yaml:"storage"`
	}
	if err := readYAML(f, &doc, "storage: {ID: {ann: ...}}"); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	out := map[string]announced{}
	for id, s := range doc.Storage {
		out[id] = announced{s.Ann, f}
	}
	return out, nil
}

// readYAML decodes path into v; shape says what the file should hold.
func readYAML(path string, v any, shape string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fileError(path, err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		return fmt.Errorf("tahoenode: %s: malformed: %s", path, yamlReason(err, shape))
	}
	return nil
}

// yamlReason keeps yaml's line number but neither the offending values nor
// Go type names.
func yamlReason(err error, shape string) string {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		line, _, _ := strings.Cut(te.Errors[0], ": cannot unmarshal")
		return line + ": want " + shape
	}
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	if i := strings.Index(s, "`"); i >= 0 {
		s = s[:i] + "(value not shown)"
	}
	return s
}

var (
	furlTubID = regexp.MustCompile(`^pb://(\w+)@`)
	v0Key     = regexp.MustCompile(`^v0-[0-9a-zA-Z]{52}$`)
)

// toServer builds a Server from an announcement, or says why the server
// cannot be used: it offers no HTTPS storage, or the announcement is
// broken (Tahoe's broker skips such a server too).
func toServer(id string, a announced) (Server, error) {
	s := Server{ID: id, Nickname: a.ann.Nickname, Source: a.source}
	if a.ann.Service != "" && a.ann.Service != "storage" {
		return s, errors.New("not a storage service")
	}
	if len(a.ann.NURLs) == 0 {
		return s, errNoNURL
	}
	for _, u := range a.ann.NURLs {
		n, err := storageapi.ParseNURL(u)
		if err != nil {
			return s, err
		}
		s.NURLs = append(s.NURLs, n)
	}
	var tub []byte
	var err error
	if m := furlTubID.FindStringSubmatch(a.ann.FURL); m != nil {
		tub, err = tahoehash.DecodeBase32(strings.ToLower(m[1]))
	}
	if tub == nil || err != nil || len(tub) != len(s.LeaseSeed) {
		return s, errors.New("anonymous-storage-FURL has no 32-character tub id (needed for lease secrets)")
	}
	copy(s.LeaseSeed[:], tub)
	if s.PermutationSeed, err = permutationSeed(id, a.ann.Seed); err != nil {
		return s, fmt.Errorf("permutation-seed-base32: %w", err)
	}
	return s, nil
}

// errNoNURL marks a server that speaks only Foolscap.
var errNoNURL = errors.New("no anonymous-storage-NURLs (Foolscap only)")

// permutationSeed follows storage_client._parse_announcement.
func permutationSeed(id, seed string) ([]byte, error) {
	switch {
	case seed != "":
		return tahoehash.DecodeBase32(seed)
	case v0Key.MatchString(id):
		return tahoehash.DecodeBase32(id[3:])
	}
	h := sha256.Sum256([]byte(id))
	return h[:], nil
}
