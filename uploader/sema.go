package uploader

import (
	"container/list"
	"context"
	"sync"
)

// weighted is a FIFO weighted semaphore (the shape of
// golang.org/x/sync/semaphore, which the module does not depend on). It
// bounds the estimated memory of concurrent xz writers.
type weighted struct {
	mu      sync.Mutex
	size    int64
	cur     int64
	waiters list.List // of *waiter
}

type waiter struct {
	n     int64
	ready chan struct{}
}

func newWeighted(size int64) *weighted { return &weighted{size: size} }

// acquire takes n (clamped to the size, so one oversized request still
// runs, alone) and returns how much was taken, for release.
func (s *weighted) acquire(ctx context.Context, n int64) (int64, error) {
	if n > s.size {
		n = s.size
	}
	s.mu.Lock()
	if s.size-s.cur >= n && s.waiters.Len() == 0 {
		s.cur += n
		s.mu.Unlock()
		return n, nil
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	elem := s.waiters.PushBack(w)
	s.mu.Unlock()
	select {
	case <-w.ready:
		return n, nil
	case <-ctx.Done():
		s.mu.Lock()
		select {
		case <-w.ready: // granted meanwhile: give it back
			s.cur -= n
			s.notify()
		default:
			s.waiters.Remove(elem)
			s.notify()
		}
		s.mu.Unlock()
		return 0, ctx.Err()
	}
}

func (s *weighted) release(n int64) {
	s.mu.Lock()
	s.cur -= n
	s.notify()
	s.mu.Unlock()
}

// notify grants waiters in order while they fit. s.mu is held.
func (s *weighted) notify() {
	for {
		next := s.waiters.Front()
		if next == nil {
			return
		}
		w := next.Value.(*waiter)
		if s.size-s.cur < w.n {
			return
		}
		s.cur += w.n
		s.waiters.Remove(next)
		close(w.ready)
	}
}
