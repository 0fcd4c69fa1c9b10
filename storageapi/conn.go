package storageapi

import (
	"net"
	"sync/atomic"
	"time"
)

// idleConn fails a connection on which no byte has moved, in either
// direction, for idle: every Read and Write pushes both deadlines back.
// Since the transport's reader is blocked in Read while a request body is
// being written, writes must extend the read deadline too. The deadline is
// moved at most every idle/16, which keeps the cost of a small read low.
type idleConn struct {
	net.Conn
	idle time.Duration
	last atomic.Int64 // unix nanoseconds of the last deadline push
}

func newIdleConn(c net.Conn, idle time.Duration) *idleConn {
	ic := &idleConn{Conn: c, idle: idle}
	ic.push(true)
	return ic
}

func (c *idleConn) push(force bool) {
	now := time.Now()
	if !force && now.UnixNano()-c.last.Load() < int64(c.idle/16) {
		return
	}
	c.last.Store(now.UnixNano())
	c.Conn.SetDeadline(now.Add(c.idle))
}

func (c *idleConn) Read(p []byte) (int, error) {
	c.push(false)
	return c.moved(c.Conn.Read(p))
}

func (c *idleConn) Write(p []byte) (int, error) {
	c.push(false)
	return c.moved(c.Conn.Write(p))
}

// moved pushes the deadline again after bytes moved.
func (c *idleConn) moved(n int, err error) (int, error) {
	if n > 0 {
		c.push(false)
	}
	return n, err
}
