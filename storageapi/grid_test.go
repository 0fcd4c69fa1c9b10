package storageapi_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/storageapi"
	"github.com/lafs-backup/lafs-backup/tahoenode"
	"github.com/lafs-backup/lafs-backup/testgrid"
)

func TestMain(m *testing.M) { testgrid.Main(m) }

// server is one real storage node of the shared grid and a client for it.
type server struct {
	g    *testgrid.Grid
	info tahoenode.Server
	c    *storageapi.Client
	node int // its index in the grid
}

// gridServers reads the gateway's node directory and returns a client for
// every storage node, in the grid's node order.
func gridServers(t *testing.T, opts storageapi.Options) []server {
	t.Helper()
	if testing.Short() {
		t.Skip("real grid: skipped with -short")
	}
	g := testgrid.Shared(t)
	node, err := tahoenode.Read(g.GatewayDir())
	if err != nil {
		t.Fatal(err)
	}
	var out []server
	for i := range g.StorageNodes() {
		nick := filepath.Base(g.NodeDir(i))
		for _, s := range node.Servers {
			if s.Nickname != nick {
				continue
			}
			o := opts
			o.Name = s.Name()
			c, err := storageapi.New(s.NURLs[0], o)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			out = append(out, server{g, s, c, i})
		}
	}
	if len(out) != g.StorageNodes() {
		t.Fatalf("found %d of the %d storage nodes in the announcements", len(out), g.StorageNodes())
	}
	return out
}

func randomSI(t *testing.T) storageapi.StorageIndex {
	var si storageapi.StorageIndex
	rand.Read(si[:])
	return si
}

func randomSecret(t *testing.T) storageapi.Secret {
	b := make([]byte, 32)
	rand.Read(b)
	return storageapi.NewSecret(b)
}

func randomLease(t *testing.T) storageapi.LeaseSecrets {
	return storageapi.LeaseSecrets{Renew: randomSecret(t), Cancel: randomSecret(t)}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func TestVersionOfARealServer(t *testing.T) {
	s := gridServers(t, storageapi.Options{})[0]
	v, err := s.c.Version(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v.Application, "tahoe-lafs/1.20") {
		t.Errorf("application version %q", v.Application)
	}
	if v.MaxImmutableShareSize < 1<<32 || v.AvailableSpace == 0 {
		t.Errorf("limits %+v", v)
	}
}

// TestShareWriterSend mixes Write (buffered) and Send (the caller's
// buffer, sent at once in chunks): the bytes land in order and the share
// is complete.
func TestShareWriterSend(t *testing.T) {
	s := gridServers(t, storageapi.Options{ChunkSize: 1000})[0]
	ctx := t.Context()
	si, lease, up := randomSI(t), randomLease(t), randomSecret(t)
	data := randomBytes(3100)
	if _, err := s.c.Allocate(ctx, si, []int{0}, int64(len(data)), lease, up); err != nil {
		t.Fatal(err)
	}
	w := s.c.NewShareWriter(ctx, si, 0, up)
	if _, err := w.Write(data[:10]); err != nil {
		t.Fatal(err)
	}
	buf := slices.Clone(data[10:2500])
	if err := w.Send(buf); err != nil {
		t.Fatal(err)
	}
	clear(buf) // Send is done with it
	if w.Written() != 2500 {
		t.Errorf("written after Send: %d, want 2500", w.Written())
	}
	if _, err := w.Write(data[2500:]); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := s.c.ReadShare(ctx, si, 0, 0, 1<<20)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes (%v), want the %d written", len(got), err, len(data))
	}
}

