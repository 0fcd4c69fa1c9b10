package restore

import "github.com/lafs-backup/lafs-backup/internal/pathesc"

// joinPath joins a relative directory path and a name ("" is the root).
func joinPath(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// displayPath is a relative path for messages: "." for the root.
func displayPath(p string) string { return pathesc.Display(p) }
