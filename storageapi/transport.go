package storageapi

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// transport is the http.RoundTripper of a Client: HTTP/1.1 over TLS to
// one server, keeping connections alive, that writes each request and
// reads its answer in the caller's goroutine. net/http's Transport hands
// every request to two goroutines of its connection and back, about four
// goroutine wake-ups per request; at eight requests per small object that
// was a third of the client's CPU (docs/storage-protocol.md,
// Connections).
type transport struct {
	addr      string
	dialer    *net.Dialer
	tls       *tls.Config
	idle      time.Duration // the idle deadline of every connection; < 0 none
	maxIdle   int           // pooled connections at most
	keepIdle  time.Duration // a pooled connection older than this is closed
	checkIdle time.Duration // a pooled connection idle longer is checked before use

	mu   sync.Mutex
	pool []*pconn // the most recently used last
}

// pconn is one connection: TLS over TCP, with its buffers.
type pconn struct {
	tcp  net.Conn // closing it ends any read or write on the connection at once
	conn *tls.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	used time.Time // when it went back to the pool
}

func newTransport(n NURL, idle time.Duration, conc int) *transport {
	dialTimeout := max(idle, 0)
	keep := 90 * time.Second
	if idle > 0 {
		keep = min(keep, idle/2) // close pooled connections before their idle deadline would
	}
	return &transport{
		addr:      n.host,
		dialer:    &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second},
		tls:       pinnedTLS(n),
		idle:      idle,
		maxIdle:   max(16, conc),
		keepIdle:  keep,
		checkIdle: time.Second,
	}
}

// RoundTrip sends req on a pooled or new connection and returns the
// answer; its body gives the connection back to the pool when read to
// the end and closed. Cancelling req's context closes the connection.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	pc, err := t.get(ctx)
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { pc.tcp.Close() })
	resp, err := pc.roundTrip(req)
	if err != nil {
		stop()
		pc.close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	resp.Body = &body{ReadCloser: resp.Body, t: t, pc: pc, stop: stop, reuse: !resp.Close && !req.Close}
	return resp, nil
}

func (pc *pconn) roundTrip(req *http.Request) (*http.Response, error) {
	if err := req.Write(pc.bw); err != nil { // closes req.Body
		return nil, err
	}
	if err := pc.bw.Flush(); err != nil {
		return nil, err
	}
	return http.ReadResponse(pc.br, req)
}

func (pc *pconn) close() { pc.tcp.Close() }

// get takes the most recently used live connection from the pool, or
// dials a new one.
func (t *transport) get(ctx context.Context) (*pconn, error) {
	for {
		t.mu.Lock()
		if len(t.pool) == 0 {
			t.mu.Unlock()
			return t.dial(ctx)
		}
		pc := t.pool[len(t.pool)-1]
		t.pool = t.pool[:len(t.pool)-1]
		t.mu.Unlock()
		idle := time.Since(pc.used)
		if idle <= t.keepIdle && (idle <= t.checkIdle || pc.alive()) {
			return pc, nil
		}
		pc.close()
	}
}

// put gives a connection whose answer was read to the end back to the
// pool.
func (t *transport) put(pc *pconn) {
	pc.used = time.Now()
	t.mu.Lock()
	if len(t.pool) < t.maxIdle {
		t.pool = append(t.pool, pc)
		pc = nil
	}
	t.mu.Unlock()
	if pc != nil {
		pc.close()
	}
}

// CloseIdleConnections closes the pooled connections (http.Client's
// CloseIdleConnections calls it).
func (t *transport) CloseIdleConnections() {
	t.mu.Lock()
	pool := t.pool
	t.pool = nil
	t.mu.Unlock()
	for _, pc := range pool {
		pc.close()
	}
}

// dial connects, with the idle deadline on the connection and the TLS
// key pin.
func (t *transport) dial(ctx context.Context) (*pconn, error) {
	tcp, err := t.dialer.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, err
	}
	var nc net.Conn = tcp
	if t.idle > 0 {
		nc = newIdleConn(tcp, t.idle)
	}
	conn := tls.Client(nc, t.tls)
	if err := conn.HandshakeContext(ctx); err != nil {
		tcp.Close()
		return nil, err
	}
	return &pconn{tcp: tcp, conn: conn, br: bufio.NewReaderSize(conn, 4<<10), bw: bufio.NewWriterSize(conn, writeBufferSize)}, nil
}

// writeBufferSize: a small share's PATCH, headers and body, leaves in one
// write, and so one TLS record and one loopback segment.
const writeBufferSize = 32 << 10

// alive says whether a connection that sat in the pool is still open: no
// byte waits on it (the server sends none unasked) and the server has not
// closed it. One non-blocking peek at the socket.
func (pc *pconn) alive() bool {
	if pc.br.Buffered() > 0 {
		return false
	}
	sc, ok := pc.tcp.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	live := false
	err = rc.Read(func(fd uintptr) bool {
		var b [1]byte
		_, _, rerr := unix.Recvfrom(int(fd), b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		live = errors.Is(rerr, unix.EAGAIN)
		return true
	})
	return err == nil && live
}

// body is an answer's body: closing it after reading it to the end gives
// its connection back to the pool; otherwise the connection is closed.
type body struct {
	io.ReadCloser
	t     *transport
	pc    *pconn
	stop  func() bool // stops the cancellation; false if it already ran
	reuse bool        // neither side asked to close the connection
	eof   bool
	done  bool
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

// Close does not read what is left (net/http's body would): a body not
// read to the end costs its connection, not the time to drain it.
func (b *body) Close() error {
	if b.done {
		return nil
	}
	b.done = true
	cancelled := !b.stop()
	if b.eof && b.reuse && !cancelled {
		b.t.put(b.pc)
		return nil
	}
	b.pc.close()
	return nil
}
