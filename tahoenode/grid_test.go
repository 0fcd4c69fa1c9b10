package tahoenode_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/internal/tahoehash"
	"github.com/lafs-backup/lafs-backup/storageapi"
	"github.com/lafs-backup/lafs-backup/tahoenode"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

func TestMain(m *testing.M) { testgrid.Main(m) }

func sharedGrid(t *testing.T) (*testgrid.Grid, *tahoenode.Node) {
	t.Helper()
	if testing.Short() {
		t.Skip("real grid: skipped with -short")
	}
	g := testgrid.Shared(t)
	n, err := tahoenode.Read(g.GatewayDir())
	if err != nil {
		t.Fatal(err)
	}
	return g, n
}

// The gateway's node directory, read as the gateway reads it, agrees with
// what each storage node says of itself.
func TestReadTheGatewayOfARealGrid(t *testing.T) {
	g, n := sharedGrid(t)
	if n.Needed != 2 || n.Happy != 3 || n.Total != 4 || len(n.Servers) != g.StorageNodes() {
		t.Fatalf("%d/%d/%d with %d servers", n.Needed, n.Happy, n.Total, len(n.Servers))
	}
	conv, _ := os.ReadFile(filepath.Join(g.GatewayDir(), "private", "convergence"))
	if tahoehash.Base32(n.Convergence.Bytes()) != strings.TrimSpace(string(conv)) {
		t.Error("convergence secret differs from the file")
	}
	byNick := map[string]tahoenode.Server{}
	for _, s := range n.Servers {
		byNick[s.Nickname] = s
	}
	for i := range g.StorageNodes() {
		dir := g.NodeDir(i)
		s, ok := byNick[filepath.Base(dir)]
		if !ok {
			t.Errorf("storage node %s is not among the servers", filepath.Base(dir))
			continue
		}
		pub := readTrimmed(t, dir, "node.pubkey")
		seed := readTrimmed(t, dir, "permutation-seed")
		furl := readTrimmed(t, dir, "private", "storage.furl")
		tub := strings.TrimPrefix(furl[:strings.Index(furl, "@")], "pb://")
		switch {
		case "pub-"+s.ID != pub:
			t.Errorf("%s: ID %s, node.pubkey %s", s.Nickname, s.ID, pub)
		case tahoehash.Base32(s.PermutationSeed) != seed:
			t.Errorf("%s: permutation seed differs from the node's", s.Nickname)
		case tahoehash.Base32(s.LeaseSeed[:]) != tub:
			t.Errorf("%s: lease seed is not the tub id of private/storage.furl", s.Nickname)
		case s.NURLs[0].SPKIHash() != spkiHash(t, filepath.Join(dir, "private", "node.pem")):
			t.Errorf("%s: the NURL does not pin the node's key", s.Nickname)
		}
	}
}

func readTrimmed(t *testing.T, elem ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(elem...))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// spkiHash is SHA-256 of the public key in a node's certificate file.
func spkiHash(t *testing.T, path string) [32]byte {
	t.Helper()
	data, _ := os.ReadFile(path)
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			t.Fatalf("%s: no certificate", path)
		}
		if b.Type == "CERTIFICATE" {
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			return sha256.Sum256(c.RawSubjectPublicKeyInfo)
		}
	}
}

// putFile uploads through the gateway and returns the storage index of
// the CHK cap it answers.
func putFile(t *testing.T, g *testgrid.Grid, data []byte) storageapi.StorageIndex {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPut, g.URL()+"uri", bytes.NewReader(data))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fields := strings.Split(string(body), ":")
	if resp.StatusCode != 200 || len(fields) != 7 || fields[1] != "CHK" {
		t.Fatalf("PUT /uri: %s, %d fields", resp.Status, len(fields))
	}
	key, err := tahoehash.DecodeBase32(fields[2])
	if err != nil || len(key) != 16 {
		t.Fatal("cap key", err)
	}
	return tahoehash.StorageIndex([16]byte(key))
}

// Renewing with the secrets we derive renews the lease the gateway's
// upload created: each share still has exactly one lease, now running
// longer. Secrets of our own would add a second (the control).
func TestOurLeaseSecretsAreTheGateways(t *testing.T) {
	g, n := sharedGrid(t)
	ctx := t.Context()
	si := putFile(t, g, bytes.Repeat([]byte("lease secrets\n"), 100))
	type holder struct {
		s      tahoenode.Server
		c      *storageapi.Client
		path   string
		before time.Time
	}
	var holders []holder
	for _, s := range n.Servers {
		c, err := storageapi.New(s.NURLs[0], storageapi.Options{Name: s.Name()})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		shares, err := c.ListShares(ctx, si)
		if err != nil {
			t.Fatal(err)
		}
		if len(shares) == 0 {
			continue // not every server need hold a share
		}
		h := holder{s: s, c: c, path: g.SharePath(nodeIndex(t, g, s), si.String(), shares[0])}
		l := leases(t, g, h.path)
		if len(l) != 1 {
			t.Fatalf("%s: the gateway's upload left %d leases", s.Name(), len(l))
		}
		h.before = l[0]
		holders = append(holders, h)
	}
	if len(holders) < n.Happy {
		t.Fatalf("shares on %d servers, want at least shares.happy = %d", len(holders), n.Happy)
	}
	time.Sleep(1100 * time.Millisecond) // expiry times are whole seconds
	for _, h := range holders {
		if err := h.c.AddLease(ctx, si, n.LeaseSecrets(si, h.s)); err != nil {
			t.Fatal(err)
		}
		if l := leases(t, g, h.path); len(l) != 1 || !l[0].After(h.before) {
			t.Errorf("%s: leases %v after renewal (expiry was %v); want one, renewed", h.s.Name(), l, h.before)
		}
	}
	h, other := holders[0], holders[1].s // another server's secrets
	if err := h.c.AddLease(ctx, si, n.LeaseSecrets(si, other)); err != nil {
		t.Fatal(err)
	}
	if l := leases(t, g, h.path); len(l) != 2 {
		t.Errorf("%s: leases %v after a renewal with other secrets, want a second", h.s.Name(), l)
	}
}

func nodeIndex(t *testing.T, g *testgrid.Grid, s tahoenode.Server) int {
	for i := range g.StorageNodes() {
		if filepath.Base(g.NodeDir(i)) == s.Nickname {
			return i
		}
	}
	t.Fatalf("no storage node %s", s.Nickname)
	return -1
}

func leases(t *testing.T, g *testgrid.Grid, path string) []time.Time {
	t.Helper()
	l, err := g.Leases(path)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
