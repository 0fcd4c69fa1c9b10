package uploader

import (
	"encoding/hex"
	"testing"

	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/treeformat"
)

var keyMeta = fsmeta.Meta{
	Type: fsmeta.TypeFile, UID: 1000, GID: 100, Mode: 0o100644,
	Caps: "cap_net_raw=ep", ACL: []string{"u::rw-", "g::r--", "g:50:rw-", "m::rw-", "o::r--"},
	Xattrs: map[string][]byte{"user.b": {0, 255}, "user.a": []byte("x")},
	// Never part of a key:
	Size: 1, MtimeNs: 2, Dev: 3, Ino: 4, Nlink: 5,
}

var dirMeta = fsmeta.Meta{Type: fsmeta.TypeDir, UID: 0, GID: 0, Mode: 0o40755, MtimeNs: 1700000000123456789}

func hexKey(k [32]byte) string { return hex.EncodeToString(k[:]) }

// TestKeyGolden pins the key format: a change here silently invalidates
// every user's cache, so it must be deliberate (and bump entrycache's keyVersion).
func TestKeyGolden(t *testing.T) {
	kids := []keyChild{
		{name: "b.txt", cap: "URI:CHK:aaa:bbb:3:10:99", meta: map[string]any{"uid": "0", "mtime": 1.5, "enc": "xz"}},
		{name: "a", dir: true, cap: "URI:DIR2-CHK:ccc:ddd:3:10:200", meta: map[string]any{"mode": "40755"}},
	}
	dk, err := dirKey("/srv/backups/backup.*", dirMeta, kids)
	mustDo(t, err)
	wk, err := wrapperKey("/srv/backups/backup.*", keyChild{name: "backup.1", dir: true, cap: "URI:DIR2-CHK:x:y:3:10:5",
		meta: map[string]any{treeformat.FormatKey: treeformat.FormatVersion}})
	mustDo(t, err)
	for _, tc := range []struct {
		name string
		key  [32]byte
		want string
	}{
		{"file plain", fileKey("/srv/backups/backup.*", "etc/passwd", keyMeta, 1234, 1700000000123456789, encoding(false, DefaultDictCap, 1234)),
			"581c5d30aec19532cce113d1f0da54f0f307392c3ef13070f21c016987465dc7"},
		{"file xz", fileKey("/srv/backups/backup.*", "etc/passwd", keyMeta, 1234, 1700000000123456789, encoding(true, DefaultDictCap, 1234)),
			"603d9ad10519d8375cee02e9d7b1c02b9a5db2fa56c90f6524d0d041b3e3d259"},
		{"file xz blocks", fileKey("/srv/backups/backup.*", "var/log/big", keyMeta, 5<<20, 1700000000123456789, encoding(true, DefaultDictCap, 5<<20)),
			"33450b30ac86593f6ea53d8037a72e80ed7bef37c6ceaccf399ef0e64abc0f7e"},
		{"symlink", symlinkKey("/srv/backups/backup.*", "bin", "usr/bin"), "557838ec36122d3db8ed97811e84301ca27ac0237a8637cab50b595cefe63fc0"},
		{"dir", dk, "b4ade9403f64b7d0773d594f2350838e3b38c167997f06c4ba63c6ece1cccfda"},
		{"wrapper", wk, "8df8ac0995b06027e9f57109ac1850592b6249eb82b27a13ae72d1f994a6abb6"},
	} {
		if got := hexKey(tc.key); got != tc.want {
			t.Errorf("%s key = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestKeyParts(t *testing.T) {
	p := "/src"
	base := fileKey(p, "a/b", keyMeta, 10, 20, "none")
	m2 := keyMeta
	m2.Dev, m2.Ino, m2.Nlink, m2.Size, m2.MtimeNs = 9, 9, 9, 9, 9
	if fileKey(p, "a/b", m2, 10, 20, "none") != base {
		t.Error("dev, ino, nlink or the queue's size/mtime changed a file key")
	}
	differ := map[string][32]byte{
		"pattern":  fileKey("/src2", "a/b", keyMeta, 10, 20, "none"),
		"path":     fileKey(p, "a/c", keyMeta, 10, 20, "none"),
		"size":     fileKey(p, "a/b", keyMeta, 11, 20, "none"),
		"mtime":    fileKey(p, "a/b", keyMeta, 10, 21, "none"),
		"encoding": fileKey(p, "a/b", keyMeta, 10, 20, encoding(true, DefaultDictCap, 10)),
		"dictcap":  fileKey(p, "a/b", keyMeta, 10, 20, encoding(true, MinDictCap, 10)),
		"blocks":   fileKey(p, "a/b", keyMeta, 10, 20, encoding(true, DefaultDictCap, parallelMin+1)),
		"boundary": fileKey(p, "a/b", keyMeta, 102, 0, "none"),
	}
	m3 := keyMeta
	m3.Mode = 0o100600
	differ["mode"] = fileKey(p, "a/b", m3, 10, 20, "none")
	m4 := keyMeta
	m4.Xattrs = map[string][]byte{"user.b": {0, 255}, "user.a": []byte("y")}
	differ["xattr"] = fileKey(p, "a/b", m4, 10, 20, "none")
	seen := map[[32]byte]string{base: "base"}
	for name, k := range differ {
		if prev, ok := seen[k]; ok {
			t.Errorf("%s gives the same key as %s", name, prev)
		}
		seen[k] = name
	}
	// The block encoder's identity and settings, as they enter the key.
	if got, want := encoding(true, DefaultDictCap, parallelMin+1),
		"xz;blocks=1048576;dict=524288;lafs-backup/pxz@1;ulikunitz/xz@v0.5;lzma2;lc3lp0pb2;hashtable4;crc64"; got != want {
		t.Errorf("block encoding %q, want %q", got, want)
	}
	if encoding(false, MinDictCap, 10) != encoding(false, DefaultDictCap, parallelMin+1) {
		t.Error("xz settings changed the key of an uncompressed file")
	}
}

func TestDirKeyCoversNames(t *testing.T) {
	kid := func(name, cap string, md map[string]any) keyChild {
		return keyChild{name: name, cap: cap, meta: md}
	}
	md := map[string]any{"uid": "0"}
	base, _ := dirKey("/p", dirMeta, []keyChild{kid("a", "URI:LIT:", md), kid("b", "URI:LIT:x", md)})
	swapped, _ := dirKey("/p", dirMeta, []keyChild{kid("b", "URI:LIT:x", md), kid("a", "URI:LIT:", md)})
	if swapped != base {
		t.Error("child order changed the key")
	}
	for name, kids := range map[string][]keyChild{
		"renamed":  {kid("c", "URI:LIT:", md), kid("b", "URI:LIT:x", md)},
		"swapped":  {kid("b", "URI:LIT:", md), kid("a", "URI:LIT:x", md)},
		"cap":      {kid("a", "URI:LIT:y", md), kid("b", "URI:LIT:x", md)},
		"metadata": {kid("a", "URI:LIT:", map[string]any{"uid": "1"}), kid("b", "URI:LIT:x", md)},
		"missing":  {kid("b", "URI:LIT:x", md)},
	} {
		k, _ := dirKey("/p", dirMeta, kids)
		if k == base {
			t.Errorf("%s: same directory key", name)
		}
	}
	own := dirMeta
	own.Mode = 0o40700
	if k, _ := dirKey("/p", own, []keyChild{kid("a", "URI:LIT:", md), kid("b", "URI:LIT:x", md)}); k == base {
		t.Error("own metadata not in the directory key")
	}
}
