package lifecycle

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lafs-backup/lafs-backup/lafsapi"
)

// b32 renders n as Tahoe base32 of the given length.
func b32(n, length int) string {
	const alpha = "abcdefghijklmnopqrstuvwxyz234567"
	b := make([]byte, length)
	for i := length - 1; i >= 0; i-- {
		b[i] = alpha[n%32]
		n /= 32
	}
	return string(b)
}

var capSerial int

// newCap makes a valid CHK (or DIR2-CHK) cap that differs from every other.
func newCap(t testing.TB, dir bool) lafsapi.Cap {
	capSerial++
	prefix := "URI:CHK:"
	if dir {
		prefix = "URI:DIR2-CHK:"
	}
	c, err := lafsapi.ParseCap(prefix + b32(capSerial, 26) + ":" + b32(capSerial, 52) + ":2:4:1000")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fakeGrid is an in-memory gateway: immutable directories, files with a
// health each, and one mutable link directory.
type fakeGrid struct {
	mu        sync.Mutex
	dirs      map[string]map[string]lafsapi.Cap // dircap -> name -> child cap
	health    map[string]lafsapi.CheckResult    // default: healthy
	infoErr   map[string]error
	checkErr  map[string]error
	infos     map[string]int
	checks    map[string]int
	opts      []lafsapi.CheckOptions
	links     map[string]lafsapi.Cap // the link directory's children
	unlinkErr error
	deep      int
}

func newFakeGrid() *fakeGrid {
	return &fakeGrid{dirs: map[string]map[string]lafsapi.Cap{}, health: map[string]lafsapi.CheckResult{},
		infoErr: map[string]error{}, checkErr: map[string]error{}, infos: map[string]int{},
		checks: map[string]int{}, links: map[string]lafsapi.Cap{}}
}

// dir makes a directory holding children.
func (f *fakeGrid) dir(t testing.TB, children map[string]lafsapi.Cap) lafsapi.Cap {
	c := newCap(t, true)
	f.dirs[c.Secret()] = children
	return c
}

func healthy() lafsapi.CheckResult {
	return lafsapi.CheckResult{StorageIndex: "si", Summary: "Healthy", Healthy: true, Recoverable: true, SharesGood: 4}
}

func (f *fakeGrid) result(c lafsapi.Cap) lafsapi.CheckResult {
	if r, ok := f.health[c.Secret()]; ok {
		return r
	}
	if c.IsLIT() {
		return lafsapi.CheckResult{Healthy: true, Recoverable: true}
	}
	return healthy()
}

func (f *fakeGrid) Info(ctx context.Context, c lafsapi.Cap, path ...string) (lafsapi.Node, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.infos[c.Secret()]++
	if err := f.infoErr[c.Secret()]; err != nil {
		return lafsapi.Node{}, err
	}
	kids, ok := f.dirs[c.Secret()]
	if !ok {
		return lafsapi.Node{}, fmt.Errorf("info: %w", lafsapi.ErrNotFound)
	}
	n := lafsapi.Node{Type: "dirnode", Cap: c, ReadCap: c, Children: map[string]lafsapi.Node{}}
	for name, k := range kids {
		typ := "filenode"
		if k.IsDir() {
			typ = "dirnode"
		}
		if k.IsZero() {
			typ = "unknown"
		}
		n.Children[name] = lafsapi.Node{Type: typ, Cap: k, ReadCap: k}
	}
	return n, nil
}

func (f *fakeGrid) Check(ctx context.Context, c lafsapi.Cap, o lafsapi.CheckOptions) (lafsapi.CheckResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checks[c.Secret()]++
	f.opts = append(f.opts, o)
	if err := f.checkErr[c.Secret()]; err != nil {
		return lafsapi.CheckResult{}, err
	}
	r := f.result(c)
	if o.Repair && !r.Healthy && r.Recoverable {
		pre := r
		r = healthy()
		r.RepairAttempted, r.RepairSuccessful, r.PreRepair = true, true, &pre
	}
	return r, nil
}

// walk visits the tree below c depth first, as the gateway's streams do.
func (f *fakeGrid) walk(c lafsapi.Cap, path []string, seen map[string]bool, fn func(c lafsapi.Cap, path []string) error) error {
	if seen[c.Secret()] {
		return nil
	}
	seen[c.Secret()] = true
	if err := fn(c, path); err != nil {
		return err
	}
	if !c.IsDir() {
		return nil
	}
	if err := f.infoErr[c.Secret()]; err != nil {
		return &lafsapi.StreamError{Path: path, Msg: "UnrecoverableFileError"}
	}
	kids := f.dirs[c.Secret()]
	names := make([]string, 0, len(kids))
	for n := range kids {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if err := f.walk(kids[n], append(slices.Clone(path), n), seen, fn); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeGrid) StreamDeepCheck(ctx context.Context, root lafsapi.Cap, o lafsapi.CheckOptions, fn func(lafsapi.DeepCheckUnit) error) error {
	f.mu.Lock()
	f.deep++
	f.mu.Unlock()
	err := f.walk(root, []string{}, map[string]bool{}, func(c lafsapi.Cap, path []string) error {
		typ := "file"
		if c.IsDir() {
			typ = "directory"
		}
		r := f.result(c)
		return fn(lafsapi.DeepCheckUnit{ManifestUnit: lafsapi.ManifestUnit{Type: typ, Path: path, Cap: c}, Check: r})
	})
	if err != nil {
		return err
	}
	return fn(lafsapi.DeepCheckUnit{ManifestUnit: lafsapi.ManifestUnit{Type: "stats"}})
}

// siOf is the fake storage index of a cap.
func siOf(c lafsapi.Cap) string {
	if c.IsLIT() {
		return ""
	}
	return "si-" + strings.Split(c.Secret(), ":")[2][20:]
}

func (f *fakeGrid) StreamManifest(ctx context.Context, root lafsapi.Cap, fn func(lafsapi.ManifestUnit) error) error {
	err := f.walk(root, []string{}, map[string]bool{}, func(c lafsapi.Cap, path []string) error {
		return fn(lafsapi.ManifestUnit{Type: "file", Path: path, Cap: c, StorageIndex: siOf(c)})
	})
	if err != nil {
		return err
	}
	return fn(lafsapi.ManifestUnit{Type: "stats"})
}

func (f *fakeGrid) Unlink(ctx context.Context, dir lafsapi.Cap, name string, expect lafsapi.Cap) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.unlinkErr != nil {
		return f.unlinkErr
	}
	got, ok := f.links[name]
	switch {
	case !ok:
		return fmt.Errorf("unlink: %w", lafsapi.ErrNotFound)
	case !got.Equal(expect):
		return fmt.Errorf("unlink: %w", lafsapi.ErrConflict)
	}
	delete(f.links, name)
	return nil
}

func lit(t testing.TB, s string) lafsapi.Cap { return lafsapi.LITCap([]byte(s)) }
