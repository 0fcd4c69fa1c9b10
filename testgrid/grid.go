package testgrid

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Options shape a grid. The zero value is the standard test grid.
type Options struct {
	StorageNodes int           // default 4
	Needed       int           // shares.needed, default 2
	Happy        int           // shares.happy, default 3
	Total        int           // shares.total, default 4
	Dir          string        // node directories go here; "" = a new temporary directory
	Detached     bool          // nodes outlive this process (the grid for people)
	Tahoe        string        // tahoe executable; "" = FindTahoe()
	Timeout      time.Duration // how long to wait for readiness, default 2 minutes
}

func (o *Options) defaults() {
	if o.StorageNodes <= 0 {
		o.StorageNodes = 4
	}
	if o.Needed <= 0 {
		o.Needed, o.Happy, o.Total = 2, 3, 4
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
}

// Grid is a running introducer, storage nodes and one gateway.
type Grid struct {
	opts    Options
	dir     string
	ownDir  bool // dir was made by Start and is removed by Stop
	shared  bool // the Shared grid: fault methods refuse
	url     string
	intro   *node
	storage []*node
	gateway *node
}

// grace is how long a node gets to exit after SIGTERM.
const grace = 10 * time.Second

// Start creates and starts a grid and waits until the gateway sees every
// storage node connected.
func Start(opts Options) (*Grid, error) {
	opts.defaults()
	if opts.Tahoe == "" {
		bin, err := FindTahoe()
		if err != nil {
			return nil, err
		}
		opts.Tahoe = bin
	}
	g := &Grid{opts: opts, dir: opts.Dir}
	if g.dir == "" {
		dir, err := os.MkdirTemp("", "lafs-testgrid-")
		if err != nil {
			return nil, err
		}
		g.dir, g.ownDir = dir, true
	}
	abs, err := filepath.Abs(g.dir)
	if err != nil {
		return nil, err
	}
	g.dir = abs
	if exists(filepath.Join(g.dir, "introducer", "tahoe.cfg")) {
		// A grid made earlier in this directory: start it again.
		if err = g.load(); err == nil {
			err = g.start()
		}
	} else {
		err = g.createAndStart()
	}
	if err != nil {
		g.Stop()
		return nil, err
	}
	return g, nil
}

// startAttempts is how many times a new grid is created afresh when a
// node could not listen on its port: freePorts must close its listeners
// before the nodes bind the ports, and another process (another grid's
// outgoing connection, typically) can take one in between.
const startAttempts = 3

// createAndStart creates a new grid and starts it, with new ports again
// after a node found its port taken.
func (g *Grid) createAndStart() error {
	for attempt := 1; ; attempt++ {
		if err := g.create(); err != nil {
			return err
		}
		err := g.start()
		if err == nil || attempt == startAttempts || !g.portTaken() {
			return err
		}
		if err := g.discardNodes(); err != nil {
			return err
		}
	}
}

// portTaken says whether a node's log says it could not listen.
func (g *Grid) portTaken() bool {
	for _, n := range g.all() {
		data, err := os.ReadFile(n.logPath())
		if err == nil && bytes.Contains(data, []byte("CannotListenError")) {
			return true
		}
	}
	return false
}

// discardNodes stops every node and removes the node directories, so that
// create can write them again.
func (g *Grid) discardNodes() error {
	var errs []error
	for _, n := range g.all() {
		errs = append(errs, n.stop(grace), os.RemoveAll(n.dir))
	}
	g.intro, g.gateway, g.storage = nil, nil, nil
	return errors.Join(errs...)
}

// create writes the node directories with fixed ports, so restarted nodes
// keep their addresses (and the gateway its URL).
func (g *Grid) create() error {
	o := g.opts
	ports, err := pickPorts(o.StorageNodes + 2)
	if err != nil {
		return err
	}
	g.intro = g.newNode("introducer")
	cfg := nodeConfig{kind: kindIntroducer, nickname: "introducer", tubPort: ports[0]}
	if err := writeNode(g.intro.dir, cfg); err != nil {
		return err
	}
	for i := range o.StorageNodes {
		n := g.newNode(fmt.Sprintf("storage%d", i))
		cfg := nodeConfig{kind: kindStorage, nickname: n.name, tubPort: ports[1+i],
			needed: o.Needed, happy: o.Happy, total: o.Total}
		if err := writeNode(n.dir, cfg); err != nil {
			return err
		}
		g.storage = append(g.storage, n)
	}
	web := ports[len(ports)-1]
	g.gateway = g.newNode("gateway")
	g.url = fmt.Sprintf("http://127.0.0.1:%d/", web)
	cfg = nodeConfig{kind: kindGateway, nickname: "gateway", webPort: web,
		needed: o.Needed, happy: o.Happy, total: o.Total}
	return writeNode(g.gateway.dir, cfg)
}

// load finds the nodes of a grid created earlier in g.dir.
func (g *Grid) load() error {
	g.intro = g.newNode("introducer")
	for i := 0; ; i++ {
		n := g.newNode(fmt.Sprintf("storage%d", i))
		if !exists(filepath.Join(n.dir, "tahoe.cfg")) {
			break
		}
		g.storage = append(g.storage, n)
	}
	g.gateway = g.newNode("gateway")
	url, err := ReadURL(g.dir)
	if err != nil {
		return err
	}
	g.url = url
	return nil
}

// ReadURL returns the gateway URL of the grid in dir, from the gateway's
// tahoe.cfg.
func ReadURL(dir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "gateway", "tahoe.cfg"))
	if err != nil {
		return "", fmt.Errorf("testgrid: no grid in %s: %w", dir, err)
	}
	m := webPortRE.FindSubmatch(data)
	if m == nil {
		return "", fmt.Errorf("testgrid: %s/gateway/tahoe.cfg has no web.port", dir)
	}
	return fmt.Sprintf("http://127.0.0.1:%s/", m[1]), nil
}

