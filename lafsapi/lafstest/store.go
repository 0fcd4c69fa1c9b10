package lafstest

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/lafs-backup/lafs-backup/lafsapi"
)

// object is a file or a directory the server holds.
type object struct {
	dir      bool
	mutable  bool
	rw, ro   lafsapi.Cap // rw is zero for immutable objects
	data     []byte
	children map[string]lafsapi.Child
}

// b32 is Tahoe's base32 alphabet.
var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// fakeKeys derives the two base32 fields of a fake cap (26 and 52
// characters) from what the object is.
func fakeKeys(what ...string) (string, string) {
	a := sha256.Sum256([]byte(strings.Join(what, "\x00")))
	b := sha256.Sum256(a[:])
	return b32.EncodeToString(a[:16]), b32.EncodeToString(b[:])[:52]
}

func mustCap(s string) lafsapi.Cap {
	c, err := lafsapi.ParseCap(s)
	if err != nil {
		panic("lafstest: made a bad cap: " + err.Error())
	}
	return c
}

// PutFile stores data as an immutable file, as PUT /uri does, and returns
// its cap: a LIT cap for at most 55 bytes, else a CHK cap that depends
// only on the content.
func (s *Server) PutFile(data []byte) lafsapi.Cap {
	if len(data) <= lafsapi.MaxLITSize {
		return lafsapi.LITCap(data)
	}
	k, h := fakeKeys("file", string(data))
	c := mustCap("URI:CHK:" + k + ":" + h + ":2:4:" + strconv.Itoa(len(data)))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.objects[c.Secret()] = &object{ro: c, data: append([]byte(nil), data...)}
	return c
}

// PutDir stores an immutable directory, as POST /uri?t=mkdir-immutable
// does, and returns its cap (DIR2-LIT when empty, else a DIR2-CHK cap that
// depends only on the children). Children may be caps the server does not
// hold.
func (s *Server) PutDir(children map[string]lafsapi.Child) lafsapi.Cap {
	if len(children) == 0 {
		return mustCap("URI:DIR2-LIT:")
	}
	body, _ := json.Marshal(childList(children))
	k, h := fakeKeys("dir", string(body))
	c := mustCap("URI:DIR2-CHK:" + k + ":" + h + ":2:4:" + strconv.Itoa(len(body)))
	s.SetDir(c, children)
	return c
}

func childList(children map[string]lafsapi.Child) [][3]any {
	var out [][3]any
	for _, name := range slices.Sorted(maps.Keys(children)) {
		ch := children[name]
		out = append(out, [3]any{name, ch.Cap.Secret(), ch.Metadata})
	}
	return out
}

// MkdirMutable makes a mutable directory holding children and returns its
// write cap.
func (s *Server) MkdirMutable(children map[string]lafsapi.Child) lafsapi.Cap {
	s.mu.Lock()
	n := len(s.objects)
	s.mu.Unlock()
	k, h := fakeKeys("mutable", strconv.Itoa(n), s.URL)
	c := mustCap("URI:DIR2:" + k + ":" + h)
	s.SetDir(c, children)
	return c
}

// SetDir installs a directory with these children under the cap dir
// (mutable when dir is a mutable directory write cap), replacing what the
// server held there. Any directory cap will do, so tests can build cycles
// or a listing no gateway would write.
func (s *Server) SetDir(dir lafsapi.Cap, children map[string]lafsapi.Child) {
	o := &object{dir: true, ro: dir, children: maps.Clone(children)}
	if o.children == nil {
		o.children = map[string]lafsapi.Child{}
	}
	if !dir.IsImmutable() && strings.HasPrefix(dir.Secret(), "URI:DIR2:") {
		o.mutable, o.rw = true, dir
		o.ro = mustCap("URI:DIR2-RO:" + strings.TrimPrefix(dir.Secret(), "URI:DIR2:"))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.objects[o.ro.Secret()] = o
	if o.mutable {
		s.objects[o.rw.Secret()] = o
	}
}

// SetChild changes one child of the directory dir in place (a zero
// child.Cap lists it as an object of unknown type), whether or not the
// directory is mutable. It reports whether the server holds dir.
func (s *Server) SetChild(dir lafsapi.Cap, name string, child lafsapi.Child) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[dir.Secret()]
	if !ok || !o.dir {
		return false
	}
	o.children[name] = child
	return true
}

// Children returns the children of the directory dir (nil when the server
// does not hold it).
func (s *Server) Children(dir lafsapi.Cap) map[string]lafsapi.Child {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o, ok := s.objects[dir.Secret()]; ok && o.dir {
		return maps.Clone(o.children)
	}
	return nil
}

// Dirs returns how many directories the server holds.
func (s *Server) Dirs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[*object]bool{}
	for _, o := range s.objects {
		if o.dir {
			seen[o] = true
		}
	}
	return len(seen)
}

// SetServers sets the storage servers GET /?t=json reports (by default
// four connected servers).
func (s *Server) SetServers(servers []lafsapi.Server) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.servers = servers
}

func defaultServers() []lafsapi.Server {
	var out []lafsapi.Server
	for i := range 4 {
		k, _ := fakeKeys("server", strconv.Itoa(i))
		out = append(out, lafsapi.Server{NodeID: "v0-" + k, Nickname: "storage" + strconv.Itoa(i),
			Status: "Connected to 127.0.0.1:" + strconv.Itoa(40000+i), Connected: true})
	}
	return out
}

// object returns what the server holds under c, or nil.
func (s *Server) object(c string) *object {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.objects[c]
}

// StorageIndex is the storage index the server reports for c: "" for LIT
// caps, else a base32 string that depends only on the cap.
func StorageIndex(c lafsapi.Cap) string {
	if c.IsLIT() || c.IsZero() {
		return ""
	}
	k, _ := fakeKeys("si", c.Secret())
	return k
}

// sizeOf is a file's size: its stored data, a LIT cap's data or a CHK
// cap's size field; -1 when unknown.
func (s *Server) sizeOf(c lafsapi.Cap) int64 {
	if data, ok := c.LITData(); ok {
		return int64(len(data))
	}
	if o := s.object(c.Secret()); o != nil && !o.dir {
		return int64(len(o.data))
	}
	f := strings.Split(c.Secret(), ":")
	if n, err := strconv.ParseInt(f[len(f)-1], 10, 64); err == nil && c.Kind() == "CHK" {
		return n
	}
	return -1
}

func itoa(n int) string { return strconv.Itoa(n) }
