package restore_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/restore"
)

// originalTree has the exact edge shapes of the original Python tool
// (reference/lafs-backup-tool.md 4.2): string uid, gid and octal mode,
// caps with ";" for spaces, ACLs with user and group names and "d:"
// defaults, enc xz without the original size, symlinks as files without
// mode (carrying their target's caps, the original's bug 4), no times, no
// wrapper: the root cap is the tree.
func originalTree() tnode {
	return dirNode(nil, map[string]tnode{
		"bin": dirNode(md("uid", "0", "gid", "0", "mode", "40755"), map[string]tnode{
			"fs_backup": file("#!/bin/sh\necho backup\n", md("uid", "1000", "gid", "1000", "mode", "102750", "caps", "=;cap_dac_read_search+i")),
			"sh":        file("/bin/bash", md("uid", "0", "gid", "0", "caps", "=;cap_net_raw+ep")),
		}),
		"etc": dirNode(md("uid", "0", "gid", "0", "mode", "40755",
			"acls", "u::rwx,g::r-x,o::r-x,d:u::rwx,d:u:daemon:rwx,d:g::r-x,d:m::rwx,d:o::r-x"), map[string]tnode{
			"shadow":  file("root:*:1::::::\n", md("uid", "0", "gid", "2", "mode", "100640", "acls", "u::rw-,u:daemon:r--,g::r--,g:bin:r--,m::r--,o::---")),
			"big.log": xzFile(bigText, md("uid", "1", "gid", "1", "mode", "100644")),
			"orphan":  file("x", md("uid", "0", "gid", "0", "mode", "100600", "acls", "u::rw-,u:no-such-user-here:r--,g::---,m::r--,o::---")),
		}),
		"empty": dirNode(md("uid", "0", "gid", "0", "mode", "40700"), map[string]tnode{}),
	})
}

func TestRestoreOriginalToolTree(t *testing.T) {
	requireRoot(t)
	c, _ := gridClient(t)
	root := build(t, c, originalTree())
	target := filepath.Join(t.TempDir(), "out")
	st, err := restore.Run(t.Context(), c, root, restore.Options{Target: target})
	if err != nil {
		t.Fatal(err)
	}
	if st.Format != restore.FormatOriginal {
		t.Errorf("format %v", st.Format)
	}
	if len(st.Failed) != 1 || st.Failed[0].Path != "etc/orphan" ||
		!strings.Contains(st.Failed[0].Error(), `unknown name: user "no-such-user-here"`) {
		t.Errorf("failures %v, want only etc/orphan's ACL name", st.Failed)
	}
	wants := []want{
		{path: "bin", typ: fsmeta.TypeDir, mode: 0o755},
		{path: "bin/fs_backup", typ: fsmeta.TypeFile, mode: 0o2750, uid: 1000, gid: 1000, content: "#!/bin/sh\necho backup\n", caps: "cap_dac_read_search=i"},
		{path: "bin/sh", typ: fsmeta.TypeSymlink, content: "/bin/bash"},
		{path: "etc", typ: fsmeta.TypeDir, mode: 0o755,
			acl: []string{"u::rwx", "g::r-x", "o::r-x", "d:u::rwx", "d:u:1:rwx", "d:g::r-x", "d:m::rwx", "d:o::r-x"}},
		{path: "etc/shadow", typ: fsmeta.TypeFile, mode: 0o640, gid: 2, content: "root:*:1::::::\n",
			acl: []string{"u::rw-", "u:1:r--", "g::r--", "g:2:r--", "m::r--", "o::---"}},
		{path: "etc/big.log", typ: fsmeta.TypeFile, mode: 0o644, uid: 1, gid: 1, content: bigText},
		// The ACL could not be applied; owner and mode were.
		{path: "etc/orphan", typ: fsmeta.TypeFile, mode: 0o600, content: "x"},
		{path: "empty", typ: fsmeta.TypeDir, mode: 0o700},
	}
	// No times were recorded: take what is on disk.
	for i := range wants {
		m, err := fsmeta.Read(filepath.Join(target, wants[i].path), fsmeta.Options{})
		if err == nil {
			wants[i].mtimeNs = m.MtimeNs
		}
	}
	checkWants(t, target, wants)
	checkEntries(t, target, append(wants, want{path: ""}))
}
