package testgrid

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// The files `tahoe create-*` would write, written directly: tahoe.cfg, the
// node-type marker `tahoe-<type>.tac` that `tahoe run` looks for, and
// private/introducers.yaml. Doing it here saves a Python start-up per node.

const tacText = "# written by lafs-backup testgrid; 'tahoe run' only checks that it exists\nimport sys\nsys.exit(1)\n"

type nodeKind int

const (
	kindIntroducer nodeKind = iota
	kindStorage
	kindGateway
)

// nodeConfig is what one node's tahoe.cfg says.
type nodeConfig struct {
	kind     nodeKind
	nickname string
	tubPort  int // introducer and storage nodes
	webPort  int // gateway only
	needed   int
	happy    int
	total    int
}

func (c nodeConfig) text() string {
	var b strings.Builder
	b.WriteString("# written by lafs-backup testgrid\n[node]\n")
	fmt.Fprintf(&b, "nickname = %s\n", c.nickname)
	b.WriteString("reveal-IP-address = true\n")
	if c.kind == kindGateway {
		fmt.Fprintf(&b, "web.port = tcp:%d:interface=127.0.0.1\n", c.webPort)
		b.WriteString("tub.port = disabled\ntub.location = disabled\n")
	} else {
		b.WriteString("web.port =\n")
		fmt.Fprintf(&b, "tub.port = tcp:%d:interface=127.0.0.1\n", c.tubPort)
		fmt.Fprintf(&b, "tub.location = tcp:127.0.0.1:%d\n", c.tubPort)
	}
	if c.kind == kindIntroducer {
		return b.String()
	}
	fmt.Fprintf(&b, "\n[client]\nshares.needed = %d\nshares.happy = %d\nshares.total = %d\n",
		c.needed, c.happy, c.total)
	if c.kind == kindStorage {
		b.WriteString("\n[storage]\nenabled = true\nreserved_space = 0\n")
	} else {
		b.WriteString("\n[storage]\nenabled = false\n")
	}
	return b.String()
}

// writeNode creates dir with tahoe.cfg, the .tac marker and private/.
func writeNode(dir string, c nodeConfig) error {
	if err := os.MkdirAll(filepath.Join(dir, "private"), 0o700); err != nil {
		return err
	}
	tac := "tahoe-client.tac"
	if c.kind == kindIntroducer {
		tac = "tahoe-introducer.tac"
	}
	if err := os.WriteFile(filepath.Join(dir, tac), []byte(tacText), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "tahoe.cfg"), []byte(c.text()), 0o644)
}

// writeIntroducers points a client or storage node at the introducer.
func writeIntroducers(dir, furl string) error {
	text := fmt.Sprintf("introducers:\n  default:\n    furl: %s\n", furl)
	return os.WriteFile(filepath.Join(dir, "private", "introducers.yaml"), []byte(text), 0o600)
}

// pickPorts is freePorts; a test replaces it to hand out a taken port.
var pickPorts = freePorts

// freePorts returns n distinct free TCP ports on 127.0.0.1. All listeners
// are held until every port is chosen, so the n are distinct.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
