// Package restore gets backups back from the grid: Run restores a backup
// (or one subtree or entry of it) into a local directory, Verify compares
// a backup with a local tree.
//
// Both read either format: this tool's format 1 (a wrapper directory whose
// one child edge carries "lafs-backup-format": "1" and the source root's
// metadata) and the original Python tool's (the root cap is the tree; no
// root metadata, no times, names in ACLs, symlinks as files without mode).
// Names come from the "rawname" edge key when present (the exact bytes,
// which the gateway could not store), else from the on-grid name.
//
// Run, in outline:
//
//	open the root, detect the format, follow SubPath
//	check Target (created if missing; empty unless Force)
//	walk the tree depth first, one ?t=json per directory:
//	    refuse names that could leave their directory ("", ".", "..", "/", NUL)
//	    directory: mkdirat + openat(O_NOFOLLOW), recurse, remember its metadata
//	    hardlink member: remember for later
//	    file, symlink, FIFO, device: a job for the pool of Jobs workers:
//	        create relative to the parent's descriptor (O_EXCL|O_NOFOLLOW,
//	        symlinkat, mknodat), stream the content (xz decoded), close,
//	        then fsmeta.Apply: owner, mode, ACL, caps, xattrs, mtime
//	wait for the pool
//	hardlink members: linkat to the group's first member when it was
//	    restored here, else download as a file of its own
//	directories' metadata, deepest first (mtimes last of all)
//
// Memory holds one directory listing per level of the walk, the
// directories' metadata and the hardlink members; file content is
// streamed. Everything is written through descriptors of directories
// opened with O_NOFOLLOW, and metadata is applied through
// /proc/self/fd/N/NAME, so a hostile tree (or a symlink already in the
// target) cannot make restore write outside Target. See docs/restore.md.
package restore
