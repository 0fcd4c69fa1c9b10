package main

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// proxy is a reverse proxy in front of the gateway that counts requests by
// kind. Every client in the benchmark (this tool, tahoe backup, curl) goes
// through it, so they pay the same small extra hop.
type proxy struct {
	srv   *http.Server
	url   string
	mu    sync.Mutex
	kinds map[string]int
}

func startProxy(target string) (*proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 32, DisableCompression: true}
	p := &proxy{url: "http://" + ln.Addr().String(), kinds: map[string]int{}}
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.count(kind(r))
		rp.ServeHTTP(w, r)
	})}
	go p.srv.Serve(ln)
	return p, nil
}

func (p *proxy) count(k string) {
	p.mu.Lock()
	p.kinds[k]++
	p.mu.Unlock()
}

// kind names a request without its caps: the method, "/uri" or "/uri/CAP"
// (plus "/…" when a path follows the cap), and the t= argument.
func kind(r *http.Request) string {
	path := r.URL.Path
	switch {
	case path == "/uri" || path == "/uri/":
		path = "/uri"
	case strings.HasPrefix(path, "/uri/"):
		rest := strings.TrimPrefix(path, "/uri/")
		path = "/uri/CAP"
		if strings.Contains(rest, "/") {
			path += "/…"
		}
	}
	if t := r.URL.Query().Get("t"); t != "" {
		path += "?t=" + t
	}
	return r.Method + " " + path
}

// take returns the requests counted since the last take and forgets them.
func (p *proxy) take() requests {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := requests(p.kinds)
	p.kinds = map[string]int{}
	return out
}

func (p *proxy) close() { p.srv.Close() }

// requests counts requests by kind.
type requests map[string]int

func (r requests) total() int {
	n := 0
	for _, v := range r {
		n += v
	}
	return n
}

// String lists the kinds, most frequent first.
func (r requests) String() string {
	keys := make([]string, 0, len(r))
	for k := range r {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if r[keys[i]] != r[keys[j]] {
			return r[keys[i]] > r[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k)
		b.WriteString(" ×")
		b.WriteString(strconv.Itoa(r[k]))
	}
	return b.String()
}
