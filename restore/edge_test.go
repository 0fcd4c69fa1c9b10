package restore

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/fsmeta"
	"github.com/lafs-backup/lafs-backup/lafsapi"
)

// node decodes a child as the gateway's ?t=json shows it (numbers as
// json.Number, as lafsapi decodes them).
func node(t *testing.T, typ, metadata string) lafsapi.Node {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(metadata))
	dec.UseNumber()
	var md map[string]any
	if err := dec.Decode(&md); err != nil {
		t.Fatal(err)
	}
	return lafsapi.Node{Type: typ, Metadata: md, Size: 7}
}

func TestParseEntry(t *testing.T) {
	tests := []struct {
		name, typ, md string
		want          entry // node is not compared
		err           string
	}{
		{name: "spec file", typ: "filenode",
			md: `{"uid":"1000","gid":"100","mode":"104755","caps":"cap_chown,cap_kill=ep;cap_net_raw+i","acls":"u::rwx,u:7:r-x,g::r-x,m::r-x,o::r-x","enc":"xz","mtime":1700000000.1234567,"mtime_ns":"1700000000123456789","size":"307200","xattrs":{"user.a":"aGk=","trusted.b":""}}`,
			want: entry{name: "spec file", owner: true, enc: "xz", size: 307200, meta: fsmeta.Meta{Type: fsmeta.TypeFile, UID: 1000, GID: 100, Mode: 0o104755,
				Caps: "cap_chown,cap_kill=ep cap_net_raw+i", ACL: []string{"u::rwx", "u:7:r-x", "g::r-x", "m::r-x", "o::r-x"},
				MtimeNs: 1700000000123456789, Size: 307200, Xattrs: map[string][]byte{"user.a": []byte("hi"), "trusted.b": {}}}}},
		{name: "x", typ: "filenode", md: `{"mode":"100644","rawname":"YmFk/w==","hardlink":"ZGlyL2ZpcnN0","size":"7"}`,
			want: entry{name: "bad\xff", size: 7, hardlink: "dir/first", meta: fsmeta.Meta{Type: fsmeta.TypeFile, Mode: 0o100644, Size: 7}}},
		{name: "dev", typ: "filenode", md: `{"mode":"60640","rdev":"7:1","mtime":1.5}`,
			want: entry{name: "dev", size: 7, meta: fsmeta.Meta{Type: fsmeta.TypeBlockDev, Mode: 0o60640, Rdev: unix.Mkdev(7, 1), MtimeNs: 1500000000, Size: 7}}},
		// A hard-linked symlink (rsync --link-dest): a group member too.
		{name: "hl", typ: "filenode", md: `{"hardlink":"YQ=="}`,
			want: entry{name: "hl", size: 7, hardlink: "a", meta: fsmeta.Meta{Type: fsmeta.TypeSymlink, Mode: unix.S_IFLNK | 0o777, Size: 7}}},
		{name: "fifo", typ: "filenode", md: `{"mode":"10600","sparse":"x"}`,
			want: entry{name: "fifo", size: 7, sparse: true, meta: fsmeta.Meta{Type: fsmeta.TypeFIFO, Mode: 0o10600, Size: 7}}},
		// The original tool: symlink = no mode (caps of the target ignored).
		{name: "sl", typ: "filenode", md: `{"uid":"0","gid":"0","caps":"=;cap_net_raw+ep"}`,
			want: entry{name: "sl", owner: true, size: 7, meta: fsmeta.Meta{Type: fsmeta.TypeSymlink, Mode: unix.S_IFLNK | 0o777, Size: 7}}},
		{name: "orig", typ: "filenode", md: `{"uid":"0","gid":"0","mode":"102750","caps":"=;cap_dac_read_search+i","enc":"xz"}`,
			want: entry{name: "orig", owner: true, enc: "xz", size: -1, meta: fsmeta.Meta{Type: fsmeta.TypeFile, Mode: 0o102750, Caps: "= cap_dac_read_search+i"}}},
		{name: "d", typ: "dirnode", md: `{"mode":"42775","acls":"u::rwx,d:u:bob:rwx"}`,
			want: entry{name: "d", size: 7, meta: fsmeta.Meta{Type: fsmeta.TypeDir, Mode: 0o42775, ACL: []string{"u::rwx", "d:u:bob:rwx"}, Size: 7}}},
		{name: "d2", typ: "dirnode", md: `{}`,
			want: entry{name: "d2", size: 7, meta: fsmeta.Meta{Type: fsmeta.TypeDir, Mode: 0o40755, Size: 7}}},

		{name: "..", typ: "filenode", md: `{"mode":"100644"}`, err: `refused: name ".."`},
		{name: "a/b", typ: "filenode", md: `{"mode":"100644"}`, err: "contains '/'"},
		{name: "ok", typ: "filenode", md: `{"rawname":"Li4="}`, err: `rawname: refused: name ".."`},
		{name: "ok", typ: "filenode", md: `{"rawname":"YQBi"}`, err: "contains NUL"},
		{name: "ok", typ: "filenode", md: `{"rawname":""}`, err: "empty name"},
		{name: "ok", typ: "filenode", md: `{"rawname":"!!"}`, err: "rawname: not base64"},
		{name: "ok", typ: "filenode", md: `{"mode":"40755"}`, err: "a file node whose mode 40755"},
		{name: "ok", typ: "dirnode", md: `{"mode":"100644"}`, err: "a directory node"},
		{name: "ok", typ: "unknown", md: `{}`, err: "unknown type"},
		{name: "ok", typ: "filenode", md: `{"mode":"9x"}`, err: "not an octal mode"},
		{name: "ok", typ: "filenode", md: `{"mode":"100644","uid":"-1"}`, err: `"uid"`},
		{name: "ok", typ: "filenode", md: `{"mode":"100644","uid":"4294967296"}`, err: `"uid"`},
		{name: "ok", typ: "filenode", md: `{"mode":"100644","enc":"gzip"}`, err: "unknown content encoding"},
		{name: "ok", typ: "filenode", md: `{"mode":"20644"}`, err: "without rdev"},
		{name: "ok", typ: "filenode", md: `{"mode":"20644","rdev":"1"}`, err: "not major:minor"},
		{name: "ok", typ: "filenode", md: `{"mode":"100644","xattrs":{"user.a":"%%"}}`, err: "not base64"},
		{name: "ok", typ: "filenode", md: `{"mode":"100644","mtime_ns":"soon"}`, err: "mtime_ns"},
		{name: "ok", typ: "filenode", md: `{"mode":"100644","mtime":true}`, err: "mtime"},
		{name: "ok", typ: "filenode", md: `{"mode":"100644","acls":7}`, err: "not a string"},
		{name: "ok", typ: "dirnode", md: `{"mode":"40755","hardlink":"YQ=="}`, err: "hardlink on a dir"},
	}
	for _, tc := range tests {
		got, err := parseEntry(tc.name, node(t, tc.typ, tc.md))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s %s: error %v, want %q", tc.name, tc.md, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		got.node, got.gridName = lafsapi.Node{}, ""
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}

// TestParseUploaderGolden reads the uploader's golden ?t=json tree when it
// is there (written by package uploader): every entry must parse.
func TestParseUploaderGolden(t *testing.T) {
	data, err := os.ReadFile("../uploader/testdata/tree.json")
	if err != nil {
		t.Fatalf("the uploader's golden tree: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	var tree map[string]any
	if err := dec.Decode(&tree); err != nil {
		t.Fatal(err)
	}
	n := 0
	var walk func(name string, v map[string]any)
	walk = func(name string, v map[string]any) {
		typ, _ := v["type"].(string)
		md, _ := v["metadata"].(map[string]any)
		if md != nil {
			if _, err := parseEntry(name, lafsapi.Node{Type: typ, Metadata: md, Size: -1}); err != nil {
				t.Errorf("%q: %v", name, err)
			}
			n++
		}
		kids, _ := v["children"].(map[string]any)
		for k, c := range kids {
			walk(k, c.(map[string]any))
		}
	}
	for k, v := range tree {
		walk(k, v.(map[string]any))
	}
	if n == 0 {
		t.Error("no entries in the golden tree")
	}
}

func TestModeFromMask(t *testing.T) {
	for _, tc := range []struct {
		mode uint32
		acl  []string
		want uint32
	}{
		{0o100640, nil, 0o100640},
		{0o100640, []string{"u::rw-", "u:bob:rwx", "g::r--", "m::rwx", "o::---"}, 0o100670},
		{0o40755, []string{"u::rwx", "g::r-x", "mask::--x", "o::r-x", "d:m::rwx"}, 0o40715},
	} {
		if got := modeFromMask(tc.mode, tc.acl); got != tc.want {
			t.Errorf("%o %v: %o, want %o", tc.mode, tc.acl, got, tc.want)
		}
	}
}
