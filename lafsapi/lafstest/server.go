package lafstest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lafs-backup/lafs-backup/lafsapi"
)

// Server is the fake gateway. It is safe for concurrent use.
type Server struct {
	// URL is the gateway root ("http://127.0.0.1:PORT/").
	URL string

	srv      *httptest.Server
	mu       sync.Mutex
	objects  map[string]*object // by every cap of the object
	health   map[string]lafsapi.CheckResult
	broken   map[string]brokenDir
	servers  []lafsapi.Server
	faults   []fault
	requests []Request
}

// Request is one request the server received.
type Request struct {
	Method string
	// Op names the endpoint as lafsapi's operations do: "upload",
	// "mkdir-immutable", "mkdir", "info", "download", "check",
	// "stream-deep-check", "stream-manifest", "link", "unlink", "status";
	// "" for anything else.
	Op    string
	Cap   string   // the cap in the path, "" for /uri and /
	Path  []string // child names after the cap
	Query url.Values
	Body  []byte
	Line  string // method and request URI, e.g. "POST /uri?t=mkdir-immutable"
}

type fault struct {
	match func(Request) bool
	reply http.HandlerFunc
}

// New starts a server that t closes when it ends.
func New(t testing.TB) *Server {
	s := &Server{objects: map[string]*object{}, health: map[string]lafsapi.CheckResult{},
		broken: map[string]brokenDir{}, servers: defaultServers()}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + "/"
	t.Cleanup(s.srv.Close)
	return s
}

// Client returns a client of the server with retries 1 ms apart (opts may
// set more); its own fields are kept.
func (s *Server) Client(t testing.TB, opts lafsapi.Options) *lafsapi.Client {
	t.Helper()
	if opts.Delays == nil {
		opts.Delays = []time.Duration{time.Millisecond}
	}
	c, err := lafsapi.New(s.URL+"uri", opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Fault makes the server answer every request that match selects with
// reply instead of its store. Faults are tried in the order they were
// added; the first that matches answers. Use Replies for a sequence and
// s.Store to let the store answer.
func (s *Server) Fault(match func(Request) bool, reply http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fault{match, reply})
}

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count returns how many requests so far match selects.
func (s *Server) Count(match func(Request) bool) int {
	n := 0
	for _, r := range s.Requests() {
		if match(r) {
			n++
		}
	}
	return n
}

// Any matches every request.
func Any(Request) bool { return true }

// Op matches the requests of one operation (see Request.Op) on the cap c,
// through any path below it; a zero c matches every cap.
func Op(op string, c lafsapi.Cap) func(Request) bool {
	return func(r Request) bool { return r.Op == op && (c.IsZero() || r.Cap == c.Secret()) }
}

// Status returns a reply with the HTTP status code and body.
func Status(code int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

// HangUp closes the connection without an answer, as a gateway that goes
// down does (the client sees a network error).
func HangUp(w http.ResponseWriter, _ *http.Request) {
	if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
		conn.Close()
	}
}

// Replies answers the first request it is given with the first reply, the
// second with the second, and every later one with the last.
func Replies(replies ...http.HandlerFunc) http.HandlerFunc {
	var mu sync.Mutex
	n := 0
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		i := min(n, len(replies)-1)
		n++
		mu.Unlock()
		replies[i](w, r)
	}
}

// Truncated answers as the store would, but sends only the first n bytes
// of the body (the client is told the whole length) and then hangs up: a
// download broken off mid-way.
func (s *Server) Truncated(n int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		s.Store(rec, r)
		body := rec.Body.Bytes()
		w.Header().Set("Content-Length", itoa(len(body)))
		w.WriteHeader(rec.Code)
		w.Write(body[:min(n, len(body))])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		HangUp(w, r)
	}
}

// serve records the request, then lets the first matching fault or the
// store answer.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	req := parse(r, body)
	s.mu.Lock()
	s.requests = append(s.requests, req)
	var reply http.HandlerFunc
	for _, f := range s.faults {
		if f.match(req) {
			reply = f.reply
			break
		}
	}
	s.mu.Unlock()
	if reply == nil {
		reply = s.Store
	}
	reply(w, r)
}

// parse classifies a request by its path and query.
func parse(r *http.Request, body []byte) Request {
	req := Request{Method: r.Method, Query: r.URL.Query(), Body: body, Line: r.Method + " " + r.URL.RequestURI()}
	segs := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	if segs[0] == "uri" && len(segs) > 1 {
		req.Cap, _ = url.PathUnescape(segs[1])
		for _, s := range segs[2:] {
			name, _ := url.PathUnescape(s)
			req.Path = append(req.Path, name)
		}
	}
	req.Op = opOf(req, segs[0])
	return req
}

func opOf(r Request, first string) string {
	t := r.Query.Get("t")
	switch {
	case first == "" && r.Method == http.MethodGet && t == "json":
		return "status"
	case first != "uri":
		return ""
	case r.Cap == "" && r.Method == http.MethodPut:
		return "upload"
	case r.Cap == "" && r.Method == http.MethodPost && (t == "mkdir-immutable" || t == "mkdir"):
		return t
	case r.Cap == "":
		return ""
	case r.Method == http.MethodGet && t == "json":
		return "info"
	case r.Method == http.MethodGet && t == "":
		return "download"
	case r.Method == http.MethodPost && (t == "check" || t == "stream-deep-check" || t == "stream-manifest"):
		return t
	case r.Method == http.MethodPut && t == "uri":
		return "link"
	case r.Method == http.MethodDelete:
		return "unlink"
	}
	return ""
}
