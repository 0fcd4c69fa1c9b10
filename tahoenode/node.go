package tahoenode

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lafs-backup/lafs-backup/internal/tahoehash"
	"github.com/lafs-backup/lafs-backup/storageapi"
)

// Node is what a Tahoe-LAFS client node directory tells us: its secrets,
// its encoding parameters and the storage servers it knows. Read never
// writes to the directory.
type Node struct {
	Dir string
	// Convergence is the base32-decoded private/convergence: the added
	// secret of convergent encryption, so that our caps equal the
	// gateway's.
	Convergence storageapi.Secret
	// LeaseSecret is the base32-decoded private/secret, the root of every
	// lease secret the gateway uses.
	LeaseSecret storageapi.Secret
	// Needed, Happy, Total are [client] shares.needed/happy/total (Tahoe's
	// defaults 3, 7, 10).
	Needed, Happy, Total int
	// MaxSegmentSize is Tahoe 1.20's 1 MiB
	// (DEFAULT_IMMUTABLE_MAX_SEGMENT_SIZE) unless the node sets [client]
	// shares._max_immutable_segment_size_for_testing.
	MaxSegmentSize int
	// ForceFoolscap: [client] force_foolscap is set, so the gateway talks
	// Foolscap to the servers. Leases are the same over both protocols, so
	// it does not stop us from using HTTPS.
	ForceFoolscap bool
	// PreferredPeers is [client] peers.preferred (server IDs).
	PreferredPeers []string
	// Servers that offer HTTPS storage, sorted by ID.
	Servers []Server
	// Skipped are the other known servers and why (no NURL, a broken
	// announcement), sorted by ID, for the caller to report.
	Skipped []Skipped
}

// Tahoe's defaults (client.py DEFAULT_ENCODING_PARAMETERS).
const (
	DefaultNeeded         = 3
	DefaultHappy          = 7
	DefaultTotal          = 10
	DefaultMaxSegmentSize = 1 << 20
)

// Read reads the node directory dir. Errors name the file and what is
// wrong with it, never a secret's value.
func Read(dir string) (*Node, error) {
	if err := checkDir(dir); err != nil {
		return nil, err
	}
	n := &Node{Dir: dir}
	if err := n.readConfig(); err != nil {
		return nil, err
	}
	var err error
	if n.Convergence, err = readSecret(dir, "convergence"); err != nil {
		return nil, err
	}
	if n.LeaseSecret, err = readSecret(dir, "secret"); err != nil {
		return nil, err
	}
	if err := n.readServers(); err != nil {
		return nil, err
	}
	return n, nil
}

func checkDir(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("tahoenode: node directory %s: no such directory", dir)
	case err != nil:
		return fileError(dir, err)
	case !st.IsDir():
		return fmt.Errorf("tahoenode: node directory %s: not a directory", dir)
	}
	return nil
}

// readConfig reads the [client] settings of tahoe.cfg.
func (n *Node) readConfig() error {
	path := filepath.Join(n.Dir, "tahoe.cfg")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("tahoenode: %s: missing: %s is not a Tahoe node directory", path, n.Dir)
	}
	if err != nil {
		return fileError(path, err)
	}
	cfg, err := parseINI(string(data))
	if err == nil {
		err = n.encoding(cfg)
	}
	if err == nil {
		n.ForceFoolscap, err = cfg.bool("client", "force_foolscap", false)
	}
	if err == nil && len(cfg["grid_managers"]) > 0 {
		err = errors.New("[grid_managers] is set: the gateway uploads only to servers with a Grid Manager " +
			"certificate, which direct uploads do not check; use the web API")
	}
	if err != nil {
		return fmt.Errorf("tahoenode: %s: %w", path, err)
	}
	if v, _ := cfg.get("client", "peers.preferred"); v != "" {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				n.PreferredPeers = append(n.PreferredPeers, p)
			}
		}
	}
	return nil
}

