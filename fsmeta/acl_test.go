package fsmeta

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Measured with setfacl -m u:1000:rwx,g:50:r-- on a 0755 file.
const aclGoldenHex = "02000000" + "01000700ffffffff" + "02000700e8030000" + "04000500ffffffff" +
	"0800040032000000" + "10000700ffffffff" + "20000500ffffffff"

var aclGoldenText = []string{"u::rwx", "u:1000:rwx", "g::r-x", "g:50:r--", "m::rwx", "o::r-x"}

func TestDecodeACLGolden(t *testing.T) {
	got, err := DecodeACL(mustHex(t, aclGoldenHex))
	if err != nil || !reflect.DeepEqual(got, aclGoldenText) {
		t.Fatalf("DecodeACL = %q, %v; want %q", got, err, aclGoldenText)
	}
	enc, err := EncodeACL(aclGoldenText, nil)
	if err != nil || hex.EncodeToString(enc) != aclGoldenHex {
		t.Fatalf("EncodeACL = %x, %v; want %s", enc, err, aclGoldenHex)
	}
}

func TestDecodeACLSortsAndIgnoresObjIDs(t *testing.T) {
	// Entries out of order, and an object entry with a stray id.
	in := "02000000" + "20000400ffffffff" + "02000600e9030000" + "02000700e8030000" +
		"01000700ffffffff" + "10000600ffffffff" + "0400040007000000"
	want := []string{"u::rwx", "u:1000:rwx", "u:1001:rw-", "g::r--", "m::rw-", "o::r--"}
	got, err := DecodeACL(mustHex(t, in))
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("DecodeACL = %q, %v; want %q", got, err, want)
	}
}

func TestDecodeACLBad(t *testing.T) {
	for _, h := range []string{
		"",
		"020000",
		"03000000" + "01000700ffffffff", // version
		"02000000" + "01000700ffff",     // partial entry
		"02000000" + "40000700ffffffff", // unknown tag
		"02000000" + "01000f00ffffffff", // unknown perm bits
		"02000000" + "01000700ffffffff" + "03000700ffffffff", // tag 3
	} {
		if got, err := DecodeACL(mustHex(t, h)); !errors.Is(err, ErrBadACL) {
			t.Errorf("DecodeACL(%s) = %q, %v; want ErrBadACL", h, got, err)
		}
	}
}

