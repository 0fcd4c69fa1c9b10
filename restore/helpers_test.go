package restore_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/lafsapi"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

func TestMain(m *testing.M) { testgrid.Main(m) }

// gridClient is a client of the shared grid, and its URL.
func gridClient(t *testing.T) (*lafsapi.Client, string) {
	t.Helper()
	g := testgrid.Shared(t)
	c, err := lafsapi.New(g.URL(), lafsapi.Options{BaseDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c, g.URL()
}

// tnode is a node of a test tree built on the grid: a directory when kids
// is not nil (or dir is set), else a file with data. md is its edge
// metadata (copied); xzData compresses data with the xz program and sets
// "enc": "xz".
type tnode struct {
	md     map[string]any
	data   string
	xzData bool
	dir    bool
	kids   map[string]tnode
}

func file(data string, md map[string]any) tnode { return tnode{data: data, md: md} }

func xzFile(data string, md map[string]any) tnode {
	return tnode{data: data, md: md, xzData: true}
}

func dirNode(md map[string]any, kids map[string]tnode) tnode {
	return tnode{dir: true, md: md, kids: kids}
}

// build stores n's children and returns the cap of n (a directory) or of
// its content (a file).
func build(t *testing.T, c *lafsapi.Client, n tnode) lafsapi.Cap {
	t.Helper()
	ctx := context.Background()
	if !n.dir {
		data := []byte(n.data)
		if n.xzData {
			data = xzCompress(t, data)
		}
		if len(data) <= lafsapi.MaxLITSize {
			return lafsapi.LITCap(data)
		}
		fc, err := c.UploadBytes(ctx, data)
		if err != nil {
			t.Fatal(err)
		}
		return fc
	}
	children := map[string]lafsapi.Child{}
	for name, k := range n.kids {
		md := map[string]any{}
		for key, v := range k.md {
			md[key] = v
		}
		if k.xzData {
			md["enc"] = "xz"
		}
		children[name] = lafsapi.Child{Cap: build(t, c, k), Metadata: md}
	}
	dc, err := c.MkdirImmutable(ctx, children)
	if err != nil {
		t.Fatal(err)
	}
	return dc
}

// rawChild is one child for mkdirRaw.
type rawChild struct {
	Cap lafsapi.Cap
	MD  map[string]any
}

// mkdirRaw posts mkdir-immutable directly, bypassing the client's name
// checks (for hostile trees). It returns the zero Cap and the gateway's
// answer when the gateway refuses.
func mkdirRaw(t *testing.T, url string, kids map[string]rawChild) (lafsapi.Cap, string) {
	t.Helper()
	body := map[string]any{}
	for name, k := range kids {
		typ := "filenode"
		if k.Cap.IsDir() {
			typ = "dirnode"
		}
		md := k.MD
		if md == nil {
			md = map[string]any{}
		}
		body[name] = []any{typ, map[string]any{"ro_uri": k.Cap.Secret(), "metadata": md}}
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(strings.TrimSuffix(url, "/")+"/uri?t=mkdir-immutable", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return lafsapi.Cap{}, resp.Status + ": " + string(out)
	}
	dc, err := lafsapi.ParseCap(string(out))
	if err != nil {
		t.Fatal(err)
	}
	return dc, ""
}

func xzCompress(t *testing.T, data []byte) []byte {
	t.Helper()
	cmd := exec.Command("xz", "-c", "-6")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("xz: %v", err)
	}
	return out
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// md builds edge metadata from key/value pairs.
func md(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[0+i].(string)] = kv[i+1]
	}
	return m
}
