package direct_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/lafs-backup/lafs-backup/chk"
	"github.com/lafs-backup/lafs-backup/direct"
	"github.com/lafs-backup/lafs-backup/internal/tahoehash"
	"github.com/lafs-backup/lafs-backup/storageapi"
	"github.com/lafs-backup/lafs-backup/tahoenode"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

// lockedBuffer collects log output from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// forms are the ways a secret could leak into text.
func forms(b []byte) []string {
	return []string{string(b), base64.StdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b),
		tahoehash.Base32(b), hex.EncodeToString(b)}
}

// TestLogsHoldNoSecrets runs every operation, failures included, with the
// noisiest log level and finds no cap, key, swissnum, convergence, lease
// or upload secret in any form in the output.
func TestLogsHoldNoSecrets(t *testing.T) {
	skipShort(t)
	g := testgrid.Shared(t)
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.Level(-12)}))
	dir := nodeDir(t, g, storageNames(g, 0, 1, 2, 3), newFake(t, "broken", 500, false), newFake(t, "impostor", 200, true))
	f := onNode(t, g, dir, direct.Options{Attempts: 2, Logger: log})
	n, err := tahoenode.Read(dir)
	must(t, err)
	ctx := context.Background()
	var caps []string
	for _, size := range []int64{1000, 2<<20 + 5, -1} {
		data := randomBytes(70_000) // of unknown size
		if size >= 0 {
			data = randomBytes(size)
		}
		c, err := f.d.PutFile(ctx, (&opener{data: data}).open, size)
		must(t, err)
		caps = append(caps, c)
	}
	d, err := f.d.Mkdir(ctx, map[string]direct.Child{"a": {Cap: caps[0]}, "b": {Cap: caps[1]}})
	must(t, err)
	caps = append(caps, d)
	for _, c := range caps {
		if _, err := f.d.Renew(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	text := logs.b.String()
	if !strings.Contains(text, "level=DEBUG") || !strings.Contains(text, "broken") {
		t.Fatalf("the logs lack the debug lines and the broken server's warning:\n%s", text)
	}
	var secrets [][]byte
	secrets = append(secrets, n.Convergence.Bytes(), n.LeaseSecret.Bytes())
	for _, s := range n.Servers {
		secrets = append(secrets, s.NURLs[0].Swissnum().Bytes())
	}
	for _, c := range caps {
		capv, _, err := chk.ParseURI(c)
		must(t, err)
		si := storageapi.StorageIndex(capv.StorageIndex())
		secrets = append(secrets, []byte(c), capv.Key[:])
		for _, s := range n.Servers {
			l := n.LeaseSecrets(si, s)
			secrets = append(secrets, n.UploadSecret(si, s).Bytes(), l.Renew.Bytes(), l.Cancel.Bytes())
		}
	}
	for i, s := range secrets {
		for _, form := range forms(s) {
			if strings.Contains(text, form) {
				t.Fatalf("secret %d appears in the logs as %q", i, form)
			}
		}
	}
}
