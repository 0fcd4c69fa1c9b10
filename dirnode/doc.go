// Package dirnode packs immutable directories (DIR2-CHK and DIR2-LIT)
// exactly as a Tahoe-LAFS 1.20.0 gateway packs them for
// POST /uri?t=mkdir-immutable, so that the direct path makes the same
// directory caps as the web API for the same children and metadata.
//
// Pack gives the directory contents: NFC-normalised names in code point
// order, each child's read cap, and its metadata as Python's json.dumps
// would write what json.loads read from the JSON our web-API client
// sends (ASCII-only strings, ", " and ": " separators, Python's float
// repr, numbers without a point kept as ints). Encode stores the contents
// like a file: a DIR2-LIT cap for at most 55 bytes, otherwise CHK shares
// from package chk. Unpack reads contents back, for tests and tools.
//
// The package is pure. See docs/direct.md for the rules, the one case
// whose packing cannot be the gateway's (names equal after NFC, refused),
// and the tests against Tahoe's own code and a real grid.
package dirnode
