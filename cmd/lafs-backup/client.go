package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"golang.org/x/time/rate"

	"github.com/lafs-backup/lafs-backup/config"
	"github.com/lafs-backup/lafs-backup/lafsapi"
)

// newClient builds the gateway client every command uses from the loaded
// configuration: retries, timeouts, rate limits and, for https gateways, the
// CA bundles of http.ca_certs_files. jobs bounds requests in flight (0 = the
// configured operation.jobs).
func newClient(e *env, jobs int) (*lafsapi.Client, error) {
	c := e.Config
	if jobs <= 0 {
		jobs = c.Operation.Jobs
	}
	opts := lafsapi.Options{
		Attempts:      c.HTTP.Retry.Attempts,
		IdleTimeout:   c.Operation.Timeouts.Idle.D(),
		PerGiB:        c.Operation.Timeouts.PerGiB.D(),
		Objects:       limiter(c.Operation.RateLimit.Objects),
		Bytes:         limiter(c.Operation.RateLimit.Bytes),
		MaxConcurrent: jobs,
		Logger:        e.Log,
	}
	if d := c.HTTP.Retry.Delay; d.Exponential() {
		opts.BaseDelay = d.Base
	} else {
		opts.Delays = d.List
	}
	gw := c.GatewayURL()
	if strings.HasPrefix(gw, "https:") {
		tc, err := tlsConfig(c.HTTP.CACertsFiles)
		if err != nil {
			return nil, err
		}
		opts.TLSConfig = tc
	}
	if _, err := url.Parse(gw); err != nil {
		return nil, fmt.Errorf("destination.url: %w", err)
	}
	return lafsapi.New(gw, opts)
}

// explainUnreachable points at destination.url when the gateway could not
// be reached at all in this run (docs/lafsapi.md, Retries): the usual cause
// is a wrong URL or a Tahoe node that is not running. The URL is shown with
// caps and passwords removed.
func explainUnreachable(e *env, err error) error {
	if e == nil || e.Config == nil || !errors.Is(err, lafsapi.ErrUnreachable) {
		return err
	}
	shown := e.Config.Destination.URL
	if u, perr := url.Parse(shown); perr == nil {
		shown = u.Redacted()
	}
	return fmt.Errorf("%w; is a Tahoe node running at destination.url %s?", err, lafsapi.RedactCaps(shown))
}

// limiter turns a configured rate limit into a token bucket; nil = none.
func limiter(r config.RateLimit) *rate.Limiter {
	if r.Unlimited() {
		return nil
	}
	return rate.NewLimiter(rate.Limit(r.Rate), r.Burst)
}

// tlsConfig trusts exactly the CA bundles listed (hostnames are verified).
func tlsConfig(files []string) (*tls.Config, error) {
	if len(files) == 0 {
		return &tls.Config{MinVersion: tls.VersionTLS12}, nil
	}
	pool := x509.NewCertPool()
	for _, f := range files {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("http.ca_certs_files: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("http.ca_certs_files: %s holds no PEM certificate", f)
		}
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}
