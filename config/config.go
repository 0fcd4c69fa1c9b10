package config

import (
	"strings"
	"time"
)

// Config is the merged, validated configuration. Field tags name the YAML
// keys; `cfg` tag options select special decoding:
//
//	path     a filesystem path, resolved against the setting file's directory
//	paths    a path or a list of paths, each resolved likewise
//	secret   a value that may hold a cap (never printed)
//	bytes    a rate limit on bytes
//	objects  a rate limit on objects
//	rules    filter rules ('+RE' / '-RE')
//	sized    compression rules ('+RE', '-RE' or [SIZE, RE])
type Config struct {
	Source      Source      `yaml:"source"`
	Destination Destination `yaml:"destination"`
	HTTP        HTTP        `yaml:"http"`
	Filter      []Rule      `yaml:"filter" cfg:"rules"`
	Operation   Operation   `yaml:"operation"`
	Logging     Logging     `yaml:"logging"`

	files     []string       // user files, in order
	positions map[string]Pos // dotted key -> where its value was set
	effective []byte         // merged YAML, caps redacted
}

// Source is the "source" section: what to back up and the local state files.
type Source struct {
	Path          string     `yaml:"path" cfg:"path"` // glob, absolute after loading; "" = not set
	Queue         Queue      `yaml:"queue"`
	EntryCache    EntryCache `yaml:"entry_cache"`
	PickPolicy    string     `yaml:"pick_policy"`
	MinAge        Duration   `yaml:"min_age"`
	ReadyMarker   string     `yaml:"ready_marker"`
	OneFileSystem bool       `yaml:"one_file_system"`
	SpecialFiles  string     `yaml:"special_files"` // "record" or "skip"
	CachedirTag   bool       `yaml:"cachedir_tag"`
	Xattrs        bool       `yaml:"xattrs"`
}

// Queue is "source.queue".
type Queue struct {
	Path       string `yaml:"path" cfg:"path"`
	CheckMtime bool   `yaml:"check_mtime"`
}

// EntryCache is "source.entry_cache".
type EntryCache struct {
	Path string `yaml:"path" cfg:"path"`
}

// Destination is the "destination" section.
type Destination struct {
	URL      string   `yaml:"url"`
	Direct   Direct   `yaml:"direct"`
	Result   Result   `yaml:"result"`
	Encoding Encoding `yaml:"encoding"`
}

// Direct is "destination.direct": upload straight to the storage servers
// of a Tahoe node directory instead of through the web API.
type Direct struct {
	NodeDir string `yaml:"node_dir" cfg:"path"` // "" = off: the web API uploads
}

// Result is "destination.result": where a finished backup's cap goes.
type Result struct {
	PrintToStdout   bool   `yaml:"print_to_stdout"`
	AppendToFile    string `yaml:"append_to_file" cfg:"path"`
	AppendToLAFSDir Secret `yaml:"append_to_lafs_dir" cfg:"secret"`
	LinkName        string `yaml:"link_name"`
	// MetricsFile is a Prometheus textfile-collector file written after
	// every backup run (docs/operations.md, Metrics); "" = none.
	MetricsFile string `yaml:"metrics_file" cfg:"path"`
}

// Encoding is "destination.encoding".
type Encoding struct {
	XZ XZ `yaml:"xz"`
}

// XZ is "destination.encoding.xz".
type XZ struct {
	Enabled    bool      `yaml:"enabled"`
	Options    XZOptions `yaml:"options"`
	MinSize    *int64    `yaml:"min_size"` // nil: only [SIZE, RE] rules compress
	PathFilter []Rule    `yaml:"path_filter" cfg:"sized"`
}

// HTTP is the "http" section.
type HTTP struct {
	CACertsFiles  []string `yaml:"ca_certs_files" cfg:"paths"`
	DebugRequests bool     `yaml:"debug_requests"`
	Retry         Retry    `yaml:"retry"`
}

