// Package lafsapi is a client of the Tahoe-LAFS web API: one method per
// endpoint the backup tool needs, ctx first.
//
// Capabilities are values of type Cap, whose String redacts them; the wire
// value is reachable only through Cap.Secret, and no error or log line of
// this package contains one.
//
// Every call is retried on network errors, timeouts, 502, 503, 504, 429 and
// a 500 that says not enough storage servers are connected, with
// exponential backoff and jitter (or a fixed list of delays), up to
// Options.Attempts. Other statuses are final. Each attempt runs under its
// own context, cancelled when the attempt ends or when no bytes move for
// Options.IdleTimeout (plus an allowance proportional to the upload size
// while the gateway stores shares). Uploads re-open their source for each
// attempt.
//
// Failures are *Error values carrying the operation, the HTTP status and the
// gateway's explanation; IsNotFound, IsGone, IsConflict and IsRetryable
// classify them, and errors.Is(err, ErrNotEnoughServers) recognises the
// gateway's happiness failure.
package lafsapi
