package uploader

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// fakeGrid is an in-memory gateway: deterministic fake caps (a hash of the
// content), every request recorded, hooks to change files or fail.
type fakeGrid struct {
	mu    sync.Mutex
	files map[string][]byte
	dirs  map[string]map[string]Child
	reqs  []string // "put <size>", "mkdir <n>", "renew"

	// onPut runs after PutFile read a body (n counts PutFile calls from
	// 1); a non-nil error fails the call.
	onPut func(ctx context.Context, n int, data []byte) error
	// onMkdir runs before Mkdir creates a directory; a non-nil error
	// fails the call.
	onMkdir func(children map[string]Child) error
	// healthy answers Renew; nil means healthy.
	healthy func(cap string) bool
	// retries makes PutFile read every body this many extra times first,
	// as an adapter retrying a network error would.
	retries int
	puts    int
	// inflight holds the content being uploaded: a second concurrent
	// upload of it fails, as on a real gateway (UploadUnhappinessError).
	inflight map[string]bool
}

var _ Grid = (*fakeGrid)(nil)

func newFakeGrid() *fakeGrid {
	return &fakeGrid{files: map[string][]byte{}, dirs: map[string]map[string]Child{}, inflight: map[string]bool{}}
}

var litEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func (g *fakeGrid) LIT(data []byte) string {
	return "URI:LIT:" + strings.ToLower(litEncoding.EncodeToString(data))
}

func (g *fakeGrid) readBody(open func() (io.ReadCloser, error)) ([]byte, error) {
	rc, err := open()
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	return data, err
}

func (g *fakeGrid) PutFile(ctx context.Context, open func() (io.ReadCloser, error), size int64) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	g.mu.Lock()
	g.puts++
	n, retries := g.puts, g.retries
	g.mu.Unlock()
	var data []byte
	var err error
	for range retries + 1 {
		if data, err = g.readBody(open); err != nil {
			return "", fmt.Errorf("fake put: %w", err)
		}
	}
	if size >= 0 && int64(len(data)) != size {
		return "", fmt.Errorf("fake put: body %d bytes, announced %d", len(data), size)
	}
	if err := g.enter(string(data)); err != nil {
		return "", err
	}
	defer g.leave(string(data))
	if g.onPut != nil {
		if err := g.onPut(ctx, n, data); err != nil {
			return "", err
		}
	}
	cap := g.LIT(data)
	if len(data) > 55 {
		sum := sha256.Sum256(data)
		cap = fmt.Sprintf("URI:CHK:%s:%s:3:10:%d", hex.EncodeToString(sum[:8]), hex.EncodeToString(sum[8:16]), len(data))
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.reqs = append(g.reqs, fmt.Sprintf("put %d", len(data)))
	g.files[cap] = data
	return cap, nil
}

func (g *fakeGrid) Mkdir(ctx context.Context, children map[string]Child) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	for name, c := range children {
		if !utf8.ValidString(name) || !norm.NFC.IsNormalString(name) || name == "" || strings.Contains(name, "/") {
			return "", fmt.Errorf("fake mkdir: bad name %q", name)
		}
		if c.Cap == "" {
			return "", fmt.Errorf("fake mkdir: child %q without cap", name)
		}
		if _, ok := c.Metadata["tahoe"]; ok {
			return "", errors.New("fake mkdir: metadata key tahoe")
		}
	}
	if g.onMkdir != nil {
		if err := g.onMkdir(children); err != nil {
			return "", err
		}
	}
	body, err := json.Marshal(children)
	if err != nil {
		return "", err
	}
	if err := g.enter(string(body)); err != nil {
		return "", err
	}
	defer g.leave(string(body))
	sum := sha256.Sum256(body)
	cap := "URI:DIR2-CHK:" + hex.EncodeToString(sum[:8]) + ":" + hex.EncodeToString(sum[8:16]) + ":3:10:" + fmt.Sprint(len(body))
	if len(children) == 0 {
		cap = "URI:DIR2-LIT:"
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.reqs = append(g.reqs, fmt.Sprintf("mkdir %d", len(children)))
	g.dirs[cap] = children
	return cap, nil
}

