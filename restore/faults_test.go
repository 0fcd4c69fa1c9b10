package restore

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/lafsapi/lafstest"
	"github.com/lafs-backup/lafs-backup/treeformat"
)

func mustCap(t *testing.T, s string) lafsapi.Cap {
	t.Helper()
	c, err := lafsapi.ParseCap(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const (
	fakeDir1 = "URI:DIR2:aaaaaaaaaaaaaaaaaaaaaaaaaa:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	fakeDir2 = "URI:DIR2:cccccccccccccccccccccccccc:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// Mutable directories can form cycles, which no backup holds.
func TestRestoreRefusesCycles(t *testing.T) {
	d1, d2 := mustCap(t, fakeDir1), mustCap(t, fakeDir2)
	file := lafsapi.LITCap([]byte("data"))
	s := lafstest.New(t)
	s.SetDir(d1, map[string]lafsapi.Child{
		"sub": {Cap: d2, Metadata: map[string]any{"mode": "40755"}},
		"f":   {Cap: file, Metadata: map[string]any{"mode": "100644"}},
	})
	s.SetDir(d2, map[string]lafsapi.Child{
		"up": {Cap: d1, Metadata: map[string]any{"mode": "40755"}},
		"me": {Cap: d2, Metadata: map[string]any{"mode": "40755"}},
	})
	g := s.Client(t, lafsapi.Options{})
	target := filepath.Join(t.TempDir(), "out")
	st, err := Run(t.Context(), g, d1, Options{Target: target, NoOwner: true})
	if err != nil {
		t.Fatal(err)
	}
	// sub/up is the top again, sub/me is sub again: both refused.
	var got []string
	for _, f := range st.Failed {
		got = append(got, f.Error())
	}
	if len(got) != 2 || !strings.HasPrefix(got[0], "sub/up:") || !strings.HasPrefix(got[1], "sub/me:") || !strings.Contains(got[0], "contains itself") || !strings.Contains(got[1], "contains itself") {
		t.Errorf("failures %q", got)
	}
	if b, err := os.ReadFile(filepath.Join(target, "f")); err != nil || string(b) != "data" {
		t.Errorf("f: %q %v", b, err)
	}
}

func TestOpenTopFormats(t *testing.T) {
	d1, d2 := mustCap(t, fakeDir1), mustCap(t, fakeDir2)
	s := lafstest.New(t)
	g := s.Client(t, lafsapi.Options{})
	wrapperOf := func(version string) *lafsapi.Client {
		s.SetDir(d1, map[string]lafsapi.Child{
			"snap": {Cap: d2, Metadata: map[string]any{"mode": "40700", treeformat.FormatKey: version}},
		})
		s.SetDir(d2, nil)
		return g
	}
	top, err := openTop(t.Context(), wrapperOf("1"), d1, "")
	if err != nil || top.format != FormatV1 || top.name != "snap" || !top.hasMeta || top.e.meta.Mode != 0o40700 {
		t.Errorf("format 1: %+v %v", top, err)
	}
	if _, err := openTop(t.Context(), wrapperOf("2"), d1, ""); err == nil || !strings.Contains(err.Error(), "newer than this program reads") {
		t.Errorf("format 2: %v", err)
	}
	// One child directory without the key: an original tree.
	wrapperOf("1")
	s.SetChild(d1, "snap", lafsapi.Child{Cap: d2, Metadata: map[string]any{"mode": "40700"}})
	if top, err := openTop(t.Context(), g, d1, ""); err != nil || top.format != FormatOriginal || top.hasMeta {
		t.Errorf("original: %+v %v", top, err)
	}
	if _, err := openTop(t.Context(), g, lafsapi.LITCap([]byte("x")), ""); err == nil {
		t.Error("a file cap was accepted as a backup")
	}
}

// The first breaks downloads of the file are cut off after 3 bytes.
func TestRestoreRetriesBrokenDownloads(t *testing.T) {
	d1 := mustCap(t, fakeDir1)
	data := strings.Repeat("0123456789", 10)
	for _, tc := range []struct {
		breaks int
		ok     bool
	}{{1, true}, {fetchAttempts - 1, true}, {fetchAttempts, false}} {
		s := lafstest.New(t)
		f := s.PutFile([]byte(data))
		s.SetDir(d1, map[string]lafsapi.Child{"f": {Cap: f, Metadata: map[string]any{"mode": "100644"}}})
		replies := []http.HandlerFunc{}
		for range tc.breaks {
			replies = append(replies, s.Truncated(3))
		}
		s.Fault(lafstest.Op("download", f), lafstest.Replies(append(replies, s.Store)...))
		target := filepath.Join(t.TempDir(), "out")
		st, err := Run(t.Context(), s.Client(t, lafsapi.Options{}), d1, Options{Target: target, Jobs: 1})
		if err != nil {
			t.Fatal(err)
		}
		b, rerr := os.ReadFile(filepath.Join(target, "f"))
		switch {
		case tc.ok && (len(st.Failed) > 0 || string(b) != data):
			t.Errorf("%d broken downloads: %v, content %q", tc.breaks, st.Failed, b)
		case !tc.ok && (len(st.Failed) != 1 || !os.IsNotExist(rerr)):
			t.Errorf("%d broken downloads: want the failure reported and no file: %v, %v", tc.breaks, st.Failed, rerr)
		}
	}
}
