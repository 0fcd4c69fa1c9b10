package testgrid

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// Fault is one kind of failure a StormProxy injects.
type Fault int

const (
	// Fault503 answers 503 without forwarding.
	Fault503 Fault = iota
	// Fault500 answers 500 with the gateway's "not enough storage
	// servers" traceback (UploadUnhappinessError), what a gateway whose
	// servers flap says, without forwarding. A 500 of any other kind is
	// final for the client (docs/lafsapi.md), so a storm of those could
	// not be survived by design.
	Fault500
	// FaultDrop closes the connection before forwarding.
	FaultDrop
	// FaultLostAnswer forwards the request, lets the gateway do the work,
	// then closes the connection without answering.
	FaultLostAnswer
	faultKinds
)

const unhappyBody = "Traceback (most recent call last):\n" +
	"allmydata.interfaces.UploadUnhappinessError: shares could be placed on only 1 server(s) such that any 2 of them have enough shares to recover the file, but we were asked to place shares on at least 3 such servers.\n"

// StormProxy is a reverse proxy in front of a gateway that fails a given
// fraction of requests at random, spread over the Fault kinds, and
// forwards the others.
type StormProxy struct {
	srv    *httptest.Server
	rate   float64
	mu     sync.Mutex
	rnd    *rand.Rand
	counts [faultKinds]atomic.Int64
	passed atomic.Int64
}

// NewStormProxy starts a proxy to target failing rate (0..1) of the
// requests; seed makes the sequence of decisions repeatable. It is closed
// when the test ends.
func NewStormProxy(t testing.TB, target string, rate float64, seed uint64) *StormProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("testgrid: proxy target: %v", err)
	}
	p := &StormProxy{rate: rate, rnd: rand.New(rand.NewPCG(seed, seed^0x5eed))}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.serve(rp, w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// URL is the proxy's root URL, used in place of the gateway's.
func (p *StormProxy) URL() string { return p.srv.URL + "/" }

// Injected returns how many requests got fault f.
func (p *StormProxy) Injected(f Fault) int64 { return p.counts[f].Load() }

// Passed returns how many requests were forwarded and answered.
func (p *StormProxy) Passed() int64 { return p.passed.Load() }

// decide picks the fate of one request: a fault, or -1 to forward it.
func (p *StormProxy) decide() Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rnd.Float64() >= p.rate {
		return -1
	}
	return Fault(p.rnd.IntN(int(faultKinds)))
}

func (p *StormProxy) serve(rp *httputil.ReverseProxy, w http.ResponseWriter, r *http.Request) {
	f := p.decide()
	if f < 0 {
		p.passed.Add(1)
		rp.ServeHTTP(w, r)
		return
	}
	p.counts[f].Add(1)
	switch f {
	case Fault503:
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
	case Fault500:
		http.Error(w, unhappyBody, http.StatusInternalServerError)
	case FaultDrop:
		hangUp(w)
	case FaultLostAnswer:
		rp.ServeHTTP(httptest.NewRecorder(), r) // the gateway does the work
		hangUp(w)
	}
}

// hangUp closes the client's connection without an answer.
func hangUp(w http.ResponseWriter) {
	if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
		c.Close()
	}
}