// Retry is "http.retry".
type Retry struct {
	Attempts int        `yaml:"attempts"`
	Delay    RetryDelay `yaml:"delay"`
}

// Operation is the "operation" section.
type Operation struct {
	QueueOnly            bool       `yaml:"queue_only"`
	ReuseQueue           bool       `yaml:"reuse_queue"`
	DisableDeduplication bool       `yaml:"disable_deduplication"`
	TryResume            bool       `yaml:"try_resume"`
	Jobs                 int        `yaml:"jobs"`
	TrustDays            float64    `yaml:"trust_days"`
	AcceptGrid           bool       `yaml:"accept_grid"`
	DebugSocket          string     `yaml:"debug_socket" cfg:"path"` // "" = off
	Timeouts             Timeouts   `yaml:"timeouts"`
	RateLimit            RateLimits `yaml:"rate_limit"`
}

// Trust is operation.trust_days as a duration.
func (o Operation) Trust() time.Duration {
	return time.Duration(o.TrustDays * float64(24*time.Hour))
}

// Timeouts is "operation.timeouts".
type Timeouts struct {
	Idle    Duration   `yaml:"idle"`
	Updates []Duration `yaml:"updates"` // per attempt, last repeats; nil = none
	PerGiB  Duration   `yaml:"per_gib"`
}

// Answer is how long attempt n (1-based) may wait for the gateway's answer
// after sending a body of size bytes: the updates value for that attempt plus
// PerGiB per GiB. 0 means no limit (updates unset).
func (t Timeouts) Answer(attempt int, size int64) time.Duration {
	if len(t.Updates) == 0 {
		return 0
	}
	i := min(max(attempt, 1), len(t.Updates)) - 1
	extra := time.Duration(float64(t.PerGiB.D()) * float64(max(size, 0)) / (1 << 30))
	return t.Updates[i].D() + extra
}

// RateLimits is "operation.rate_limit".
type RateLimits struct {
	Bytes   RateLimit `yaml:"bytes" cfg:"bytes"`
	Objects RateLimit `yaml:"objects" cfg:"objects"`
}

// Logging is "logging" (only the keys this tool uses; the Python dictConfig
// keys are accepted with a warning).
type Logging struct {
	Tag string `yaml:"tag"`
}

// Files returns the user files the config was loaded from, in order.
func (c *Config) Files() []string { return c.files }

// Pos returns where the value of a dotted key (e.g. "source.path") was set:
// in a user file, or in the base config (File "base-config.yaml").
func (c *Config) Pos(key string) (Pos, bool) {
	p, ok := c.positions[key]
	return p, ok
}

// GatewayURL is destination.url without a trailing "/uri" or "/": the root of
// the gateway's web API, e.g. "http://localhost:3456".
func (c *Config) GatewayURL() string {
	return GatewayURL(c.Destination.URL)
}

// GatewayURL strips a trailing "/uri" (the Python tool's form) and slashes.
func GatewayURL(u string) string {
	u = strings.TrimRight(u, "/")
	u = strings.TrimSuffix(u, "/uri")
	return strings.TrimRight(u, "/")
}

// LinkName expands destination.result.link_name for a backup.
func (r Result) LinkNameFor(name string, gen int64) string {
	s := strings.ReplaceAll(r.LinkName, "{name}", name)
	return strings.ReplaceAll(s, "{gen}", formatInt(gen))
}

// Secret is a string that may hold a Tahoe cap. String and LogValue redact it;
// Value returns it.
type Secret string

// Value returns the secret itself.
func (s Secret) Value() string { return string(s) }

// IsZero reports whether the secret is unset.
func (s Secret) IsZero() bool { return s == "" }

// String redacts the secret, keeping only its kind ("URI:DIR2:…(redacted)").
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redact(string(s))
}

// GoString redacts too, so %#v cannot leak it.
func (s Secret) GoString() string { return s.String() }
