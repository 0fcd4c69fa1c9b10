package treeformat

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/fsmeta"
)

var update = flag.Bool("update", false, "rewrite testdata/edges.json")

const mtime = 1700000000123456789

// edges are one of every kind of entry the uploader writes, with every
// optional key at least once.
var edges = []struct {
	name string
	e    Edge
}{
	{"file", Edge{Meta: fsmeta.Meta{Type: fsmeta.TypeFile, UID: 1000, GID: 100, Mode: 0o100644, Size: 70, MtimeNs: mtime}}},
	{"file xz, caps, ACL, xattrs", Edge{Enc: EncXZ, Meta: fsmeta.Meta{Type: fsmeta.TypeFile, UID: 0, GID: 0, Mode: 0o104755,
		Size: 20000, MtimeNs: mtime, Caps: "cap_net_bind_service,cap_net_raw=ep cap_chown=i",
		ACL:    []string{"u::rwx", "u:1001:r-x", "g::r-x", "m::r-x", "o::---"},
		Xattrs: map[string][]byte{"user.origin": []byte("scanner"), "trusted.b": {0, 255}}}}},
	{"hardlink member, raw name", Edge{Hardlink: "docs/tiny-link", RawName: "caf\xe9.txt",
		Meta: fsmeta.Meta{Type: fsmeta.TypeFile, UID: 1000, GID: 1000, Mode: 0o100600, Size: 3, MtimeNs: mtime}}},
	{"sparse file", Edge{Sparse: true, Holes: []Hole{{0, 4096}, {1 << 20, 63 << 20}},
		Meta: fsmeta.Meta{Type: fsmeta.TypeFile, Mode: 0o100644, Size: 64<<20 + 5, MtimeNs: mtime}}},
	{"sparse file, too many holes to list", Edge{Sparse: true, Meta: fsmeta.Meta{Type: fsmeta.TypeFile, Mode: 0o100644, Size: 1 << 30, MtimeNs: mtime}}},
	{"directory with default ACL", Edge{Meta: fsmeta.Meta{Type: fsmeta.TypeDir, UID: 1000, GID: 1000, Mode: 0o42775, MtimeNs: mtime,
		ACL: []string{"u::rwx", "g::r-x", "o::r-x", "d:u::rwx", "d:g::r-x", "d:o::---"}}}},
	{"wrapper child", WrapperEdge(fsmeta.Meta{Type: fsmeta.TypeDir, UID: 1000, GID: 1000, Mode: 0o40755, MtimeNs: mtime})},
	{"symlink, negative mtime", Edge{Meta: fsmeta.Meta{Type: fsmeta.TypeSymlink, Mode: unix.S_IFLNK | 0o777, MtimeNs: -1500000000}}},
	{"fifo", Edge{Meta: fsmeta.Meta{Type: fsmeta.TypeFIFO, Mode: 0o10600, MtimeNs: mtime}}},
	{"hardlinked symlink", Edge{Hardlink: "snap.0/link", Meta: fsmeta.Meta{Type: fsmeta.TypeSymlink, Mode: unix.S_IFLNK | 0o777, MtimeNs: mtime}}},
	{"hardlinked fifo", Edge{Hardlink: "snap.0/fifo", Meta: fsmeta.Meta{Type: fsmeta.TypeFIFO, Mode: 0o10600, MtimeNs: mtime}}},
	{"hardlinked char device", Edge{Hardlink: "snap.0/null", Meta: fsmeta.Meta{Type: fsmeta.TypeCharDev, Mode: 0o20666, Rdev: unix.Mkdev(1, 3), MtimeNs: mtime}}},
	{"socket", Edge{Meta: fsmeta.Meta{Type: fsmeta.TypeSocket, Mode: 0o140755, MtimeNs: mtime}}},
	{"char device", Edge{Meta: fsmeta.Meta{Type: fsmeta.TypeCharDev, Mode: 0o20666, Rdev: unix.Mkdev(1, 3), MtimeNs: mtime}}},
	{"block device", Edge{Meta: fsmeta.Meta{Type: fsmeta.TypeBlockDev, Mode: 0o60660, Rdev: unix.Mkdev(259, 0x10300), MtimeNs: 0}}},
}

// TestEdgesGolden pins the encoding: testdata/edges.json is what the
// uploader sends for each edge. A change here is a format change.
func TestEdgesGolden(t *testing.T) {
	all := map[string]map[string]any{}
	for _, c := range edges {
		all[c.name] = Encode(c.e)
	}
	got, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	const golden = "testdata/edges.json"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("edge encoding changed (a format change: bump FormatVersion, then go test -update):\n%s", got)
	}
}

