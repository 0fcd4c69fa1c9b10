// Package entrycache is the local SQLite database (modernc.org/sqlite, pure
// Go) that makes backups incremental and remembers what was backed up.
//
// It holds:
//
//   - objects: one row per uploaded file or directory, keyed by a hash of
//     everything that decides its content (see Key), with its cap, the last
//     run generation that used it, and when its lease was last renewed;
//   - runs: every backup run, with its generation;
//   - backups: every backup made, for list, cleanup, check and restore;
//   - grid_servers: the storage servers whose grid the caps belong to.
//
// # Generations
//
// Each run takes a generation from a counter that never goes back (not
// max+1: numbers are never reused, even after cleanup). Every row a run
// uses is bumped to its generation, so deleting generation G removes
// exactly the rows last used by G. A run that made no backup leaves a
// dangling generation, which a rerun with tryResume takes over.
//
// # Writing
//
// A run writes through a Batch: Put and Use collect in memory, Lookup sees
// them, and Commit writes them in one transaction. A kill -9 loses at most
// the uncommitted tail, and the rerun uploads only that.
//
// # Concurrency
//
// One writer connection (BEGIN IMMEDIATE) and a pool of query-only reader
// connections, in WAL mode. Between processes, Lock serialises backup and
// cleanup; readers take no lock.
//
// docs/cache.md describes the schema and the rules in full.
package entrycache
