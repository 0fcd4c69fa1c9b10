// Package lifecycle keeps backups alive and lets them go: the retention
// policy (ApplyPolicy), cleanup of backups and their cache generations
// (Plan, Cleanup, EnumerateShares), and checks with lease renewal (Renew,
// DeepCheck, Check).
//
// Lease renewal scales with distinct objects, not with generations: the
// walker reads each distinct directory cap reachable from the kept roots
// once (unchanged subtrees share directory caps, so K generations of a
// mostly unchanged tree cost little more than one), and sends one
// t=check&add-lease=true per distinct non-LIT object, with bounded
// concurrency. Cache rows are never trusted for this: they are dedup
// hints, and a tree walk is the authority on what a backup holds.
//
// docs/lifecycle.md describes the commands built on this package.
package lifecycle
