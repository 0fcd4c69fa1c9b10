package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// oursSite is one configuration of this tool: its own queue and entry
// cache, the tree as source, the proxy as gateway.
type oursSite struct {
	dir    string
	config string
	tree   tree
	bin    string // the binary to run; "" = the one measured (-lafs-backup)
}

func (b *bench) newOurs(name string, t tree) (*oursSite, error) {
	return b.newOursAt(name, t, b.proxy.url, "")
}

// newOursAt is newOurs with the gateway at url and extra YAML appended.
func (b *bench) newOursAt(name string, t tree, url, extra string) (*oursSite, error) {
	dir := filepath.Join(b.work, "site-"+name)
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	s := &oursSite{dir: dir, config: filepath.Join(dir, "site.yaml"), tree: t}
	cfg := fmt.Sprintf(`source:
  path: %q
  queue: {path: %q}
  entry_cache: {path: %q}
destination:
  url: %q
%s`, t.Root, filepath.Join(dir, "queue.txt"), filepath.Join(dir, "cache.sqlite"), url+"/uri", extra)
	return s, os.WriteFile(s.config, []byte(cfg), 0o600)
}

// backup runs `lafs-backup -c SITE backup ARGS...`.
func (b *bench) oursBackup(ctx context.Context, s *oursSite, args ...string) (result, error) {
	bin := b.bin
	if s.bin != "" {
		bin = s.bin
	}
	return b.measure(ctx, append([]string{bin, "-c", s.config, "backup"}, args...))
}

// newBeforeAt is newOursAt for the -before binary.
func (b *bench) newBeforeAt(name string, t tree, url, extra string) (*oursSite, error) {
	s, err := b.newOursAt(name, t, url, extra)
	if s != nil {
		s.bin = b.before
	}
	return s, err
}

// tahoeSite is a node directory for the tahoe CLI: node.url pointing at
// the proxy, its own alias and its own backupdb (private/backupdb.sqlite).
type tahoeSite struct {
	dir  string
	tree tree
}

func (b *bench) newTahoe(ctx context.Context, name string, t tree) (*tahoeSite, error) {
	dir := filepath.Join(b.work, "tahoe-"+name)
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "private"), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "node.url"), []byte(b.proxy.url+"/\n"), 0o600); err != nil {
		return nil, err
	}
	if _, err := b.measure(ctx, []string{b.tahoe, "-d", dir, "create-alias", "bench"}); err != nil {
		return nil, err
	}
	return &tahoeSite{dir: dir, tree: t}, nil
}

// tahoeBackup runs `tahoe -d SITE backup TREE bench:NAME`. Exit code 2
// means something was skipped (tahoe backup skips symlinks), not failure.
func (b *bench) tahoeBackup(ctx context.Context, s *tahoeSite) (result, error) {
	return b.measure(ctx, []string{b.tahoe, "-d", s.dir, "backup", s.tree.Root, "bench:" + filepath.Base(s.tree.Root)}, 0, 2)
}

// curlPut uploads files with `curl --parallel` PUT /uri, parallel at a
// time: the gateway's own rate for those bytes, with no backup tool in
// the way.
func (b *bench) curlPut(ctx context.Context, files []string, parallel int) (result, error) {
	cfg := filepath.Join(b.work, "curl.cfg")
	var sb strings.Builder
	for _, f := range files {
		fmt.Fprintf(&sb, "url = %q\nupload-file = %q\noutput = \"/dev/null\"\n", b.proxy.url+"/uri", f)
	}
	if err := os.WriteFile(cfg, []byte(sb.String()), 0o600); err != nil {
		return result{}, err
	}
	res, err := b.measure(ctx, []string{"curl", "-sS", "--fail", "-H", "Expect:",
		"--parallel", "--parallel-max", fmt.Sprint(parallel), "-w", `%{http_code}\n`, "-K", cfg})
	if err != nil {
		return res, err
	}
	if ok := strings.Count(res.Stdout, "200\n") + strings.Count(res.Stdout, "201\n"); ok != len(files) {
		return res, fmt.Errorf("curl: %d of %d uploads answered 200", ok, len(files))
	}
	return res, nil
}

func (t tree) absPaths() []string {
	out := make([]string, len(t.paths))
	for i, p := range t.paths {
		out[i] = filepath.Join(t.Root, p)
	}
	return out
}
