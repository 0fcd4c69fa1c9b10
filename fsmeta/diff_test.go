package fsmeta

import (
	"reflect"
	"testing"
	"time"
)

func TestDiff(t *testing.T) {
	base := Meta{
		Type: TypeFile, UID: 1000, GID: 50, Mode: 0o104755, Size: 10,
		MtimeNs: 1_700_000_000_123_456_789, Ino: 1, Dev: 2, Nlink: 1,
		Caps: "cap_net_raw=ep", ACL: []string{"u::rwx", "u:1000:r-x", "g::r-x", "m::r-x", "o::r-x"},
		Xattrs: map[string][]byte{"user.a": []byte("1")},
	}
	with := func(f func(*Meta)) Meta {
		m := base
		f(&m)
		return m
	}
	tests := []struct {
		name string
		b    Meta
		o    DiffOptions
		want []Difference
	}{
		{"same", base, DiffOptions{Xattrs: true}, nil},
		{"inode and links ignored", with(func(m *Meta) { m.Ino, m.Dev, m.Nlink = 9, 9, 9 }), DiffOptions{}, nil},
		{"type", with(func(m *Meta) { m.Type, m.Mode = TypeDir, 0o40755 }), DiffOptions{},
			[]Difference{{"type", "file", "dir"}}},
		{"size and mode", with(func(m *Meta) { m.Size, m.Mode = 11, 0o100755 }), DiffOptions{},
			[]Difference{{"size", "10", "11"}, {"mode", "4755", "0755"}}},
		{"owner", with(func(m *Meta) { m.UID, m.GID = 0, 0 }), DiffOptions{},
			[]Difference{{"uid", "1000", "0"}, {"gid", "50", "0"}}},
		{"owner ignored", with(func(m *Meta) { m.UID = 0 }), DiffOptions{IgnoreOwner: true}, nil},
		{"caps in the original's form", with(func(m *Meta) { m.Caps = "= cap_net_raw+ep" }), DiffOptions{}, nil},
		{"caps", with(func(m *Meta) { m.Caps = "" }), DiffOptions{},
			[]Difference{{"caps", "cap_net_raw=ep", ""}}},
		{"acl order and long form", with(func(m *Meta) {
			m.ACL = []string{"user::rwx", "group::r-x", "mask::r-x", "other::r-x", "user:1000:r-x"}
		}), DiffOptions{}, nil},
		{"acl", with(func(m *Meta) { m.ACL = nil }), DiffOptions{},
			[]Difference{{"acl", "u::rwx,u:1000:r-x,g::r-x,m::r-x,o::r-x", ""}}},
		{"mtime", with(func(m *Meta) { m.MtimeNs++ }), DiffOptions{},
			[]Difference{{"mtime", "2023-11-14T22:13:20.123456789Z", "2023-11-14T22:13:20.12345679Z"}}},
		{"mtime coarse", with(func(m *Meta) { m.MtimeNs += 1000 }), DiffOptions{MtimeGranularity: time.Millisecond}, nil},
		{"mtime ignored", with(func(m *Meta) { m.MtimeNs = 0 }), DiffOptions{IgnoreMtime: true}, nil},
		{"xattrs", with(func(m *Meta) { m.Xattrs = map[string][]byte{"user.a": []byte("2"), "user.b": nil} }),
			DiffOptions{Xattrs: true},
			[]Difference{{"xattr user.a", `"1"`, `"2"`}, {"xattr user.b", "(absent)", `""`}}},
		{"xattrs not compared", with(func(m *Meta) { m.Xattrs = nil }), DiffOptions{}, nil},
	}
	for _, tt := range tests {
		if got := Diff(base, tt.b, tt.o); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Diff = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestDiffSymlinkAndDevice(t *testing.T) {
	a := Meta{Type: TypeSymlink, Mode: 0o120777, Size: 3}
	b := Meta{Type: TypeSymlink, Mode: 0o120755, Size: 4}
	if d := Diff(a, b, DiffOptions{}); d != nil {
		t.Errorf("symlinks: Diff = %q, want nil (mode and size are not compared)", d)
	}
	c := Meta{Type: TypeCharDev, Mode: 0o20660, Rdev: 0x0103}
	e := c
	e.Rdev = 0x0105
	want := []Difference{{"rdev", "259", "261"}}
	if d := Diff(c, e, DiffOptions{}); !reflect.DeepEqual(d, want) {
		t.Errorf("devices: Diff = %q, want %q", d, want)
	}
	if s := want[0].String(); s != "rdev: 259 != 261" {
		t.Errorf("String = %q", s)
	}
}

func TestDiffACLNames(t *testing.T) {
	r := testResolver(t)
	a := Meta{Type: TypeFile, ACL: []string{"u::rwx", "u:alice:r-x", "g::r-x", "m::r-x", "o::r-x"}}
	b := Meta{Type: TypeFile, ACL: []string{"u::rwx", "u:1000:r-x", "g::r-x", "m::r-x", "o::r-x"}}
	if d := Diff(a, b, DiffOptions{Resolver: r}); d != nil {
		t.Errorf("with resolver: Diff = %q", d)
	}
	if d := Diff(a, b, DiffOptions{}); len(d) != 1 || d[0].Field != "acl" {
		t.Errorf("without resolver: Diff = %q, want one acl difference", d)
	}
}
