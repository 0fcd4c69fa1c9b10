package tahoenode_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lafs-backup/lafs-backup/storageapi"
	"github.com/lafs-backup/lafs-backup/tahoenode"
)

// fixture is a node directory written by testdata/make_fixtures.py, whose
// made-up values are sha256("<label>-<n>"): fake recomputes them.
func fixture(name string) string { return filepath.Join("testdata", "nodes", name) }

func fake(label string, n int) []byte {
	h := sha256.Sum256(fmt.Appendf(nil, "%s-%d", label, n))
	return h[:]
}

func nicknames(n *tahoenode.Node) string {
	var out []string
	for _, s := range n.Servers {
		out = append(out, s.Nickname)
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

func TestReadAWellFormedNode(t *testing.T) {
	n, err := tahoenode.Read(fixture("ok"))
	if err != nil {
		t.Fatal(err)
	}
	if n.Needed != 2 || n.Happy != 3 || n.Total != 4 || n.MaxSegmentSize != 1<<20 || !n.ForceFoolscap {
		t.Errorf("settings %d/%d/%d seg %d foolscap %v", n.Needed, n.Happy, n.Total, n.MaxSegmentSize, n.ForceFoolscap)
	}
	if !bytes.Equal(n.Convergence.Bytes(), fake("convergence", 0)) || !bytes.Equal(n.LeaseSecret.Bytes(), fake("secret", 0)) {
		t.Error("secrets differ from the files")
	}
	if len(n.Servers) != 4 {
		t.Fatalf("%d servers, want 4", len(n.Servers))
	}
	for _, s := range n.Servers {
		var i int
		fmt.Sscanf(s.Nickname, "storage%d", &i)
		switch {
		case s.ID != "v0-"+b32(fake("key", i)):
			t.Errorf("%s: ID %s", s.Nickname, s.ID)
		case !bytes.Equal(s.PermutationSeed, fake("seed", i)):
			t.Errorf("%s: permutation seed", s.Nickname)
		case !bytes.Equal(s.LeaseSeed[:], fake("tub", i)[:20]):
			t.Errorf("%s: lease seed is not the FURL's tub id", s.Nickname)
		case len(s.NURLs) != 1 || s.NURLs[0].Host() != fmt.Sprintf("127.0.0.1:%d", 40000+i):
			t.Errorf("%s: NURLs %v", s.Nickname, s.NURLs)
		case s.NURLs[0].SPKIHash() != [32]byte(fake("spki", i)):
			t.Errorf("%s: key hash", s.Nickname)
		case s.Preferred != (i == 2) || s.Static:
			t.Errorf("%s: preferred %v static %v", s.Nickname, s.Preferred, s.Static)
		}
	}
	if !slices.IsSortedFunc(n.Servers, func(a, b tahoenode.Server) int { return strings.Compare(a.ID, b.ID) }) {
		t.Error("servers not sorted by ID")
	}
	if got := n.Servers[0].Name(); !strings.HasPrefix(got, n.Servers[0].Nickname+" [") || len(got) != len(n.Servers[0].Nickname)+11 {
		t.Errorf("Name() = %q", got)
	}
}

func TestReadTahoesDefaultsAndFallbacks(t *testing.T) {
	n, err := tahoenode.Read(fixture("defaults"))
	if err != nil {
		t.Fatal(err)
	}
	if n.Needed != 3 || n.Happy != 7 || n.Total != 10 || n.ForceFoolscap {
		t.Errorf("defaults %d/%d/%d, foolscap %v; want 3/7/10", n.Needed, n.Happy, n.Total, n.ForceFoolscap)
	}
	for _, s := range n.Servers {
		if s.Nickname == "storage3" && !bytes.Equal(s.PermutationSeed, fake("key", 3)) {
			t.Error("without permutation-seed-base32 the seed is the decoded key")
		}
	}
}

func TestReadMergesAnnouncements(t *testing.T) {
	for _, tc := range []struct{ dir, nicks, static string }{
		{"static", "static-one storage0 storage2 storage3 storage9", "static-one storage9"},
		{"two-introducers", "renamed storage1 storage2 storage3 storage5", ""},
		{"some-foolscap-only", "storage0 storage1 storage3 storage4", ""},
		{"one-broken", "storage0 storage1 storage2 storage3", ""},
	} {
		n, err := tahoenode.Read(fixture(tc.dir))
		if err != nil {
			t.Errorf("%s: %v", tc.dir, err)
			continue
		}
		var static []string
		for _, s := range n.Servers {
			if s.Static {
				static = append(static, s.Nickname)
			}
		}
		slices.Sort(static)
		if nicknames(n) != tc.nicks || strings.Join(static, " ") != tc.static {
			t.Errorf("%s: servers %q (static %q), want %q (static %q)", tc.dir, nicknames(n), static, tc.nicks, tc.static)
		}
	}
}

// A server whose announcement is broken is skipped, as Tahoe's broker
// skips it, and reported.
func TestReadSkipsAndReportsBrokenServers(t *testing.T) {
	n, err := tahoenode.Read(fixture("one-broken"))
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Skipped) != 2 {
		t.Fatalf("skipped %v, want storage4 and storage5", n.Skipped)
	}
	for _, s := range n.Skipped {
		want := map[string]string{"storage4": "not a storage NURL", "storage5": "Foolscap only"}[s.Server.Nickname]
		if want == "" || !strings.Contains(s.String(), want) ||
			!strings.Contains(s.String(), "introducer_default_cache.yaml") {
			t.Errorf("skipped %s, want it to say %q", s, want)
		}
	}
}

// Every error names the file and says what is wrong, never a secret.
func TestReadErrors(t *testing.T) {
	for _, tc := range []struct{ dir, file, want string }{
		{"no-such-dir", "", "no such directory"},
		{"not-a-node", "tahoe.cfg", "missing: testdata/nodes/not-a-node is not a Tahoe node directory"},
		{"no-convergence", "private/convergence", "missing (the node creates it"},
		{"bad-secret", "private/secret", "malformed: not base32 text"},
		{"empty-secret", "private/secret", "malformed: not base32 text"},
		{"bad-cfg-int", "tahoe.cfg", `[client] shares.needed = "two" is not an integer`},
		{"bad-cfg-line", "tahoe.cfg", "line 12: want key = value"},
		{"bad-cfg-bool", "tahoe.cfg", `[client] force_foolscap = "maybe" is not a boolean`},
		{"bad-encoding", "tahoe.cfg", "shares.needed = 5, shares.total = 4: want 1 <= needed <= total <= 256"},
		{"bad-happy", "tahoe.cfg", "shares.happy = 9: want 1 <= happy <= shares.total (4)"},
		{"grid-managers", "tahoe.cfg", "[grid_managers] is set"},
		{"bad-yaml", "private/introducer_default_cache.yaml", "malformed: line"},
		{"cache-not-a-list", "private/introducer_default_cache.yaml", "malformed: line 1: want a list of {ann, key_s}"},
		{"no-key", "private/introducer_default_cache.yaml", "entry 1 has no key_s"},
		{"no-cache", "", "no private/introducer_*_cache.yaml and no private/servers.yaml: start the node once"},
		{"empty-cache", "private/introducer_default_cache.yaml", "no storage server announced"},
		{"foolscap-only", "private/introducer_default_cache.yaml", "none of the 4 storage servers has an HTTPS NURL " +
			"(anonymous-storage-NURLs): they run Tahoe-LAFS older than 1.19 or set [storage] force_foolscap; use the web API"},
		{"too-few", "private/introducer_default_cache.yaml", "2 usable storage servers with an HTTPS NURL, fewer than shares.happy = 3; 2 more speak only Foolscap"},
		{"bad-nurl", "private/introducer_default_cache.yaml", "1 usable storage servers with an HTTPS NURL, " +
			"fewer than shares.happy = 3; unusable: storage0 ["},
		{"bad-nurl", "private/introducer_default_cache.yaml", "the key hash is not 43 characters"},
		{"no-furl", "private/introducer_default_cache.yaml", "anonymous-storage-FURL has no 32-character tub id"},
		{"bad-seed", "private/introducer_default_cache.yaml", "permutation-seed-base32: "},
		{"bad-servers-yaml", "private/servers.yaml", "malformed"},
	} {
		_, err := tahoenode.Read(fixture(tc.dir))
		path := filepath.Join(fixture(tc.dir), tc.file)
		switch {
		case err == nil:
			t.Errorf("%s: no error", tc.dir)
		case !strings.Contains(err.Error(), path):
			t.Errorf("%s: %q does not name %s", tc.dir, err, path)
		case !strings.Contains(err.Error(), tc.want):
			t.Errorf("%s: %q, want it to say %q", tc.dir, err, tc.want)
		case strings.Contains(err.Error(), b32(fake("secret", 0))) || strings.Contains(err.Error(), "not base32 at all"):
			t.Errorf("%s: %q quotes a secret", tc.dir, err)
		}
	}
}

var tahoeBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func b32(b []byte) string { return tahoeBase32.EncodeToString(b) }

// testdata/permuted.json holds the ring order Tahoe's own
// permute_server_hash gives the servers of "ok" for three storage indexes.
func TestPermutedIsTahoesRing(t *testing.T) {
	n, err := tahoenode.Read(fixture("ok"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("testdata", "permuted.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rings map[string][]string
	if err := json.Unmarshal(data, &rings); err != nil {
		t.Fatal(err)
	}
	for si, want := range rings {
		var got []string
		for _, s := range n.Permuted(mustSI(t, si)) {
			got = append(got, s.ID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got %v\nwant %v", si, got, want)
		}
	}
}

func mustSI(t *testing.T, s string) storageapi.StorageIndex {
	si, err := storageapi.ParseStorageIndex(s)
	if err != nil {
		t.Fatal(err)
	}
	return si
}
