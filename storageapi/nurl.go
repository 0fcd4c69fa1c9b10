package storageapi

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// NURL locates one storage server's HTTPS service, as announced in
// anonymous-storage-NURLs:
//
//	pb://<SPKI hash>@<host>:<port>/<swissnum>#v=1
//
// The SPKI hash (unpadded URL-safe base64 of SHA-256 over the DER
// SubjectPublicKeyInfo of the server's certificate) pins the server's key;
// the swissnum authorises us and is a secret: String redacts it and no
// error of this package contains it. See docs/storage-protocol.md.
type NURL struct {
	spki     [32]byte
	host     string // host:port, IPv6 in brackets
	swissnum string
}

// ErrBadNURL is wrapped by every ParseNURL error.
var ErrBadNURL = errors.New("storageapi: not a storage NURL")

var b64url = base64.RawURLEncoding

// ParseNURL parses an HTTPS storage NURL. Foolscap fURLs (no "#v=1") and
// Tor NURLs (pb+tor://) are refused. The error never quotes s.
func ParseNURL(s string) (NURL, error) {
	bad := func(why string) (NURL, error) { return NURL{}, fmt.Errorf("%w: %s", ErrBadNURL, why) }
	u, err := url.Parse(strings.TrimSpace(s))
	switch {
	case err != nil:
		return bad("unparseable")
	case u.Scheme == "pb+tor":
		return bad("a Tor NURL (pb+tor://) is not supported")
	case u.Scheme != "pb":
		return bad("want pb://")
	case u.Fragment != "v=1":
		return bad(`no "#v=1": a Foolscap fURL, not an HTTPS NURL`)
	case u.User == nil || u.User.Username() == "":
		return bad("no key hash before @")
	}
	var n NURL
	h, err := b64url.DecodeString(u.User.Username())
	if err != nil || len(h) != len(n.spki) {
		return bad("the key hash is not 43 characters of URL-safe base64 (SHA-256)")
	}
	copy(n.spki[:], h)
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil || host == "" {
		return bad("want host:port after @")
	}
	if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
		return bad("bad port")
	}
	n.host = u.Host
	n.swissnum = strings.TrimPrefix(u.Path, "/")
	if n.swissnum == "" || strings.Contains(n.swissnum, "/") || u.RawQuery != "" {
		return bad("want exactly one path element (the swissnum)")
	}
	return n, nil
}

// Host is "host:port" (not secret).
func (n NURL) Host() string { return n.host }

// SPKIHash is the pinned SHA-256 of the server's SubjectPublicKeyInfo.
func (n NURL) SPKIHash() [32]byte { return n.spki }

// Swissnum is the secret that authorises requests.
func (n NURL) Swissnum() Secret { return NewSecret([]byte(n.swissnum)) }

// IsZero reports whether n is the zero NURL.
func (n NURL) IsZero() bool { return n.host == "" }

// Equal reports whether two NURLs name the same key, address and swissnum.
func (n NURL) Equal(m NURL) bool {
	return n.spki == m.spki && n.host == m.host &&
		subtle.ConstantTimeCompare([]byte(n.swissnum), []byte(m.swissnum)) == 1
}

// String gives the NURL with its swissnum replaced by "…".
func (n NURL) String() string {
	if n.IsZero() {
		return "(no NURL)"
	}
	return "pb://" + b64url.EncodeToString(n.spki[:]) + "@" + n.host + "/…#v=1"
}

// GoString keeps %#v redacted.
func (n NURL) GoString() string { return "storageapi.NURL(" + n.String() + ")" }

// Format redacts every verb (the struct holds the swissnum).
func (n NURL) Format(f fmt.State, verb rune) { formatRedacted(f, verb, n) }

// MarshalText gives the redacted form.
func (n NURL) MarshalText() ([]byte, error) { return []byte(n.String()), nil }

// LogValue keeps slog output redacted.
func (n NURL) LogValue() slog.Value { return slog.StringValue(n.String()) }