func TestAllocateWriteListReadBack(t *testing.T) {
	s := gridServers(t, storageapi.Options{ChunkSize: 1000})[0]
	ctx := t.Context()
	si, lease, up := randomSI(t), randomLease(t), randomSecret(t)
	shares := [][]byte{randomBytes(2500), randomBytes(999)}
	size := int64(len(shares[0]))
	a, err := s.c.Allocate(ctx, si, []int{0, 1}, size, lease, up)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(a.Allocated) != "[0 1]" || len(a.AlreadyHave)+len(a.Busy) != 0 {
		t.Fatalf("fresh allocation: %+v", a)
	}
	// Share 0 in three PATCHes (chunks of 1000), share 1 through a writer
	// fed in odd pieces; share 1 is shorter than its allocation, so it
	// must not count as complete.
	if err := s.c.WriteShare(ctx, si, 0, up, shares[0]); err != nil {
		t.Fatal(err)
	}
	w := s.c.NewShareWriter(ctx, si, 1, up)
	for _, p := range [][]byte{shares[1][:10], shares[1][10:]} {
		if _, err := w.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), "incomplete after 999 bytes") {
		t.Fatalf("short share: %v", err)
	}
	have, err := s.c.ListShares(ctx, si)
	if err != nil || fmt.Sprint(have) != "[0]" {
		t.Fatalf("list = %v, %v; want [0] (share 1 is still in progress)", have, err)
	}
	got, err := s.c.ReadShare(ctx, si, 0, 0, 1<<20)
	if err != nil || !bytes.Equal(got, shares[0]) {
		t.Fatalf("read back %d bytes (%v), want the %d written", len(got), err, len(shares[0]))
	}
	got, err = s.c.ReadShare(ctx, si, 0, 2400, 1000)
	if err != nil || !bytes.Equal(got, shares[0][2400:]) {
		t.Errorf("read of the last 100 bytes: %d bytes, %v", len(got), err)
	}
	if got, err = s.c.ReadShare(ctx, si, 0, size, 10); err != nil || len(got) != 0 {
		t.Errorf("read past the end: %d bytes, %v", len(got), err)
	}
	if _, err := s.c.ReadShare(ctx, si, 1, 0, 10); !errors.Is(err, storageapi.ErrNotFound) {
		t.Errorf("read of an incomplete share: %v, want not found", err)
	}
	// A second allocation reports the complete share and, as "busy", the
	// one in progress; the lease secrets need not match.
	a, err = s.c.Allocate(ctx, si, []int{0, 1, 2}, size, randomLease(t), randomSecret(t))
	if err != nil || fmt.Sprint(a.AlreadyHave, a.Allocated, a.Busy) != "[0] [2] [1]" {
		t.Fatalf("second allocation: %+v, %v", a, err)
	}
}

func TestAbort(t *testing.T) {
	s := gridServers(t, storageapi.Options{})[0]
	ctx := t.Context()
	si, lease, up := randomSI(t), randomLease(t), randomSecret(t)
	data := randomBytes(300)
	if _, err := s.c.Allocate(ctx, si, []int{3, 4}, int64(len(data)), lease, up); err != nil {
		t.Fatal(err)
	}
	if _, err := s.c.WriteChunk(ctx, si, 3, up, 0, data[:100]); err != nil {
		t.Fatal(err)
	}
	if err := s.c.WriteShare(ctx, si, 4, up, data); err != nil {
		t.Fatal(err)
	}
	if err := s.c.Abort(ctx, si, 3, up); err != nil {
		t.Fatal(err)
	}
	if err := s.c.Abort(ctx, si, 4, up); !errors.Is(err, storageapi.ErrNotAllowed) {
		t.Errorf("abort of a complete share: %v, want not allowed", err)
	}
	if err := s.c.Abort(ctx, si, 5, up); !errors.Is(err, storageapi.ErrNotFound) {
		t.Errorf("abort of a share never allocated: %v, want not found", err)
	}
	if _, err := s.c.WriteChunk(ctx, si, 3, up, 100, data[100:]); !errors.Is(err, storageapi.ErrNotFound) {
		t.Errorf("write after abort: %v, want not found", err)
	}
	// The aborted share is gone: it can be allocated afresh, with any
	// secret, and completed.
	up2 := randomSecret(t)
	a, err := s.c.Allocate(ctx, si, []int{3}, int64(len(data)), lease, up2)
	if err != nil || fmt.Sprint(a.Allocated) != "[3]" {
		t.Fatalf("allocation after abort: %+v, %v", a, err)
	}
	if err := s.c.WriteShare(ctx, si, 3, up2, data); err != nil {
		t.Fatal(err)
	}
	if have, _ := s.c.ListShares(ctx, si); fmt.Sprint(have) != "[3 4]" {
		t.Errorf("list = %v", have)
	}
}

