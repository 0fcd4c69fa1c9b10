package fsmeta

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/lafs-backup/lafs-backup/internal/needs"
)

// getfaclShort runs getfacl -n and converts its long form to the short
// form Meta.ACL uses, nil when it prints only the three base entries.
func getfaclShort(t *testing.T, path string) []string {
	t.Helper()
	out := run(t, "getfacl", "-n", "-c", "-E", path)
	repl := strings.NewReplacer("default:", "d:", "user:", "u:", "group:", "g:", "mask:", "m:", "other:", "o:")
	var acl []string
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		if line != "" {
			acl = append(acl, repl.Replace(line))
		}
	}
	if len(acl) == 3 {
		return nil
	}
	return acl
}

func TestReadACLAgainstGetfacl(t *testing.T) {
	needRootTools(t, "getfacl", "setfacl")
	dir := t.TempDir()
	tests := []struct {
		name string
		dir  bool
		mode uint32
		args []string // setfacl arguments; none: plain file
	}{
		{"plain", false, 0o644, nil},
		{"named", false, 0o755, []string{"-m", "u:1000:rwx,g:50:r--"}},
		{"many", false, 0o640, []string{"-m", "u:3:r,u:1:rw,u:70000:x,g:2:rx,g:1:w,m::rwx"}},
		{"maskonly", false, 0o660, []string{"-m", "m::r"}},
		{"setuid", false, 0o4755, []string{"-m", "u:1000:r"}},
		{"removed", false, 0o644, []string{"-m", "u:1000:r", "-x", "u:1000"}},
		{"dplain", true, 0o755, nil},
		{"ddefault", true, 0o2775, []string{"-d", "-m", "u:1000:rwx,g:50:rx"}},
		{"ddefaultonly", true, 0o750, []string{"-d", "-m", "o::r"}},
		{"dboth", true, 0o1777, []string{"-m", "g:50:rwx", "-d", "-m", "u::rwx,g::---,o::---"}},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, tt.name)
		if tt.dir {
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		} else {
			touch(t, path)
		}
		if err := unix.Chmod(path, tt.mode); err != nil {
			t.Fatal(err)
		}
		if tt.args != nil {
			run(t, "setfacl", append(tt.args, path)...)
		}
		m, err := Read(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := getfaclShort(t, path)
		if !reflect.DeepEqual(m.ACL, want) {
			t.Errorf("%s: Read ACL = %q; getfacl -n = %q", tt.name, m.ACL, want)
		}
		if m.Mode&0o7000 != tt.mode&0o7000 {
			t.Errorf("%s: mode %o lost special bits of %o", tt.name, m.Mode, tt.mode)
		}
	}
}

func TestReadCapsXattrsSymlink(t *testing.T) {
	needRootTools(t, "getcap", "setcap", "setfattr")
	dir := t.TempDir()
	file := filepath.Join(dir, "bin")
	link := filepath.Join(dir, "link")
	touch(t, file)
	if err := os.Symlink("bin", link); err != nil {
		t.Fatal(err)
	}
	run(t, "setcap", "cap_net_admin,cap_net_raw=ep cap_sys_time=ei", file)
	run(t, "setfattr", "-n", "user.note", "-v", "hello", file)
	run(t, "setfattr", "-n", "trusted.bin", "-v", "0x00ff00", file)
	run(t, "setfattr", "-h", "-n", "trusted.link", "-v", "x", link)

	m, err := Read(file, Options{Xattrs: true})
	if err != nil {
		t.Fatal(err)
	}
	getcap := strings.TrimSpace(strings.TrimPrefix(run(t, "getcap", "-n", file), file))
	if m.Caps != getcap || m.Caps != "cap_sys_time=ei cap_net_admin,cap_net_raw+ep" {
		t.Errorf("Caps = %q; getcap -n = %q", m.Caps, getcap)
	}
	wantX := map[string][]byte{"user.note": []byte("hello"), "trusted.bin": {0, 0xff, 0}}
	if !reflect.DeepEqual(m.Xattrs, wantX) {
		t.Errorf("Xattrs = %q; want %q", m.Xattrs, wantX)
	}
	if m2, err := Read(file, Options{}); err != nil || m2.Xattrs != nil || m2.Caps != m.Caps {
		t.Errorf("Read without Xattrs = %+v, %v", m2, err)
	}

	l, err := Read(link, Options{Xattrs: true})
	if err != nil {
		t.Fatal(err)
	}
	if l.Type != TypeSymlink || l.Caps != "" || l.ACL != nil {
		t.Errorf("symlink took its target's metadata: %+v", l)
	}
	if !reflect.DeepEqual(l.Xattrs, map[string][]byte{"trusted.link": []byte("x")}) {
		t.Errorf("symlink Xattrs = %q", l.Xattrs)
	}
}

// TestReadManyXattrs: more names than the first listxattr buffer holds
// (4 KiB) and a value larger than it. ext4 keeps all of an inode's xattrs
// in one 4 KiB block, so this runs on a tmpfs, which does not.
func TestReadManyXattrs(t *testing.T) {
	needRootTools(t)
	file := filepath.Join(tmpfsDir(t), "f")
	touch(t, file)
	big := []byte(strings.Repeat("v", 60000))
	want := map[string][]byte{}
	for i := range 100 { // about 7 KiB of names
		name := "user.attribute-with-a-long-name-" + strings.Repeat("x", i%40) + strconv.Itoa(i)
		want[name] = big[:100*i%3000]
		if err := unix.Setxattr(file, name, want[name], 0); err != nil {
			t.Fatal(err)
		}
	}
	want["user.big"] = big
	if err := unix.Setxattr(file, "user.big", big, 0); err != nil {
		t.Fatal(err)
	}
	m, err := Read(file, Options{Xattrs: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Xattrs) != len(want) {
		t.Fatalf("read %d xattrs, want %d", len(m.Xattrs), len(want))
	}
	for k, v := range want {
		if string(m.Xattrs[k]) != string(v) {
			t.Errorf("xattr %s: %d bytes, want %d", k, len(m.Xattrs[k]), len(v))
		}
	}
}

// tmpfsDir mounts a small tmpfs for the test (root).
func tmpfsDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=8m"); err != nil {
		needs.Unmet(t, "mount a tmpfs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}
