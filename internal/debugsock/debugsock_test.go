package debugsock

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

func client(path string) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", path)
	}}}
}

func TestServeStatusAndPprofOnA0600Socket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "debug.sock")
	stop, err := Serve(path, func() any { return map[string]int{"entries": 42} })
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("socket %v mode %v", err, fi.Mode())
	}
	c := client(path)
	resp, err := c.Get("http://x/status")
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]int
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if st["entries"] != 42 {
		t.Errorf("status %v", st)
	}
	resp, err = c.Get("http://x/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(body) == 0 {
		t.Errorf("pprof: %d, %d bytes", resp.StatusCode, len(body))
	}

	// A second server on the same path is refused while the first runs.
	if _, err := Serve(path, func() any { return nil }); err == nil {
		t.Error("a live socket was taken over")
	}
	stop()
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("socket left behind: %v", err)
	}
}

func TestServeReplacesStaleSocketButNotFiles(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "stale.sock")
	ln, _ := net.Listen("unix", stale)
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	stop, err := Serve(stale, func() any { return nil })
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	stop()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("keep"), 0o600)
	if _, err := Serve(file, func() any { return nil }); err == nil {
		t.Error("a regular file was replaced by the socket")
	}
	if data, _ := os.ReadFile(file); string(data) != "keep" {
		t.Error("the regular file was touched")
	}
}
