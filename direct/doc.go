// Package direct uploads immutable files and directories straight to the
// storage servers of a Tahoe-LAFS grid, doing the gateway's work itself:
// CHK encoding (package chk), directory packing (package dirnode) and the
// HTTPS storage protocol (package storageapi), as the gateway whose node
// directory it is given (package tahoenode) would. Caps are the gateway's,
// byte for byte, and leases are the gateway's own, so a source can switch
// between the web API and the direct path without losing its cache, and a
// check through either renews the same lease.
//
// A Client places the shares of each object on the permuted ring of its
// storage index until servers-of-happiness reaches shares.happy (shares
// already stored count; shares another client is writing go elsewhere),
// writes every server of one object concurrently, and reads the content
// twice (once for the convergent key, once to encode it) with memory
// bounded by a few segments. Its upload secrets are derived, not random,
// so a rerun after a crash rewrites or aborts the half-written shares it
// finds. Servers that cannot be reached are left alone for a while; a
// refused certificate is never retried.
//
// The package imports neither lafsapi nor uploader (docs/packages.md):
// cmd/lafs-backup adapts it to the uploader's Grid port. Design, crash
// recovery and the security model: docs/direct.md.
package direct
