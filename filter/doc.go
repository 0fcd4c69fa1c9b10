// Package filter decides which paths a backup includes and which files it
// compresses, with the ordered regexp rule lists of the original
// lafs-backup-tool (docs/filter.md).
//
// A rule is "+REGEX" (include) or "-REGEX" (exclude). The string tested is
// the path relative to the source root with a leading "/"; directories get a
// trailing "/", symlinks (to directories too) do not. Rules are tried in
// order with an unanchored search; the first rule that matches decides; when
// none matches the path is included. The source root itself is never tested.
//
// Patterns are Go RE2. Constructs that only Python's re understands are
// rejected when the rules are parsed, with an error that names the rule and
// the construct: look-ahead and look-behind, back-references (\1, (?P=name)),
// conditionals, comments, the verbose flag, \Z, and the quantifier {,n},
// which Python reads as {0,n} but Go as literal text. Note that in Go "$"
// matches only at the very end of the tested string (Python's "$" also
// matches before a final newline), and that Go matches a byte of invalid
// UTF-8 as U+FFFD (write \x{FFFD}, not \xff). See docs/filter.md.
//
// The xz path_filter uses the same engine through [Sized]: its rows may also
// be [SIZE, REGEX] pairs that set the size from which a matching file is
// compressed.
//
// Rule numbers in messages are 1-based (the position in the config list);
// the rule values returned by Match and Decide are 0-based indexes, -1 when
// no rule matched.
package filter
