package testgrid

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/lafs-backup/lafs-backup/internal/needs"
)

// TestStartRetriesATakenPort: a port taken between freePorts and the
// node's start (here the gateway's web port, held by the test) makes Start
// create the grid again with other ports, not fail.
func TestStartRetriesATakenPort(t *testing.T) {
	needs.Long(t, "tests on a real grid")
	if _, err := FindTahoe(); err != nil {
		unavailable(t, err)
	}
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	taken := held.Addr().(*net.TCPAddr).Port
	calls := 0
	pickPorts = func(n int) ([]int, error) {
		calls++
		ports, err := freePorts(n)
		if calls == 1 && err == nil {
			ports[len(ports)-1] = taken // the gateway's web port
		}
		return ports, err
	}
	t.Cleanup(func() { pickPorts = freePorts })

	g, err := Start(Options{Dir: t.TempDir(), StorageNodes: 2, Needed: 1, Happy: 1, Total: 2})
	if err != nil {
		t.Fatalf("Start with the gateway's port taken: %v", err)
	}
	defer g.Stop()
	if calls != 2 {
		t.Errorf("ports picked %d times, want 2", calls)
	}
	if strings.Contains(g.URL(), ":"+strconv.Itoa(taken)+"/") {
		t.Errorf("gateway URL %s uses the taken port", g.URL())
	}
	resp, err := http.Get(g.URL() + "?t=json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /?t=json: %s", resp.Status)
	}
}
