// Package storageapi is a client of Tahoe-LAFS 1.20's HTTPS storage
// protocol ("Great Black Swamp"), the protocol a gateway speaks to its
// storage servers: one Client per server, one method per operation the
// direct uploader and lease renewal need (Version, Allocate, WriteChunk /
// WriteShare / ShareWriter, Abort, ListShares, ReadShare, AddLease), ctx
// first.
//
// A Client is made from the server's NURL. Its TLS connections accept
// only a certificate whose public key hashes to the NURL's SPKI hash
// (servers are self-signed; there is no CA); requests carry the swissnum
// as "Authorization: Tahoe-LAFS <base64>" and the lease and upload secrets
// as X-Tahoe-Authorization headers; bodies are CBOR. Swissnums and secrets
// are values of type Secret or NURL, which print redacted, and appear in no
// error or log line.
//
// Retries follow the policy of package lafsapi: network errors, idle
// timeouts, 429 and 5xx other than 501 are retried with the configured
// delays or exponential backoff; other statuses, a refused certificate and
// the caller's cancellation are final. An attempt fails when no byte moves
// on its connection for Options.IdleTimeout. Failures are *Error values
// naming the server, the operation and the status; errors.Is matches
// ErrNotFound, ErrUnauthorized, ErrConflict, ErrNotAllowed, ErrIdleTimeout
// and ErrWrongCertificate.
//
// The semantics crash recovery depends on (what a repeated Allocate, a
// write or an abort does with the same or another upload secret) are
// found out from Tahoe's server, tested against real storage nodes, and
// documented in docs/storage-protocol.md.
package storageapi
