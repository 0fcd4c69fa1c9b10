package restore

import "github.com/lafs-backup/lafs-backup/internal/pathesc"

func escapePath(p string) string { return pathesc.Escape(p) }

// EscapePath is escapePath for callers that print paths from Failure and
// Difference values.
func EscapePath(p string) string { return escapePath(p) }

// joinPath joins a relative directory path and a name ("" is the root).
func joinPath(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// displayPath is a relative path for messages: "." for the root.
func displayPath(p string) string {
	if p == "" {
		return "."
	}
	return escapePath(p)
}
