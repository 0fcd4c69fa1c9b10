package fsmeta

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestTypeOfModeAndString(t *testing.T) {
	tests := []struct {
		mode uint32
		want Type
		name string
	}{
		{0o100644, TypeFile, "file"},
		{0o040755, TypeDir, "dir"},
		{0o120777, TypeSymlink, "symlink"},
		{0o010644, TypeFIFO, "fifo"},
		{0o140755, TypeSocket, "socket"},
		{0o020660, TypeCharDev, "chardev"},
		{0o060660, TypeBlockDev, "blockdev"},
		{0o104755, TypeFile, "file"},
		{0o000644, 0, "type(0)"},
	}
	for _, tt := range tests {
		got := TypeOfMode(tt.mode)
		if got != tt.want {
			t.Errorf("TypeOfMode(%o) = %v, want %v", tt.mode, got, tt.want)
		}
		if got.String() != tt.name {
			t.Errorf("Type(%d).String() = %q, want %q", got, got.String(), tt.name)
		}
	}
}

func TestTextForms(t *testing.T) {
	m := Meta{Caps: "cap_chown=i cap_kill+p", ACL: []string{"u::rwx", "u:1000:r-x", "g::r-x", "m::r-x", "o::---"}}
	if got, want := m.CapsText(), "cap_chown=i;cap_kill+p"; got != want {
		t.Errorf("CapsText = %q, want %q", got, want)
	}
	if got := ParseCapsText(m.CapsText()); got != m.Caps {
		t.Errorf("ParseCapsText = %q, want %q", got, m.Caps)
	}
	if got, want := m.ACLText(), "u::rwx,u:1000:r-x,g::r-x,m::r-x,o::---"; got != want {
		t.Errorf("ACLText = %q, want %q", got, want)
	}
	if got := ParseACLText(m.ACLText()); !reflect.DeepEqual(got, m.ACL) {
		t.Errorf("ParseACLText = %q, want %q", got, m.ACL)
	}
	if got := ParseACLText(""); got != nil {
		t.Errorf("ParseACLText(\"\") = %q, want nil", got)
	}
}

func TestReadStat(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("hello"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := unix.Chmod(file, 0o4750); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "l")
	if err := os.Symlink("f", link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "p")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(file, filepath.Join(dir, "h")); err != nil {
		t.Fatal(err)
	}

	m, err := Read(file, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(file)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if m.Type != TypeFile || m.Mode != 0o104750 || m.Size != 5 || m.Nlink != 2 ||
		m.Ino != st.Ino || m.UID != st.Uid || m.GID != st.Gid ||
		m.MtimeNs != fi.ModTime().UnixNano() || m.Rdev != 0 {
		t.Errorf("Read(file) = %+v, stat %+v", m, st)
	}

	m, err = Read(link, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != TypeSymlink || m.Size != 1 || m.Caps != "" || m.ACL != nil {
		t.Errorf("Read(symlink) = %+v", m)
	}

	m, err = Read(fifo, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != TypeFIFO || m.Mode != unix.S_IFIFO|0o600 {
		t.Errorf("Read(fifo) = %+v", m)
	}

	_, err = Read(filepath.Join(dir, "missing"), Options{})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read(missing) err = %v, want not-exist", err)
	}
}