func (n *Node) encoding(cfg iniFile) error {
	var err error
	for _, f := range []struct {
		key string
		dst *int
		def int
	}{
		{"shares.needed", &n.Needed, DefaultNeeded},
		{"shares.happy", &n.Happy, DefaultHappy},
		{"shares.total", &n.Total, DefaultTotal},
		{"shares._max_immutable_segment_size_for_testing", &n.MaxSegmentSize, DefaultMaxSegmentSize},
	} {
		if *f.dst, err = cfg.int("client", f.key, f.def); err != nil {
			return err
		}
	}
	switch {
	case n.Needed < 1 || n.Total > 256 || n.Needed > n.Total:
		return fmt.Errorf("[client] shares.needed = %d, shares.total = %d: want 1 <= needed <= total <= 256",
			n.Needed, n.Total)
	case n.Happy < 1 || n.Happy > n.Total:
		return fmt.Errorf("[client] shares.happy = %d: want 1 <= happy <= shares.total (%d)", n.Happy, n.Total)
	case n.MaxSegmentSize < 1:
		return fmt.Errorf("[client] shares._max_immutable_segment_size_for_testing = %d: want > 0", n.MaxSegmentSize)
	}
	return nil
}

// readSecret reads private/NAME: base32 text, as the node wrote it.
func readSecret(dir, name string) (storageapi.Secret, error) {
	path := filepath.Join(dir, "private", name)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return storageapi.Secret{}, fmt.Errorf("tahoenode: %s: missing (the node creates it when it first starts)", path)
	}
	if err != nil {
		return storageapi.Secret{}, fileError(path, err)
	}
	b, err := tahoehash.DecodeBase32(strings.TrimSpace(string(data)))
	if err != nil || len(b) == 0 {
		return storageapi.Secret{}, fmt.Errorf("tahoenode: %s: malformed: not base32 text", path)
	}
	return storageapi.NewSecret(b), nil
}

// fileError explains an unreadable file.
func fileError(path string, err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("tahoenode: %s: permission denied: run as a user who may read the node directory (its owner)", path)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("tahoenode: %s: %w", path, err)
}

// readServers gathers the HTTPS storage servers: static ones from
// servers.yaml, then announcements for every other ID.
func (n *Node) readServers() error {
	static, err := readStatic(n.Dir)
	if err != nil {
		return err
	}
	cached, files, err := readCaches(n.Dir)
	if err != nil {
		return err
	}
	all := cached
	for id, a := range static {
		all[id] = a // static configuration overrides announcements
	}
	for id, a := range all {
		s, err := toServer(id, a)
		if err != nil {
			n.Skipped = append(n.Skipped, Skipped{s, err})
			continue
		}
		_, s.Static = static[id]
		s.Preferred = slices.Contains(n.PreferredPeers, id)
		n.Servers = append(n.Servers, s)
	}
	slices.SortFunc(n.Servers, func(a, b Server) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(n.Skipped, func(a, b Skipped) int { return strings.Compare(a.Server.ID, b.Server.ID) })
	if len(static) > 0 {
		files = append(files, filepath.Join(n.Dir, "private", "servers.yaml"))
	}
	return n.enoughServers(files)
}

// enoughServers checks that at least shares.happy servers are usable.
func (n *Node) enoughServers(files []string) error {
	where := strings.Join(files, ", ")
	foolscap := 0
	var broken []string
	for _, s := range n.Skipped {
		if errors.Is(s.Reason, errNoNURL) {
			foolscap++
		} else {
			broken = append(broken, s.String())
		}
	}
	why := ""
	if foolscap > 0 {
		why = fmt.Sprintf("; %d more speak only Foolscap", foolscap)
	}
	if len(broken) > 0 {
		why += "; unusable: " + strings.Join(broken, "; ")
	}
	switch {
	case where == "":
		return fmt.Errorf("tahoenode: %s: no private/introducer_*_cache.yaml and no private/servers.yaml: "+
			"start the node once so that it learns the storage servers", n.Dir)
	case len(n.Servers) == 0 && len(n.Skipped) == 0:
		return fmt.Errorf("tahoenode: %s: no storage server announced", where)
	case len(n.Servers) == 0 && foolscap > 0 && len(broken) == 0:
		return fmt.Errorf("tahoenode: %s: none of the %d storage servers has an HTTPS NURL "+
			"(anonymous-storage-NURLs): they run Tahoe-LAFS older than 1.19 or set [storage] force_foolscap; "+
			"use the web API (remove destination.direct)", where, foolscap)
	case len(n.Servers) < n.Happy:
		return fmt.Errorf("tahoenode: %s: %d usable storage servers with an HTTPS NURL, fewer than shares.happy = %d%s",
			where, len(n.Servers), n.Happy, why)
	}
	return nil
}
