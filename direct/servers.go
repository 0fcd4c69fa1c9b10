package direct

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/lafs-backup/lafs-backup/storageapi"
	"github.com/lafs-backup/lafs-backup/tahoenode"
)

// serverState is what we know of a server's availability.
type serverState int

const (
	stateUnknown serverState = iota // not asked yet
	stateUp                         // answered its last request
	stateDown                       // unreachable or failing: left alone for DownFor
	stateRefused                    // wrong certificate: never used in this run
)

// server is one storage server and what this run knows of it.
type server struct {
	info tahoenode.Server
	idx  int // in Client.servers
	c    *storageapi.Client
	cl   *Client

	mu      sync.Mutex
	state   serverState
	problem error     // why it is down or refused
	since   time.Time // when it went down
	probing bool      // a probe is running
	space   uint64    // available-space at the last version answer
	maxSize uint64    // maximum-immutable-share-size
}

func newServer(s tahoenode.Server, idx int, cl *Client) (*server, error) {
	srv := &server{info: s, idx: idx, cl: cl}
	c, err := storageapi.New(s.NURLs[0], cl.storageOptions(s, srv.retry))
	if err != nil {
		return nil, err
	}
	srv.c = c
	return srv, nil
}

func (s *server) name() string { return s.info.Name() }

// retry is the storage client's Retry hook: a refused connection marks
// the server down at once (its retries would only wait), a version
// request is a probe and never retried, and no request to a server found
// down meanwhile waits for its next attempt.
func (s *server) retry(e *storageapi.Error) bool {
	if storageapi.IsUnreachable(e) {
		s.markDown(e)
		return false
	}
	return e.Op != "version" && !s.down()
}

// probe asks for the server's version, once.
func (s *server) probe(ctx context.Context) {
	v, err := s.c.Version(ctx)
	if ctx.Err() != nil {
		s.mu.Lock()
		s.probing = false
		s.mu.Unlock()
		return
	}
	if err != nil {
		s.failed(err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.probing = false
	if s.state == stateDown {
		s.cl.log.Warn("direct: storage server reachable again", "server", s.name())
	}
	s.state, s.problem = stateUp, nil
	s.space, s.maxSize = v.AvailableSpace, v.MaxImmutableShareSize
}

// failed records a request's final failure: a refused certificate for
// good, a server that cannot be reached or keeps failing (what was
// retried until the attempts ran out) for DownFor. Other errors (a 4xx)
// say nothing about the server.
func (s *server) failed(err error) {
	switch {
	case errors.Is(err, storageapi.ErrWrongCertificate):
		s.mu.Lock()
		defer s.mu.Unlock()
		s.probing = false
		if s.state != stateRefused {
			s.cl.log.Error("direct: storage server refused", "server", s.name(), "err", err)
		}
		s.state, s.problem = stateRefused, err
	case storageapi.IsRetryable(err) || storageapi.IsUnreachable(err):
		s.markDown(err)
	default:
		s.mu.Lock()
		s.probing = false
		s.mu.Unlock()
	}
}

func (s *server) markDown(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.probing = false
	if s.state == stateRefused {
		return
	}
	if s.state != stateDown {
		s.cl.log.Warn("direct: storage server unusable", "server", s.name(), "err", err, "for", s.cl.opts.DownFor)
	}
	s.state, s.problem, s.since = stateDown, err, time.Now()
}

func (s *server) up() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state == stateUp
}

func (s *server) down() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state == stateDown || s.state == stateRefused
}

// usable reports whether shares may be placed here now. A server down for
// longer than DownFor is probed again in the background (again = force:
// at once, for a caller that has too few servers otherwise).
func (s *server) usable(force bool) (ok bool, probe bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.state {
	case stateUp:
		return true, false
	case stateDown, stateUnknown:
		if !s.probing && (force || time.Since(s.since) >= s.cl.opts.DownFor) {
			s.probing = true
			return false, true
		}
	}
	return false, false
}

// available is usable(false), starting the background probe it asks for.
func (s *server) available(ctx context.Context) bool {
	ok, probe := s.usable(false)
	if probe {
		go s.probe(context.WithoutCancel(ctx))
	}
	return ok
}

// fits reports whether a share of size bytes is worth asking for.
func (s *server) fits(size int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return (s.maxSize == 0 || uint64(size) <= s.maxSize) && uint64(size) <= s.space
}

// took lowers the known free space by what an allocation took.
func (s *server) took(size int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.space -= min(s.space, uint64(size))
}

// why is the reason a server is not used, for messages.
func (s *server) why(size int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.state == stateUp && s.maxSize != 0 && uint64(size) > s.maxSize:
		return "share larger than its maximum-immutable-share-size"
	case s.state == stateUp && uint64(size) > s.space:
		return "full or read-only (available-space too small)"
	case s.problem != nil:
		return s.problem.Error()
	}
	return "not asked"
}

// candidates are the servers to place shares of si on, in the order of
// its permuted ring: up and with room for a share of size bytes. When
// fewer than shares.happy are up, the servers that are down are asked
// again first.
func (c *Client) candidates(ctx context.Context, si storageapi.StorageIndex, size int64) []*server {
	ring := c.ring(si)
	pick := func(force bool) (out []*server, probes []*server) {
		for _, s := range ring {
			ok, probe := s.usable(force)
			if probe {
				probes = append(probes, s)
			}
			if ok && s.fits(size) {
				out = append(out, s)
			}
		}
		return out, probes
	}
	out, probes := pick(false)
	if len(out) < c.node.Happy {
		var wg sync.WaitGroup
		for _, s := range probes {
			wg.Go(func() { s.probe(ctx) })
		}
		_, more := pick(true)
		for _, s := range more {
			wg.Go(func() { s.probe(ctx) })
		}
		wg.Wait()
		out, _ = pick(false)
		return out
	}
	for _, s := range probes {
		go s.probe(context.WithoutCancel(ctx))
	}
	return out
}

// ring is every server in the permuted order of si.
func (c *Client) ring(si storageapi.StorageIndex) []*server {
	perm := c.node.Permuted(si)
	out := make([]*server, 0, len(perm))
	for _, p := range perm {
		out = append(out, c.byID[p.ID])
	}
	return out
}
