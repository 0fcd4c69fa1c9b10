package direct_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/lafs-backup/lafs-backup/internal/tahoehash"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

// fakeServer is a storage server of our own (an httptest TLS server) that
// a node directory fixture announces next to real ones, to inject faults
// the real servers will not produce on demand (docs/testing.md).
type fakeServer struct {
	nick      string
	srv       *httptest.Server
	wrongCert bool         // the announcement pins another key
	requests  atomic.Int32 // requests other than version
}

// newFake answers version like a real server and everything else with
// status.
func newFake(t *testing.T, nick string, status int, wrongCert bool) *fakeServer {
	t.Helper()
	f := &fakeServer{nick: nick, wrongCert: wrongCert}
	version := cborVector(t, "version")
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/storage/v1/version" {
			w.Header().Set("Content-Type", "application/cbor")
			w.Write(version)
			return
		}
		f.requests.Add(1)
		http.Error(w, "Traceback (most recent call last): injected fault", status)
	}))
	f.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the impostor's refused handshakes
	f.srv.StartTLS()
	t.Cleanup(f.srv.Close)
	return f
}

// announcement is what the gateway's introducer cache would hold for f.
func (f *fakeServer) announcement() map[string]any {
	key := f.srv.Certificate().RawSubjectPublicKeyInfo
	if f.wrongCert {
		key = []byte("some other key entirely")
	}
	spki := sha256.Sum256(key)
	swiss := hex.EncodeToString(random(16))
	return map[string]any{
		"anonymous-storage-FURL":  fmt.Sprintf("pb://%s@tcp:127.0.0.1:1/%s", tahoehash.Base32(random(20)), swiss),
		"anonymous-storage-NURLs": []string{fmt.Sprintf("pb://%s@%s/%s#v=1", base64.RawURLEncoding.EncodeToString(spki[:]), f.srv.Listener.Addr(), swiss)},
		"nickname":                f.nick,
		"permutation-seed-base32": tahoehash.Base32(random(32)),
		"service-name":            "storage",
	}
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// nodeDir writes a copy of g's gateway node directory (configuration and
// secrets) whose private/servers.yaml lists the real storage nodes named
// in real and the fakes, and no introducer cache.
func nodeDir(t *testing.T, g *testgrid.Grid, real []string, fakes ...*fakeServer) string {
	t.Helper()
	src, dst := g.GatewayDir(), t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dst, "private"), 0o700))
	for _, name := range []string{"tahoe.cfg", "private/secret", "private/convergence"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		must(t, err)
		must(t, os.WriteFile(filepath.Join(dst, name), b, 0o600))
	}
	caches, _ := filepath.Glob(filepath.Join(src, "private", "introducer_*_cache.yaml"))
	servers := map[string]any{}
	for _, path := range caches {
		b, err := os.ReadFile(path)
		must(t, err)
		var cache []struct {
			Ann  map[string]any `yaml:"ann"`
			KeyS string         `yaml:"key_s"`
		}
		must(t, yaml.Unmarshal(b, &cache))
		for _, e := range cache {
			if nick, _ := e.Ann["nickname"].(string); slices.Contains(real, nick) {
				servers[e.KeyS] = map[string]any{"ann": e.Ann}
			}
		}
	}
	if len(servers) != len(real) {
		t.Fatalf("found %d of the storage nodes %v in the gateway's introducer cache", len(servers), real)
	}
	for _, f := range fakes {
		servers["v0-"+tahoehash.Base32(random(32))] = map[string]any{"ann": f.announcement()}
	}
	b, err := yaml.Marshal(map[string]any{"storage": servers})
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dst, "private", "servers.yaml"), b, 0o600))
	return dst
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// cborVector is one of cbor2's encodings that storageapi's tests use.
func cborVector(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("../storageapi/testdata/cbor.json")
	must(t, err)
	var vs map[string]string
	must(t, json.Unmarshal(data, &vs))
	b, err := hex.DecodeString(vs[name])
	if err != nil || len(b) == 0 {
		t.Fatalf("no CBOR vector %s", name)
	}
	return b
}

func storageNames(g *testgrid.Grid, idx ...int) []string {
	var out []string
	for _, i := range idx {
		out = append(out, filepath.Base(g.NodeDir(i)))
	}
	return out
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
