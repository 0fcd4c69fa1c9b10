// Command tahoe-grid starts and stops a Tahoe-LAFS grid on loopback for
// people and demos (the same grid the tests use: an introducer, 4 storage
// nodes, one gateway, 2-of-4 encoding, happy 3). The nodes run detached
// and keep running after this command exits.
//
//	tahoe-grid start DIR   create (first time) or restart the grid in DIR; print the gateway URL
//	tahoe-grid stop DIR    stop every node of the grid in DIR
//	tahoe-grid url DIR     print the gateway URL of the grid in DIR
//
// Tahoe comes from $LAFS_TAHOE_VENV (default REPO/.tahoe-venv); run
// scripts/tahoe-venv first, or use scripts/grid, which does.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/lafs-backup/lafs-backup/testgrid"
)

const usage = "usage: tahoe-grid start|stop|url DIR"

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "tahoe-grid:", err)
		os.Exit(1)
	}
}

func run(cmd, dir string) error {
	switch cmd {
	case "start":
		if url, err := testgrid.ReadURL(dir); err == nil && answers(url) {
			fmt.Println(url)
			return nil
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		g, err := testgrid.Start(testgrid.Options{Dir: dir, Detached: true})
		if err != nil {
			return err
		}
		fmt.Println(g.URL())
		return nil
	case "stop":
		return testgrid.StopDir(dir)
	case "url":
		url, err := testgrid.ReadURL(dir)
		if err != nil {
			return err
		}
		if !answers(url) {
			return fmt.Errorf("the gateway at %s does not answer; run: tahoe-grid start %s", url, dir)
		}
		fmt.Println(url)
		return nil
	}
	return fmt.Errorf("unknown command %q; %s", cmd, usage)
}

// answers reports whether a gateway answers at url.
func answers(url string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"?t=json", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
