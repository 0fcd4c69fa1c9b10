package lifecycle

import (
	"strconv"
	"testing"

	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/lafsapi/lafstest"
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

// fakeGrid is a fake gateway (lafstest) holding the trees a test builds,
// and the client the code under test talks to it with. Files are caps the
// server never stored: healthy objects of no content.
type fakeGrid struct {
	*lafstest.Server
	c    *lafsapi.Client
	dirs map[string]map[string]lafsapi.Cap // every dir() made: cap -> name -> child
}

func newFakeGrid(t testing.TB) *fakeGrid {
	s := lafstest.New(t)
	return &fakeGrid{Server: s, c: s.Client(t, lafsapi.Options{}), dirs: map[string]map[string]lafsapi.Cap{}}
}

// dir makes a directory holding children.
func (f *fakeGrid) dir(t testing.TB, children map[string]lafsapi.Cap) lafsapi.Cap {
	c := newCap(t, true)
	f.dirs[c.Secret()] = children
	kids := map[string]lafsapi.Child{}
	for name, k := range children {
		kids[name] = lafsapi.Child{Cap: k}
	}
	f.SetDir(c, kids)
	return c
}

// setChild changes a child of a directory dir() made.
func (f *fakeGrid) setChild(dir, name string, child lafsapi.Cap) {
	f.dirs[dir][name] = child
	c, _ := lafsapi.ParseCap(dir)
	f.SetChild(c, name, lafsapi.Child{Cap: child})
}

// links returns the children of the link directory dir.
func (f *fakeGrid) links(dir lafsapi.Cap) map[string]lafsapi.Cap {
	out := map[string]lafsapi.Cap{}
	for name, ch := range f.Children(dir) {
		out[name] = ch.Cap
	}
	return out
}

// counts returns how often each cap was the subject of op; for "info" only
// reads of the cap itself (no path below it) count.
func (f *fakeGrid) counts(op string) map[string]int {
	m := map[string]int{}
	for _, r := range f.Requests() {
		if r.Op == op && (op != "info" || len(r.Path) == 0) {
			m[r.Cap]++
		}
	}
	return m
}

// deep is the number of deep-check walks asked for.
func (f *fakeGrid) deep() int { return f.Count(lafstest.Op("stream-deep-check", lafsapi.Cap{})) }

// checkOpts are the options of every t=check request.
func (f *fakeGrid) checkOpts() []lafsapi.CheckOptions {
	var out []lafsapi.CheckOptions
	for _, r := range f.Requests() {
		if r.Op == "check" {
			b := func(k string) bool { v, _ := strconv.ParseBool(r.Query.Get(k)); return v }
			out = append(out, lafsapi.CheckOptions{AddLease: b("add-lease"), Repair: b("repair"), Verify: b("verify")})
		}
	}
	return out
}

// gone makes the directory c unrecoverable (410), as the gateway reports
// a directory it cannot read.
func (f *fakeGrid) gone(c string) {
	cp, _ := lafsapi.ParseCap(c)
	f.Unreadable(cp, 410, "UnrecoverableFileError: no recoverable versions")
}

func lit(t testing.TB, s string) lafsapi.Cap { return lafsapi.LITCap([]byte(s)) }