// TestRoundTrip: what Encode writes, sent through JSON as the gateway
// returns it, decodes to the same edge.
func TestRoundTrip(t *testing.T) {
	for _, c := range edges {
		data, err := json.Marshal(Encode(c.e))
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var md map[string]any
		if err := dec.Decode(&md); err != nil {
			t.Fatal(err)
		}
		got, err := Decode(md, c.e.Meta.Type == fsmeta.TypeDir, -1)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		want := c.e
		want.Owner, want.SizeKnown = true, c.e.Meta.Type == fsmeta.TypeFile
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, want)
		}
	}
}

func TestEncode(t *testing.T) {
	symMeta := fsmeta.Meta{Type: fsmeta.TypeSymlink, Mode: 0o120777, Caps: "cap_x=ep", MtimeNs: -1500000000}
	sym := Encode(Edge{Meta: symMeta})
	if _, ok := sym["mode"]; ok {
		t.Error("symlink has a mode")
	}
	if _, ok := sym["caps"]; ok {
		t.Error("symlink has caps")
	}
	if sym["mtime"] != -1.5 || sym["mtime_ns"] != "-1500000000" {
		t.Errorf("negative mtime: %v %v", sym["mtime"], sym["mtime_ns"])
	}
	dev := Encode(Edge{Meta: fsmeta.Meta{Type: fsmeta.TypeBlockDev, Mode: 0o60660, Rdev: 0x10300 | 259<<8&0xfff00}})
	if dev["rdev"] != "259:0" || dev["mode"] != "60660" {
		t.Errorf("device: %v", dev)
	}
	for _, md := range []map[string]any{sym, dev} {
		if _, ok := md["tahoe"]; ok {
			t.Error("key tahoe written")
		}
		if _, ok := md["size"]; ok {
			t.Error("size on something other than a regular file")
		}
	}
}

func TestDecodeRefuses(t *testing.T) {
	for _, tc := range []struct {
		md   string
		dir  bool
		want string
	}{
		{`{"rawname":""}`, false, "rawname: empty name"},
		{`{"rawname":"!!"}`, false, "rawname: not base64"},
		{`{"mode":"40755","hardlink":"YQ=="}`, true, "hardlink on a dir"},
		{`{"mode":"40755"}`, false, "a file node whose mode 40755"},
		{`{"mode":"100644"}`, true, "a directory node"},
		{`{"mode":"20644"}`, false, "without rdev"},
		{`{"mode":"100644","enc":"gzip"}`, false, "unknown content encoding"},
	} {
		dec := json.NewDecoder(strings.NewReader(tc.md))
		dec.UseNumber()
		var md map[string]any
		if err := dec.Decode(&md); err != nil {
			t.Fatal(err)
		}
		if _, err := Decode(md, tc.dir, -1); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.md, err, tc.want)
		}
	}
}

func TestIsWrapperChild(t *testing.T) {
	md := Encode(WrapperEdge(fsmeta.Meta{Type: fsmeta.TypeDir, Mode: 0o40755}))
	if !IsWrapperChild(true, md) || IsWrapperChild(false, md) {
		t.Error("the wrapper's child edge not recognised, or recognised on a file")
	}
	if IsWrapperChild(true, Encode(Edge{Meta: fsmeta.Meta{Type: fsmeta.TypeDir, Mode: 0o40755}})) {
		t.Error("a plain directory edge taken for a wrapper child")
	}
}

// TestSparseValues: a hole list is read only when it is one (ascending,
// inside the file, at most MaxHoles); anything else under the key still
// says "sparse" and reads as SparseZeros, and more than MaxHoles holes are
// written as SparseZeros.
func TestSparseValues(t *testing.T) {
	many := make([]Hole, MaxHoles+1)
	for i := range many {
		many[i] = Hole{int64(i) * 8192, 4096}
	}
	if got := Encode(Edge{Holes: many, Meta: fsmeta.Meta{Type: fsmeta.TypeFile}})[KeySparse]; got != SparseZeros {
		t.Errorf("%d holes written as %v", len(many), got)
	}
	for _, tc := range []struct {
		v     any
		holes []Hole
	}{
		{"0:10,20:5", []Hole{{0, 10}, {20, 5}}},
		{"95:5", []Hole{{95, 5}}},
		{"95:6", nil},      // past the end (size 100)
		{"0:10,10:5", nil}, // touching: one hole
		{"20:5,0:10", nil}, // not ascending
		{"0:0", nil},       // empty
		{"-1:5", nil},      // negative
		{"1", nil},         // a bare marker
		{SparseZeros, nil}, // too many to list
		{json.Number("1"), nil},
	} {
		md := map[string]any{"mode": "100644", "size": "100", KeySparse: tc.v}
		e, err := Decode(md, false, -1)
		if err != nil || !e.Sparse || !reflect.DeepEqual(e.Holes, tc.holes) {
			t.Errorf("%v: %+v, %v; want sparse with holes %v", tc.v, e.Holes, err, tc.holes)
		}
	}
}