func (g *fakeGrid) Renew(ctx context.Context, cap string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.reqs = append(g.reqs, "renew")
	return g.healthy == nil || g.healthy(cap), nil
}

// requests returns and forgets the requests recorded so far.
func (g *fakeGrid) requests() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.reqs
	g.reqs = nil
	return r
}

func count(reqs []string, prefix string) int {
	n := 0
	for _, r := range reqs {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}

// content returns a file's bytes by cap (LIT caps decoded).
func (g *fakeGrid) content(cap string) ([]byte, bool) {
	if rest, ok := strings.CutPrefix(cap, "URI:LIT:"); ok {
		data, err := litEncoding.DecodeString(strings.ToUpper(rest))
		return data, err == nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	data, ok := g.files[cap]
	return data, ok
}

func (g *fakeGrid) dir(cap string) (map[string]Child, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	d, ok := g.dirs[cap]
	return d, ok
}

// fakeCache is a map-backed cache with a committed part (what Flush made
// durable) and a pending part, like a transaction.
type fakeCache struct {
	mu        sync.Mutex
	committed map[[32]byte]cacheRow
	pending   map[[32]byte]cacheRow
	uses      int
	puts      int
	flushes   int
	now       func() time.Time

	subs, subsPending            map[[32]byte]Subtree
	subLookups, subUses, subPuts int
	lookups                      int
}

type cacheRow struct {
	Object
	dir bool
}

var _ Cache = (*fakeCache)(nil)

func newFakeCache() *fakeCache {
	return &fakeCache{committed: map[[32]byte]cacheRow{}, pending: map[[32]byte]cacheRow{}, now: time.Now,
		subs: map[[32]byte]Subtree{}, subsPending: map[[32]byte]Subtree{}}
}

func (c *fakeCache) Lookup(key [32]byte) (Object, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lookups++
	if row, ok := c.pending[key]; ok {
		return row.Object, true, nil
	}
	row, ok := c.committed[key]
	return row.Object, ok, nil
}

func (c *fakeCache) Use(key [32]byte, renewed bool, seen Seen) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	row, ok := c.pending[key]
	if !ok {
		row, ok = c.committed[key]
	}
	if !ok {
		return errors.New("fake cache: Use of a missing key")
	}
	if renewed {
		row.RenewedAt = c.now()
	}
	if seen != (Seen{}) {
		row.Seen = seen
	}
	c.pending[key] = row
	c.uses++
	return nil
}

func (c *fakeCache) Put(key [32]byte, obj Object, dir bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if obj.Cap == "" {
		return errors.New("fake cache: Put without cap")
	}
	c.pending[key] = cacheRow{obj, dir}
	c.puts++
	return nil
}

func (c *fakeCache) LookupSubtree(key [32]byte) (Subtree, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.subLookups++
	if s, ok := c.subsPending[key]; ok {
		return s, true, nil
	}
	s, ok := c.subs[key]
	return s, ok, nil
}

func (c *fakeCache) UseSubtree(key [32]byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.subs[key]; !ok {
		return errors.New("fake cache: UseSubtree of a missing key")
	}
	c.subUses++
	return nil
}

func (c *fakeCache) PutSubtree(key [32]byte, s Subtree) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.Cap == "" || s.Entries < 1 {
		return errors.New("fake cache: PutSubtree without cap or entries")
	}
	c.subsPending[key] = s
	c.subPuts++
	return nil
}

func (c *fakeCache) Flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, v := range c.pending {
		c.committed[k] = v
	}
	clear(c.pending)
	for k, v := range c.subsPending {
		c.subs[k] = v
	}
	clear(c.subsPending)
	c.flushes++
	return nil
}

// reopen is the cache as the next process sees it: committed rows only.
func (c *fakeCache) reopen() *fakeCache {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := newFakeCache()
	for k, v := range c.committed {
		n.committed[k] = v
	}
	for k, v := range c.subs {
		n.subs[k] = v
	}
	return n
}

func (g *fakeGrid) enter(content string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.inflight[content] {
		return errors.New("fake: UploadUnhappinessError: the same content is being uploaded")
	}
	g.inflight[content] = true
	return nil
}

func (g *fakeGrid) leave(content string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.inflight, content)
}
