package lafstest

import (
	"maps"
	"net/http"
	"slices"

	"github.com/lafs-backup/lafs-backup/lafsapi"
)

// brokenDir is a directory the gateway cannot read.
type brokenDir struct {
	status int
	msg    string
}

// SetHealth sets what checks of c find (by default: healthy, 4 of 4
// shares). A repair (repair=true) of a recoverable object makes it
// healthy.
func (s *Server) SetHealth(c lafsapi.Cap, r lafsapi.CheckResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.health[c.Secret()] = r
}

// Unreadable makes the directory dir unreadable: GET ?t=json on it (or
// through it) answers status with msg, and a deep-check or manifest walk
// that reaches it reports the directory, then stops at "ERROR: msg", as
// the gateway does. 410 is what an unrecoverable directory gives.
func (s *Server) Unreadable(dir lafsapi.Cap, status int, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.broken[dir.Secret()] = brokenDir{status, msg}
}

// refuse answers for an unreadable directory c and reports whether it did.
func (s *Server) refuse(w http.ResponseWriter, c string) bool {
	s.mu.Lock()
	b, ok := s.broken[c]
	s.mu.Unlock()
	if ok {
		http.Error(w, b.msg, b.status)
	}
	return ok
}

// result is the state of c, before any repair.
func (s *Server) result(c lafsapi.Cap) lafsapi.CheckResult {
	s.mu.Lock()
	r, ok := s.health[c.Secret()]
	s.mu.Unlock()
	switch {
	case ok:
	case c.IsLIT():
		return lafsapi.CheckResult{Healthy: true, Recoverable: true, Summary: "Healthy (LIT)"}
	default:
		r = healthy()
	}
	if r.StorageIndex == "" {
		r.StorageIndex = StorageIndex(c)
	}
	return r
}

func healthy() lafsapi.CheckResult {
	return lafsapi.CheckResult{Summary: "Healthy", Healthy: true, Recoverable: true,
		SharesGood: 4, SharesNeeded: 2, SharesExpected: 4, Happiness: 4, GoodHosts: 4}
}

// checkJSON checks c as t=check&output=JSON answers (check results, or
// check-and-repair results with repair).
func (s *Server) checkJSON(c lafsapi.Cap, repair bool) map[string]any {
	r := s.result(c)
	if !repair {
		return resultsJSON(r)
	}
	out := map[string]any{"storage-index": r.StorageIndex, "repair-attempted": false, "repair-successful": false,
		"pre-repair-results": resultsJSON(r), "post-repair-results": resultsJSON(r)}
	if !r.Healthy && r.Recoverable {
		fixed := healthy()
		fixed.StorageIndex = r.StorageIndex
		s.SetHealth(c, fixed)
		out["repair-attempted"], out["repair-successful"] = true, true
		out["post-repair-results"] = resultsJSON(fixed)
	}
	return out
}

func resultsJSON(r lafsapi.CheckResult) map[string]any {
	return map[string]any{"storage-index": r.StorageIndex, "summary": r.Summary, "results": map[string]any{
		"healthy": r.Healthy, "recoverable": r.Recoverable,
		"count-shares-good": r.SharesGood, "count-shares-needed": r.SharesNeeded,
		"count-shares-expected": r.SharesExpected, "count-happiness": r.Happiness,
		"count-good-share-hosts": r.GoodHosts, "count-corrupt-shares": r.CorruptShares,
	}}
}

func (s *Server) check(w http.ResponseWriter, req Request) {
	c, err := lafsapi.ParseCap(req.Cap)
	if err != nil {
		http.Error(w, "Invalid cap", http.StatusBadRequest)
		return
	}
	writeJSON(w, s.checkJSON(c, req.Query.Get("repair") == "true"))
}

// stream answers t=stream-deep-check and t=stream-manifest: one JSON line
// per object reachable from the root, depth first with names in order,
// each object once, then a stats line; "ERROR:" at an unreadable directory.
func (s *Server) stream(w http.ResponseWriter, req Request) {
	root, err := lafsapi.ParseCap(req.Cap)
	if err != nil || !root.IsDir() {
		http.Error(w, "lafstest: a walk starts at a directory", http.StatusBadRequest)
		return
	}
	deep, repair := req.Op == "stream-deep-check", req.Query.Get("repair") == "true"
	w.Header().Set("Content-Type", "text/plain")
	counts := map[string]int{}
	err = s.walk(root, []string{}, map[string]bool{}, func(c lafsapi.Cap, path []string) {
		typ := "file"
		switch {
		case c.IsZero():
			typ = "unknown"
		case c.IsDir():
			typ = "directory"
		}
		counts["count-"+typ+"s"]++
		line := map[string]any{"type": typ, "path": path, "cap": c.Secret(), "storage-index": StorageIndex(c)}
		switch {
		case typ == "unknown":
		case deep && repair:
			line["check-and-repair-results"] = s.checkJSON(c, true)
		case deep:
			line["check-results"] = s.checkJSON(c, false)
		}
		writeJSON(w, line)
	})
	if err != nil {
		w.Write([]byte("ERROR: " + err.Error() + "\n"))
		return
	}
	writeJSON(w, map[string]any{"type": "stats", "stats": counts})
}

type walkError string

func (e walkError) Error() string { return string(e) }

func (s *Server) walk(c lafsapi.Cap, path []string, seen map[string]bool, fn func(lafsapi.Cap, []string)) error {
	if c.IsZero() {
		fn(c, path) // an object of unknown type: reported, not entered
		return nil
	}
	if seen[c.Secret()] {
		return nil
	}
	seen[c.Secret()] = true
	fn(c, path)
	if !c.IsDir() {
		return nil
	}
	s.mu.Lock()
	b, broken := s.broken[c.Secret()]
	o := s.objects[c.Secret()]
	var kids map[string]lafsapi.Child
	if o != nil {
		kids = maps.Clone(o.children)
	}
	s.mu.Unlock()
	if broken {
		return walkError(b.msg)
	}
	for _, name := range slices.Sorted(maps.Keys(kids)) {
		if err := s.walk(kids[name].Cap, append(slices.Clone(path), name), seen, fn); err != nil {
			return err
		}
	}
	return nil
}
