package testgrid_test

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lafs-backup/lafs-backup/internal/needs"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

func TestMain(m *testing.M) { testgrid.Main(m) }

// put uploads data with a plain PUT /uri and returns the cap.
func put(t *testing.T, base, data string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, base+"uri", strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT /uri: %s: %.200s", resp.Status, body)
	}
	return strings.TrimSpace(string(body))
}

func TestSharedGridUploads(t *testing.T) {
	g := testgrid.Shared(t)
	if g2 := testgrid.Shared(t); g2 != g {
		t.Fatal("Shared returned a second grid")
	}
	cap := put(t, g.URL(), strings.Repeat("x", 1000))
	if !strings.HasPrefix(cap, "URI:CHK:") {
		t.Fatalf("cap kind: %.12s", cap)
	}
	out, err := g.Tahoe("get", cap)
	if err != nil {
		t.Fatal(err)
	}
	if out != strings.Repeat("x", 1000) {
		t.Fatalf("tahoe get returned %d bytes", len(out))
	}
	if err := g.StopStorage(0); err == nil {
		t.Fatal("StopStorage on the shared grid succeeded")
	}
}

func TestOwnGridFaults(t *testing.T) {
	g := testgrid.New(t, testgrid.Options{})
	url := g.URL()
	if err := g.StopStorage(1); err != nil {
		t.Fatal(err)
	}
	if err := g.StopStorage(2); err != nil {
		t.Fatal(err)
	}
	// Two servers left, happy = 3: uploads must fail.
	req, _ := http.NewRequest(http.MethodPut, url+"uri", strings.NewReader(strings.Repeat("y", 100)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("upload with 2 of 4 servers: %s, want 500", resp.Status)
	}
	for _, i := range []int{1, 2} {
		if err := g.StartStorage(i); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.RestartGateway(); err != nil {
		t.Fatal(err)
	}
	if g.URL() != url {
		t.Fatalf("gateway URL changed from %s to %s", url, g.URL())
	}
	cap := put(t, g.URL(), strings.Repeat("z", 100))
	shares := 0
	for i := range g.StorageNodes() {
		filepath.WalkDir(filepath.Join(g.StorageDir(i), "shares"), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && !strings.Contains(p, "incoming") {
				shares++
			}
			return nil
		})
	}
	if shares != 4 || !strings.HasPrefix(cap, "URI:CHK:") {
		t.Fatalf("after restarts: %d shares on disk, want 4", shares)
	}
}

func TestCountingProxy(t *testing.T) {
	g := testgrid.Shared(t)
	p := testgrid.NewCountingProxy(t, g.URL())
	cap := put(t, p.URL(), strings.Repeat("p", 100))
	resp, err := http.Get(p.URL() + "uri/" + url.PathEscape(cap) + "?t=json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := p.Requests()
	want := []string{"PUT /uri", "GET /uri/CAP?t=json"}
	if strings.Join(got, "|") != strings.Join(want, "|") || p.Count() != 2 {
		t.Fatalf("requests %q, want %q", got, want)
	}
	for _, r := range got {
		if strings.Contains(r, "URI:") {
			t.Fatalf("cap not redacted: %q", r)
		}
	}
}

func TestRedactPath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/uri", "/uri"},
		{"/uri/URI:DIR2:abc:def/name?t=uri", "/uri/CAP/name?t=uri"},
		{"/uri/URI%3ACHK%3Aabc?t=check&output=JSON", "/uri/CAP?output=JSON&t=check"},
		{"/uri/URI:DIR2:a:b/?t=uri&name=x&uri=URI:CHK:a", "/uri/CAP/?name=x&t=uri&uri=CAP"},
	} {
		u, err := url.Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := testgrid.RedactPath(u); got != tc.want {
			t.Errorf("RedactPath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestDetachedGridRestarts is what scripts/grid does: a detached grid,
// stopped by directory, started again in the same directory with the same
// gateway URL.
func TestDetachedGridRestarts(t *testing.T) {
	needs.Long(t, "a real grid")
	if _, err := testgrid.FindTahoe(); err != nil {
		testgrid.Shared(t) // skips or fails with the usual message
	}
	dir := t.TempDir()
	t.Cleanup(func() { testgrid.StopDir(dir) })
	g, err := testgrid.Start(testgrid.Options{Dir: dir, Detached: true})
	if err != nil {
		t.Fatal(err)
	}
	first := put(t, g.URL(), strings.Repeat("d", 100))
	if err := testgrid.StopDir(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(g.URL()); err == nil {
		t.Fatal("gateway still answers after StopDir")
	}
	g2, err := testgrid.Start(testgrid.Options{Dir: dir, Detached: true})
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := testgrid.ReadURL(dir); g2.URL() != g.URL() || u != g.URL() {
		t.Fatalf("URL changed: %s, %s, %s", g.URL(), g2.URL(), u)
	}
	// Same gateway, same convergence secret, the shares still there.
	if again := put(t, g2.URL(), strings.Repeat("d", 100)); again != first {
		t.Fatal("the restarted grid gave another cap for the same content")
	}
	if _, err := testgrid.Start(testgrid.Options{Dir: dir, Detached: true}); err == nil {
		t.Fatal("a second start of a running grid succeeded")
	}
}
