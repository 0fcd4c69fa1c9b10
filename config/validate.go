package config

import (
	"net/url"
	"regexp"
	"strings"
)

// validate checks values whose type was right but whose value is not.
func (l *loader) validate(c *Config) {
	at := func(key string) Pos {
		if p, ok := c.positions[key]; ok {
			return p
		}
		return Pos{Key: key}
	}
	check := func(ok bool, key, format string, args ...any) {
		if !ok && !l.badUnder(key) {
			l.problem(at(key), format, args...)
		}
	}
	s, o := c.Source, c.Operation
	check(s.PickPolicy == "alphasort_last", "source.pick_policy", "only alphasort_last is supported, got %q", s.PickPolicy)
	check(s.SpecialFiles == "record" || s.SpecialFiles == "skip", "source.special_files", "expected record or skip, got %q", s.SpecialFiles)
	check(!strings.Contains(s.ReadyMarker, "/"), "source.ready_marker", "must be a file name inside the match, without \"/\"")
	if msg := checkURL(c.Destination.URL); msg != "" && !l.badUnder("destination.url") {
		l.problem(at("destination.url"), "%s", msg)
	}
	if msg := checkLinkName(c.Destination.Result.LinkName); msg != "" && !l.badUnder("destination.result.link_name") {
		l.problem(at("destination.result.link_name"), "%s", msg)
	}
	lafsDir := c.Destination.Result.AppendToLAFSDir.Value()
	check(lafsDir == "" || strings.HasPrefix(lafsDir, "URI:"), "destination.result.append_to_lafs_dir", "expected a directory write cap (URI:DIR2:...)")
	xz := c.Destination.Encoding.XZ
	check(xz.MinSize == nil || *xz.MinSize >= 0, "destination.encoding.xz.min_size", "must not be negative")
	check(c.HTTP.Retry.Attempts >= 1, "http.retry.attempts", "must be at least 1, got %d", c.HTTP.Retry.Attempts)
	check(o.Jobs >= 1 && o.Jobs <= 256, "operation.jobs", "must be from 1 to 256, got %d", o.Jobs)
	check(o.TrustDays >= 0, "operation.trust_days", "must not be negative")
	check(o.Timeouts.Idle > 0, "operation.timeouts.idle", "must be positive")
	check(!(o.QueueOnly && o.ReuseQueue), "operation.reuse_queue", "queue_only and reuse_queue cannot both be true")
}

func checkURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case s == "":
		return "required: the gateway's web API, e.g. http://localhost:3456/uri"
	case err != nil:
		return "not a URL: " + err.Error()
	case u.Scheme != "http" && u.Scheme != "https":
		return "expected an http:// or https:// URL, got " + strings.TrimSpace(s)
	case u.Host == "":
		return "missing the gateway's host:port"
	case u.RawQuery != "" || u.Fragment != "":
		return "must not have a query or fragment"
	case strings.Contains(u.Path, "URI:"):
		return "must be the gateway's address only, without a cap"
	}
	return ""
}

var placeholder = regexp.MustCompile(`\{[^}]*\}`)

func checkLinkName(s string) string {
	if s == "" {
		return "must not be empty (default \"{name}\")"
	}
	if strings.Contains(s, "/") {
		return "must not contain \"/\""
	}
	for _, p := range placeholder.FindAllString(s, -1) {
		if p != "{name}" && p != "{gen}" {
			return "unknown placeholder " + p + " (known: {name}, {gen})"
		}
	}
	return ""
}

// badUnder reports whether key or a section containing it already has a
// problem (so its value is not worth checking again).
func (r *report) badUnder(key string) bool {
	for {
		if r.bad[key] {
			return true
		}
		i := strings.LastIndexByte(key, '.')
		if i < 0 {
			return false
		}
		key = key[:i]
	}
}
