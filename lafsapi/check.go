package lafsapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
)

// CheckOptions are the flags of t=check and t=stream-deep-check.
type CheckOptions struct {
	AddLease bool // add or renew this gateway's lease on every share found
	Repair   bool // repair when unhealthy
	Verify   bool // download and verify every share (expensive)
}

func (o CheckOptions) query(t string) url.Values {
	q := url.Values{"t": {t}, "output": {"JSON"}}
	if o.AddLease {
		q.Set("add-lease", "true")
	}
	if o.Repair {
		q.Set("repair", "true")
	}
	if o.Verify {
		q.Set("verify", "true")
	}
	return q
}

// CheckResult is the state of one object. After a repair it describes the
// object after the repair.
type CheckResult struct {
	StorageIndex   string // base32; "" for LIT objects
	Summary        string
	Healthy        bool // every share present
	Recoverable    bool // enough shares to read it
	SharesGood     int
	SharesNeeded   int
	SharesExpected int
	Happiness      int
	GoodHosts      int
	CorruptShares  int

	RepairAttempted  bool
	RepairSuccessful bool
	PreRepair        *CheckResult // the state before the repair, when one was attempted
}

// Check checks one object (POST /uri/CAP?t=check&output=JSON). A LIT cap is
// healthy by construction: no request is sent.
func (c *Client) Check(ctx context.Context, obj Cap, opts CheckOptions) (CheckResult, error) {
	if err := checkCap("check", obj); err != nil {
		return CheckResult{}, err
	}
	if obj.IsLIT() {
		return CheckResult{Healthy: true, Recoverable: true, Summary: "Healthy (literal)"}, nil
	}
	var res CheckResult
	err := c.do(ctx, &call{
		op: "check", method: http.MethodPost, path: capPath(obj),
		query: opts.query("check"),
		read: func(r io.Reader) error {
			data, err := io.ReadAll(io.LimitReader(r, 16<<20))
			if err != nil {
				return err
			}
			var raw rawCheck
			if err := decodeJSON(data, &raw); err != nil {
				return errors.New("gateway answered t=check with something other than JSON")
			}
			res = raw.result()
			return nil
		},
	})
	return res, err
}

// rawCounts is the "results" object of a check.
type rawCounts struct {
	Healthy        bool  `json:"healthy"`
	Recoverable    *bool `json:"recoverable"`
	SharesGood     int   `json:"count-shares-good"`
	SharesNeeded   int   `json:"count-shares-needed"`
	SharesExpected int   `json:"count-shares-expected"`
	Happiness      int   `json:"count-happiness"`
	GoodHosts      int   `json:"count-good-share-hosts"`
	CorruptShares  int   `json:"count-corrupt-shares"`
}

// rawCheckResults is {"storage-index", "summary", "results"}.
type rawCheckResults struct {
	StorageIndex string    `json:"storage-index"`
	Summary      string    `json:"summary"`
	Results      rawCounts `json:"results"`
}

func (r rawCheckResults) result() CheckResult {
	c := r.Results
	recoverable := c.Healthy // LIT results carry only "healthy"
	if c.Recoverable != nil {
		recoverable = *c.Recoverable
	}
	return CheckResult{StorageIndex: r.StorageIndex, Summary: r.Summary,
		Healthy: c.Healthy, Recoverable: recoverable,
		SharesGood: c.SharesGood, SharesNeeded: c.SharesNeeded, SharesExpected: c.SharesExpected,
		Happiness: c.Happiness, GoodHosts: c.GoodHosts, CorruptShares: c.CorruptShares}
}

// rawCheck is either check results or check-and-repair results.
type rawCheck struct {
	rawCheckResults
	RepairAttempted  *bool            `json:"repair-attempted"`
	RepairSuccessful bool             `json:"repair-successful"`
	Pre              *rawCheckResults `json:"pre-repair-results"`
	Post             *rawCheckResults `json:"post-repair-results"`
}

func (r rawCheck) result() CheckResult {
	if r.RepairAttempted == nil {
		return r.rawCheckResults.result()
	}
	if r.Post == nil { // a LIT object: nothing to repair
		return CheckResult{StorageIndex: r.StorageIndex, Healthy: true, Recoverable: true}
	}
	res := r.Post.result()
	res.RepairAttempted, res.RepairSuccessful = *r.RepairAttempted, r.RepairSuccessful
	if r.Pre != nil && *r.RepairAttempted {
		pre := r.Pre.result()
		res.PreRepair = &pre
	}
	return res
}
