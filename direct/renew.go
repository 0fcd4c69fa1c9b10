package direct

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/lafs-backup/lafs-backup/chk"
	"github.com/lafs-backup/lafs-backup/storageapi"
)

// Health is what the storage servers say of one object's shares, judged
// as the gateway's checker judges them (immutable/checker.py).
type Health struct {
	Shares      int  // distinct shares found
	Needed      int  // k of the cap
	Total       int  // n of the cap
	Happiness   int  // servers-of-happiness of the shares found
	Hosts       int  // servers holding at least one share
	Answered    int  // servers that answered
	Unreachable int  // servers that did not
	Renewed     int  // servers whose leases on the object were renewed
	Healthy     bool // every share found (Shares == Total)
	Recoverable bool // enough shares to read it (Shares >= Needed)
}

// Summary is the gateway's summary line for these findings.
func (h Health) Summary() string {
	if h.Healthy {
		return "Healthy"
	}
	return fmt.Sprintf("Not Healthy: %d shares (enc %d-of-%d)", h.Shares, h.Needed, h.Total)
}

// ErrNoAnswer: no storage server answered, so there is no verdict.
var ErrNoAnswer = errors.New("direct: no storage server answered")

// Renew renews the leases of an object on every server that holds its
// shares, with the renew and cancel secrets the node's gateway uses (so
// the lease is the gateway's own, not a second one), and reports its
// health. It is Check with addLease.
func (c *Client) Renew(ctx context.Context, capStr string) (Health, error) {
	return c.Check(ctx, capStr, true)
}

// Check asks every server which shares of the object it holds (and with
// addLease renews its lease there), all servers at once, as the gateway's
// t=check does without verify. capStr is a URI:CHK: or URI:DIR2-CHK: cap;
// a LIT cap is healthy with no request.
func (c *Client) Check(ctx context.Context, capStr string, addLease bool) (Health, error) {
	if strings.HasPrefix(capStr, "URI:LIT:") || strings.HasPrefix(capStr, "URI:DIR2-LIT:") {
		return Health{Healthy: true, Recoverable: true}, nil
	}
	capv, _, err := chk.ParseURI(capStr)
	if err != nil {
		return Health{}, fmt.Errorf("direct: %w", err)
	}
	if err := c.start(ctx); err != nil {
		return Health{}, err
	}
	si := storageapi.StorageIndex(capv.StorageIndex())
	h := Health{Needed: capv.Needed, Total: capv.Total}
	found := map[int][]*server{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var problems []string
	for _, s := range c.servers {
		if !s.available(ctx) {
			h.Unreachable++
			problems = append(problems, s.name()+": "+s.why(0))
			continue
		}
		wg.Go(func() {
			shares, renewed, err := c.checkServer(ctx, s, si, addLease)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				h.Unreachable++
				problems = append(problems, err.Error())
				return
			}
			h.Answered++
			if renewed {
				h.Renewed++
			}
			if len(shares) > 0 {
				h.Hosts++
			}
			for _, sh := range shares {
				found[sh] = append(found[sh], s)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Health{}, err
	}
	if h.Answered == 0 {
		return Health{}, fmt.Errorf("%w: %s", ErrNoAnswer, strings.Join(problems, "; "))
	}
	h.Shares, h.Happiness = len(found), happiness(found)
	h.Healthy, h.Recoverable = h.Shares >= h.Total, h.Shares >= h.Needed
	return h, nil
}

// checkServer lists one server's shares of si and, with addLease, renews
// its lease on them (both at once; a server without shares answers the
// lease request with 404).
func (c *Client) checkServer(ctx context.Context, s *server, si storageapi.StorageIndex, addLease bool) ([]int, bool, error) {
	var lerr error
	var wg sync.WaitGroup
	if addLease {
		wg.Go(func() { lerr = s.c.AddLease(ctx, si, c.node.LeaseSecrets(si, s.info)) })
	}
	shares, err := s.c.ListShares(ctx, si)
	wg.Wait()
	if errors.Is(lerr, storageapi.ErrNotFound) {
		lerr = nil // no share here to renew
	}
	if err = errors.Join(err, lerr); err != nil {
		s.failed(err)
		return nil, false, err
	}
	return shares, addLease && len(shares) > 0, nil
}