var webPortRE = regexp.MustCompile(`(?m)^web\.port = tcp:(\d+):`)

// StopDir stops every node of a detached grid in dir (see Options.Detached).
func StopDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		if e.IsDir() && exists(filepath.Join(dir, e.Name(), "tahoe.cfg")) {
			errs = append(errs, stopDetached(filepath.Join(dir, e.Name()), grace))
		}
	}
	return errors.Join(errs...)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func (g *Grid) newNode(name string) *node {
	return &node{name: name, dir: filepath.Join(g.dir, name), tahoe: g.opts.Tahoe, detached: g.opts.Detached}
}

// start runs the introducer, then every other node, and waits for them.
func (g *Grid) start() error {
	ctx, cancel := context.WithTimeout(context.Background(), g.opts.Timeout)
	defer cancel()
	if err := g.intro.start(); err != nil {
		return err
	}
	furlPath := filepath.Join(g.intro.dir, "private", "introducer.furl")
	var furl string
	err := g.poll(ctx, "introducer.furl", func() (bool, error) {
		data, err := os.ReadFile(furlPath)
		furl = strings.TrimSpace(string(data))
		return err == nil && strings.HasPrefix(furl, "pb://"), nil
	})
	if err != nil {
		return err
	}
	for _, n := range append(g.storage[:len(g.storage):len(g.storage)], g.gateway) {
		if err := writeIntroducers(n.dir, furl); err != nil {
			return err
		}
		if err := n.start(); err != nil {
			return err
		}
	}
	return g.waitServers(ctx)
}

