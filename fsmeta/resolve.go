package fsmeta

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// ErrUnknownName reports a user or group name that the passwd or group file
// does not hold.
var ErrUnknownName = errors.New("fsmeta: unknown name")

// Resolver maps user and group names to ids through the etc/passwd and
// etc/group files under a root directory, in pure Go. It reads the files
// once, on first use, and is safe for concurrent use. Only the files are
// consulted, not NSS (LDAP and the like).
type Resolver struct {
	root   string
	once   sync.Once
	users  map[string]uint32
	groups map[string]uint32
	err    error
}

// NewResolver returns a Resolver reading root/etc/passwd and
// root/etc/group; root "" means "/".
func NewResolver(root string) *Resolver {
	if root == "" {
		root = "/"
	}
	return &Resolver{root: root}
}

// User returns the uid of a user name.
func (r *Resolver) User(name string) (uint32, error) {
	return r.lookup(name, false)
}

// Group returns the gid of a group name.
func (r *Resolver) Group(name string) (uint32, error) {
	return r.lookup(name, true)
}

func (r *Resolver) lookup(name string, group bool) (uint32, error) {
	r.once.Do(r.load)
	if r.err != nil {
		return 0, r.err
	}
	m, kind := r.users, "user"
	if group {
		m, kind = r.groups, "group"
	}
	id, ok := m[name]
	if !ok {
		return 0, fmt.Errorf("%w: %s %q", ErrUnknownName, kind, name)
	}
	return id, nil
}

func (r *Resolver) load() {
	r.users, r.err = readIDFile(filepath.Join(r.root, "etc", "passwd"))
	if r.err == nil {
		r.groups, r.err = readIDFile(filepath.Join(r.root, "etc", "group"))
	}
}

// readIDFile reads name → id from a passwd- or group-style file (the id is
// the third field). The first line for a name wins, as for getpwnam. A
// missing file is empty.
func readIDFile(path string) (map[string]uint32, error) {
	ids := map[string]uint32{}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return ids, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fsmeta: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) < 3 || fields[0] == "" || strings.HasPrefix(fields[0], "#") ||
			strings.ContainsAny(fields[0][:1], "+-") {
			continue
		}
		id, err := strconv.ParseUint(fields[2], 10, 32)
		if err != nil {
			continue
		}
		if _, dup := ids[fields[0]]; !dup {
			ids[fields[0]] = uint32(id)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("fsmeta: read %q: %w", path, err)
	}
	return ids, nil
}