func TestEncodeACLForms(t *testing.T) {
	r := testResolver(t)
	tests := []struct {
		in   string
		want string // canonical text
	}{
		{"user::rwx,user:alice:r-x,group::r--,group:staff:rw-,mask::rwx,other::---",
			"u::rwx,u:1000:r-x,g::r--,g:50:rw-,m::rwx,o::---"},
		{"o::r,m::rx,g::r,u::rw,u:1001:w", "u::rw-,u:1001:-w-,g::r--,m::r-x,o::r--"},
		{"u::rwx,g::r-x,o:r-x", "u::rwx,g::r-x,o::r-x"},
		{"u::rwx,u:a\\040b:rwx,g::---,m:rwx,o::---", "u::rwx,u:1002:rwx,g::---,m::rwx,o::---"},
		{"u::rwx,u:4000000000:r--,g::---,m::r--,o::---", "u::rwx,u:4000000000:r--,g::---,m::r--,o::---"},
	}
	for _, tt := range tests {
		b, err := EncodeACL(strings.Split(tt.in, ","), r)
		if err != nil {
			t.Errorf("EncodeACL(%q): %v", tt.in, err)
			continue
		}
		got, err := DecodeACL(b)
		if err != nil || strings.Join(got, ",") != tt.want {
			t.Errorf("EncodeACL(%q) decodes to %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestEncodeACLErrors(t *testing.T) {
	r := testResolver(t)
	tests := []struct{ in, errText string }{
		{"u::rwx,g::r-x", "exactly one o::"},
		{"u::rwx,u::r--,g::r-x,o::---", "duplicate entry u::"},
		{"g::r-x,o::---", "exactly one u::"},
		{"u::rwx,u:1000:r--,g::r-x,o::---", "need a m::"},
		{"u::rwx,u:1000:r--,u:1000:rwx,g::r-x,m::rwx,o::---", "duplicate"},
		{"u::rwx,g::r-x,m::rwx,m::r--,o::---", "duplicate entry m::"},
		{"u::rwx,u:bob:r--,g::r-x,m::rwx,o::---", `unknown name: user "bob"`},
		{"u::rwx,g:nogroup:r--,g::r-x,m::rwx,o::---", `unknown name: group "nogroup"`},
		{"u::rwz,g::r-x,o::---", "bad permissions"},
		{"u::rrx,g::r-x,o::---", "bad permissions"},
		{"u::,g::r-x,o::---", "bad permissions"},
		{"x::rwx,g::r-x,o::---", `entry "x::rwx"`},
		{"u:rwx,g::r-x,o::---", `entry "u:rwx"`},
		{"m:1:rwx,u::rwx,g::r-x,o::---", `entry "m:1:rwx"`},
		{"u::rwx:x,g::r-x,o::---", `entry "u::rwx:x"`},
	}
	for _, tt := range tests {
		_, err := EncodeACL(strings.Split(tt.in, ","), r)
		if !errors.Is(err, ErrBadACL) || !strings.Contains(err.Error(), tt.errText) {
			t.Errorf("EncodeACL(%q) err = %v; want ErrBadACL containing %q", tt.in, err, tt.errText)
		}
	}
	if _, err := EncodeACL([]string{"u::rwx", "u:alice:rwx", "g::---", "m::rwx", "o::---"}, nil); err == nil ||
		!strings.Contains(err.Error(), "needs a Resolver") {
		t.Errorf("EncodeACL with a name and no resolver: err = %v", err)
	}
}

func TestNormalizeACL(t *testing.T) {
	r := testResolver(t)
	tests := []struct{ in, want string }{
		{"", ""},
		{"u::rwx,g::r-x,o::r-x", ""},
		{"user::rwx,group::r-x,other::r-x,default:user::rwx,default:group::r-x,default:other::---",
			"u::rwx,g::r-x,o::r-x,d:u::rwx,d:g::r-x,d:o::---"},
		{"u::rwx,u:alice:rwx,g::r-x,m::rwx,o::r-x,d:u::rwx,d:g:staff:r-x,d:g::r-x,d:m::r-x,d:o::---",
			"u::rwx,u:1000:rwx,g::r-x,m::rwx,o::r-x,d:u::rwx,d:g::r-x,d:g:50:r-x,d:m::r-x,d:o::---"},
		{"u::rw-,g::r--,m::r--,o::---", "u::rw-,g::r--,m::r--,o::---"},
	}
	for _, tt := range tests {
		got, err := NormalizeACL(ParseACLText(tt.in), r)
		if err != nil || strings.Join(got, ",") != tt.want || (tt.want == "" && got != nil) {
			t.Errorf("NormalizeACL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func testResolver(t *testing.T) *Resolver {
	t.Helper()
	root := t.TempDir()
	etc := filepath.Join(root, "etc")
	if err := os.Mkdir(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	passwd := "# comment\nroot:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n" +
		"bob:x:notanumber:1::/:/bin/sh\na b:x:1002:1002::/:/bin/sh\nalice:x:2000:2000::/:/bin/sh\n+nis::::::\n"
	group := "root:x:0:\nstaff:x:50:alice\nbroken\n"
	for name, body := range map[string]string{"passwd": passwd, "group": group} {
		if err := os.WriteFile(filepath.Join(etc, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return NewResolver(root)
}

func TestResolver(t *testing.T) {
	r := testResolver(t)
	if id, err := r.User("alice"); err != nil || id != 1000 {
		t.Errorf("User(alice) = %d, %v; want 1000 (first line wins)", id, err)
	}
	if id, err := r.Group("staff"); err != nil || id != 50 {
		t.Errorf("Group(staff) = %d, %v", id, err)
	}
	for _, name := range []string{"bob", "nis", "+nis", "staff"} {
		if _, err := r.User(name); !errors.Is(err, ErrUnknownName) {
			t.Errorf("User(%q) err = %v; want ErrUnknownName", name, err)
		}
	}
	empty := NewResolver(t.TempDir())
	if _, err := empty.Group("root"); !errors.Is(err, ErrUnknownName) {
		t.Errorf("missing group file: err = %v", err)
	}
}
