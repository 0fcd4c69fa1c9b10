package testgrid

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Proxy is a reverse proxy in front of a gateway that counts the requests
// passing through it, for tests such as "an unchanged rerun sends no
// requests".
type Proxy struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []string
}

// NewCountingProxy starts a proxy to target (a gateway URL); it is closed
// when the test ends.
func NewCountingProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("testgrid: proxy target: %v", err)
	}
	p := &Proxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1 // stream deep-check lines as they come
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.reqs = append(p.reqs, r.Method+" "+RedactPath(r.URL))
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// URL is the proxy's root URL, used in place of the gateway's.
func (p *Proxy) URL() string { return p.srv.URL + "/" }

// Count is the number of requests seen so far.
func (p *Proxy) Count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.reqs)
}

// Requests returns "METHOD path?query" for each request so far, with caps
// replaced by "CAP".
func (p *Proxy) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.reqs...)
}

// Reset forgets the requests seen so far.
func (p *Proxy) Reset() {
	p.mu.Lock()
	p.reqs = nil
	p.mu.Unlock()
}

// RedactPath renders u's path and query with every capability (a path
// segment or query value starting with "URI:") replaced by "CAP".
func RedactPath(u *url.URL) string {
	segs := strings.Split(u.EscapedPath(), "/")
	for i, s := range segs {
		if dec, err := url.PathUnescape(s); err == nil && strings.HasPrefix(dec, "URI:") {
			segs[i] = "CAP"
		}
	}
	out := strings.Join(segs, "/")
	if u.RawQuery == "" {
		return out
	}
	q := u.Query()
	for k, vs := range q {
		for i, v := range vs {
			if strings.HasPrefix(v, "URI:") {
				q[k][i] = "CAP"
			}
		}
	}
	return out + "?" + q.Encode()
}