// poll calls ready every 100 ms until it says true, a node process exits,
// or ctx ends.
func (g *Grid) poll(ctx context.Context, what string, ready func() (bool, error)) error {
	for {
		ok, err := ready()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if n := g.deadNode(); n != nil {
			return fmt.Errorf("testgrid: %s exited while waiting for %s; log %s:\n%s",
				n.name, what, n.logPath(), n.logTail())
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("testgrid: timed out waiting for %s (logs under %s)", what, g.dir)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (g *Grid) deadNode() *node {
	for _, n := range g.all() {
		if n != nil && n.exited() {
			return n
		}
	}
	return nil
}

func (g *Grid) all() []*node {
	return append([]*node{g.intro, g.gateway}, g.storage...)
}

// waitServers waits until the gateway answers and the storage nodes it
// sees connected are exactly the running ones.
func (g *Grid) waitServers(ctx context.Context) error {
	want := map[string]bool{}
	for _, n := range g.storage {
		if n.running() {
			want[n.name] = true
		}
	}
	return g.poll(ctx, "the gateway to see the storage nodes", func() (bool, error) {
		got, err := g.connected(ctx)
		if err != nil {
			return false, nil // not listening yet
		}
		if len(got) != len(want) {
			return false, nil
		}
		for name := range got {
			if !want[name] {
				return false, nil
			}
		}
		return true, nil
	})
}

// connected returns the nicknames of the storage servers the gateway
// reports as connected.
func (g *Grid) connected(ctx context.Context) (map[string]bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.url+"?t=json", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var st struct {
		Servers []struct {
			Nickname         string `json:"nickname"`
			ConnectionStatus string `json:"connection_status"`
		} `json:"servers"`
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("gateway: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return nil, err
	}
	got := map[string]bool{}
	for _, s := range st.Servers {
		if strings.HasPrefix(strings.ToLower(s.ConnectionStatus), "connected") {
			got[s.Nickname] = true
		}
	}
	return got, nil
}

// URL is the gateway's root URL, e.g. "http://127.0.0.1:41234/".
func (g *Grid) URL() string { return g.url }

// Dir is the directory holding the node directories.
func (g *Grid) Dir() string { return g.dir }

// StorageNodes is the number of storage nodes.
func (g *Grid) StorageNodes() int { return len(g.storage) }

// StorageDir is storage node i's storage directory; shares live under its
// shares/ subdirectory (tests delete them to exercise repair).
func (g *Grid) StorageDir(i int) string {
	return filepath.Join(g.storage[i].dir, "storage")
}

// NodeDir is storage node i's node directory.
func (g *Grid) NodeDir(i int) string { return g.storage[i].dir }

// GatewayDir is the gateway's node directory.
func (g *Grid) GatewayDir() string { return g.gateway.dir }

var errShared = errors.New("testgrid: the shared grid cannot be changed; take a grid of your own with testgrid.New")

// StopStorage stops storage node i and waits until the gateway no longer
// counts it as connected.
func (g *Grid) StopStorage(i int) error {
	if g.shared {
		return errShared
	}
	if err := g.storage[i].stop(grace); err != nil {
		return err
	}
	return g.settle()
}

// StartStorage starts storage node i again and waits until the gateway
// sees it.
func (g *Grid) StartStorage(i int) error {
	if g.shared {
		return errShared
	}
	if err := g.storage[i].start(); err != nil {
		return err
	}
	return g.settle()
}

// RestartGateway stops and starts the gateway (same URL) and waits until
// it sees the running storage nodes again.
func (g *Grid) RestartGateway() error {
	if err := g.StopGateway(); err != nil {
		return err
	}
	return g.StartGateway()
}

// StopGateway stops the gateway: its port refuses connections until
// StartGateway starts it again on the same URL and waits until it sees the
// running storage nodes.
func (g *Grid) StopGateway() error {
	if g.shared {
		return errShared
	}
	return g.gateway.stop(grace)
}

// StartGateway starts a gateway StopGateway stopped.
func (g *Grid) StartGateway() error {
	if g.shared {
		return errShared
	}
	if err := g.gateway.start(); err != nil {
		return err
	}
	return g.settle()
}

func (g *Grid) settle() error {
	ctx, cancel := context.WithTimeout(context.Background(), g.opts.Timeout)
	defer cancel()
	return g.waitServers(ctx)
}

// Tahoe runs the tahoe CLI against this grid's gateway (`tahoe -d GATEWAY
// ARGS...`) and returns its standard output.
func (g *Grid) Tahoe(args ...string) (string, error) {
	cmd := exec.Command(g.opts.Tahoe, append([]string{"-d", g.gateway.dir}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("tahoe %s: %w: %s", strings.Join(args, " "), err, firstLine(stderr.String()))
	}
	return string(out), nil
}

// Stop ends every node (in parallel); it removes the directory when Start
// made it.
func (g *Grid) Stop() error {
	var nodes []*node
	for _, n := range g.all() {
		if n != nil {
			nodes = append(nodes, n)
		}
	}
	errc := make(chan error, len(nodes))
	for _, n := range nodes {
		go func() { errc <- n.stop(grace) }()
	}
	var errs []error
	for range nodes {
		errs = append(errs, <-errc)
	}
	if g.ownDir && os.Getenv("LAFS_TESTGRID_KEEP") == "" {
		errs = append(errs, os.RemoveAll(g.dir))
	}
	return errors.Join(errs...)
}
