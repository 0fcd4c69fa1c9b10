package uploader

import "github.com/lafs-backup/lafs-backup/internal/pathesc"

// escapePath renders a raw path for messages (the default of
// Options.EscapePath).
func escapePath(p string) string { return pathesc.Escape(p) }