// What crash recovery relies on (docs/storage-protocol.md): a second
// process with the same upload secret can finish a half-written share by
// writing it again from the start, or abort it; any other secret can do
// neither.
func TestResumeWithTheSameUploadSecret(t *testing.T) {
	servers := gridServers(t, storageapi.Options{ChunkSize: 4096})
	s := servers[1]
	ctx := t.Context()
	si, lease, up := randomSI(t), randomLease(t), randomSecret(t)
	data := randomBytes(10000)
	if _, err := s.c.Allocate(ctx, si, []int{0}, int64(len(data)), lease, up); err != nil {
		t.Fatal(err)
	}
	if _, err := s.c.WriteChunk(ctx, si, 0, up, 0, data[:6000]); err != nil {
		t.Fatal(err)
	}
	// "kill -9": a new client, as a new process would make.
	again, err := storageapi.New(s.info.NURLs[0], storageapi.Options{Name: "again", ChunkSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	a, err := again.Allocate(ctx, si, []int{0}, int64(len(data)), lease, up)
	if err != nil || fmt.Sprint(a.Busy) != "[0]" || len(a.Allocated) != 0 {
		t.Fatalf("allocation of a share in progress: %+v, %v; want it busy", a, err)
	}
	if err := again.WriteShare(ctx, si, 0, up, data); err != nil {
		t.Fatalf("resume by writing the share again: %v", err)
	}
	got, err := again.ReadShare(ctx, si, 0, 0, 1<<20)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("resumed share reads back %d bytes, %v", len(got), err)
	}
}

func TestAnotherUploadSecretCannotTouchTheUpload(t *testing.T) {
	s := gridServers(t, storageapi.Options{})[2]
	ctx := t.Context()
	si, lease, mine, theirs := randomSI(t), randomLease(t), randomSecret(t), randomSecret(t)
	data := randomBytes(500)
	if _, err := s.c.Allocate(ctx, si, []int{1}, int64(len(data)), lease, mine); err != nil {
		t.Fatal(err)
	}
	if _, err := s.c.WriteChunk(ctx, si, 1, mine, 0, data[:200]); err != nil {
		t.Fatal(err)
	}
	a, err := s.c.Allocate(ctx, si, []int{1}, int64(len(data)), lease, theirs)
	if err != nil || fmt.Sprint(a.Busy) != "[1]" {
		t.Fatalf("allocation with another secret: %+v, %v", a, err)
	}
	if _, err := s.c.WriteChunk(ctx, si, 1, theirs, 200, data[200:]); !errors.Is(err, storageapi.ErrUnauthorized) {
		t.Errorf("write with another secret: %v, want unauthorized", err)
	}
	if err := s.c.Abort(ctx, si, 1, theirs); !errors.Is(err, storageapi.ErrUnauthorized) {
		t.Errorf("abort with another secret: %v, want unauthorized", err)
	}
	// Different bytes where some were written: conflict, even with the
	// right secret.
	bad := bytes.Clone(data[:200])
	bad[7] ^= 1
	if _, err := s.c.WriteChunk(ctx, si, 1, mine, 0, bad); !errors.Is(err, storageapi.ErrConflict) {
		t.Errorf("write of other bytes: %v, want conflict", err)
	}
	if err := s.c.Abort(ctx, si, 1, mine); err != nil {
		t.Fatalf("abort with the upload's secret: %v", err)
	}
	a, err = s.c.Allocate(ctx, si, []int{1}, int64(len(data)), lease, theirs)
	if err != nil || fmt.Sprint(a.Allocated) != "[1]" {
		t.Errorf("allocation after the abort: %+v, %v", a, err)
	}
}

// leases is the expiry of each lease of a share.
func leases(t *testing.T, s server, si storageapi.StorageIndex, shnum int) []time.Time {
	t.Helper()
	l, err := s.g.Leases(s.g.SharePath(s.node, si.String(), shnum))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestAddLease(t *testing.T) {
	s := gridServers(t, storageapi.Options{})[3]
	ctx := t.Context()
	si, lease, up := randomSI(t), randomLease(t), randomSecret(t)
	if _, err := s.c.Allocate(ctx, si, []int{0}, 64, lease, up); err != nil {
		t.Fatal(err)
	}
	if err := s.c.WriteShare(ctx, si, 0, up, randomBytes(64)); err != nil {
		t.Fatal(err)
	}
	month := time.Now().Add(31*24*time.Hour - time.Minute)
	if l := leases(t, s, si, 0); len(l) != 1 || l[0].Before(month) {
		t.Fatalf("after upload: leases %v, want one of 31 days", l)
	}
	// Renewing with the same secrets renews that lease; other secrets add
	// a second one.
	if err := s.c.AddLease(ctx, si, lease); err != nil {
		t.Fatal(err)
	}
	if l := leases(t, s, si, 0); len(l) != 1 || l[0].Before(month) {
		t.Errorf("after renewal with the same secrets: leases %v, want one", l)
	}
	if err := s.c.AddLease(ctx, si, randomLease(t)); err != nil {
		t.Fatal(err)
	}
	if l := leases(t, s, si, 0); len(l) != 2 {
		t.Errorf("after a lease with other secrets: leases %v, want two", l)
	}
	if err := s.c.AddLease(ctx, randomSI(t), lease); !errors.Is(err, storageapi.ErrNotFound) {
		t.Errorf("lease on a storage index without shares: %v, want not found", err)
	}
}

// A wrong swissnum gets the real server's 401; a NURL that pins another
// server's key is refused before any request, naming the server but not
// the swissnum.
func TestRealServerRefusals(t *testing.T) {
	servers := gridServers(t, storageapi.Options{})
	real := servers[0].info.NURLs[0]
	other := servers[1].info.NURLs[0]
	hash := func(n storageapi.NURL) string { h := n.SPKIHash(); return b64(h[:]) }
	swiss := string(real.Swissnum().Bytes())

	wrongSwiss := mustNURL(t, fmt.Sprintf("pb://%s@%s/%s#v=1", hash(real), real.Host(), "aaaabbbbccccddddeeeeffffgggghhhh"))
	c := mustClient(t, wrongSwiss, storageapi.Options{Name: "storage0"})
	_, err := c.Version(t.Context())
	var e *storageapi.Error
	if !errors.As(err, &e) || e.Status != 401 || e.Attempts != 1 || !errors.Is(err, storageapi.ErrUnauthorized) {
		t.Errorf("wrong swissnum: %v, want a final 401", err)
	}

	wrongKey := mustNURL(t, fmt.Sprintf("pb://%s@%s/%s#v=1", hash(other), real.Host(), swiss))
	c = mustClient(t, wrongKey, storageapi.Options{Name: "storage0 (127.0.0.1)", Attempts: 3})
	_, err = c.Version(t.Context())
	if !errors.Is(err, storageapi.ErrWrongCertificate) || !errors.As(err, &e) || e.Attempts != 1 {
		t.Fatalf("wrong key: %v, want a final certificate error", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "storage0 (127.0.0.1)") || !strings.Contains(msg, hash(real)) || strings.Contains(msg, swiss) {
		t.Errorf("certificate error %q: want the server's name and key hash, not the swissnum", msg)
	}
}

func mustNURL(t *testing.T, s string) storageapi.NURL {
	t.Helper()
	n, err := storageapi.ParseNURL(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func mustClient(t *testing.T, n storageapi.NURL, o storageapi.Options) *storageapi.Client {
	t.Helper()
	if o.BaseDelay == 0 {
		o.BaseDelay, o.MaxDelay = time.Millisecond, 10*time.Millisecond
	}
	c, err := storageapi.New(n, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}
