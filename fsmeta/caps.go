package fsmeta

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The security.capability xattr (include/uapi/linux/capability.h).
const (
	capXattr       = "security.capability"
	capRevMask     = 0xFF000000
	capRev1        = 0x01000000
	capRev2        = 0x02000000
	capRev3        = 0x03000000
	capFlagsEff    = 0x000001
	capSize1       = 4 + 1*8
	capSize2       = 4 + 2*8
	capSize3       = 4 + 2*8 + 4
	capMaxBits     = 64 // bits a v2/v3 xattr can hold
	capNamedBits   = 41 // cap_chown (0) .. cap_checkpoint_restore (40)
	capAllNamed    = uint64(1)<<capNamedBits - 1
	rootIDPrefix   = "[rootid="
	capFlagEff     = 1 // libcap's LIBCAP_EFF
	capFlagInh     = 4 // LIBCAP_INH
	capFlagPerm    = 2 // LIBCAP_PER (libcap 2.66 values: they set the order of groups)
	capFlagsAllSet = 7
)

// capNames is libcap's name table, indexed by capability number.
var capNames = [capNamedBits]string{
	"cap_chown", "cap_dac_override", "cap_dac_read_search", "cap_fowner",
	"cap_fsetid", "cap_kill", "cap_setgid", "cap_setuid", "cap_setpcap",
	"cap_linux_immutable", "cap_net_bind_service", "cap_net_broadcast",
	"cap_net_admin", "cap_net_raw", "cap_ipc_lock", "cap_ipc_owner",
	"cap_sys_module", "cap_sys_rawio", "cap_sys_chroot", "cap_sys_ptrace",
	"cap_sys_pacct", "cap_sys_admin", "cap_sys_boot", "cap_sys_nice",
	"cap_sys_resource", "cap_sys_time", "cap_sys_tty_config", "cap_mknod",
	"cap_lease", "cap_audit_write", "cap_audit_control", "cap_setfcap",
	"cap_mac_override", "cap_mac_admin", "cap_syslog", "cap_wake_alarm",
	"cap_block_suspend", "cap_audit_read", "cap_perfmon", "cap_bpf",
	"cap_checkpoint_restore",
}

// capSet is a file capability state as libcap holds it after cap_get_file:
// the effective set is expanded from the single on-disk bit.
type capSet struct {
	eff, perm, inh uint64
	rootID         uint32
}

// ErrBadCaps reports a security.capability value or capability text that
// cannot be decoded.
var ErrBadCaps = errors.New("fsmeta: bad file capabilities")

// DecodeCaps turns a security.capability xattr value (v1, v2 or v3) into the
// text `getcap -n` prints for it, e.g. "cap_net_raw=ep" or
// "cap_chown=ep [rootid=1000]".
func DecodeCaps(b []byte) (string, error) {
	s, err := parseCapsXattr(b)
	if err != nil {
		return "", err
	}
	return s.text(), nil
}

func parseCapsXattr(b []byte) (capSet, error) {
	if len(b) < 4 {
		return capSet{}, fmt.Errorf("%w: %d bytes", ErrBadCaps, len(b))
	}
	magic := binary.LittleEndian.Uint32(b)
	words, size := 2, capSize2
	switch magic & capRevMask {
	case capRev1:
		words, size = 1, capSize1
	case capRev2:
	case capRev3:
		size = capSize3
	default:
		return capSet{}, fmt.Errorf("%w: revision %#x", ErrBadCaps, magic&capRevMask)
	}
	if len(b) != size {
		return capSet{}, fmt.Errorf("%w: %d bytes for revision %#x", ErrBadCaps, len(b), magic&capRevMask)
	}
	var s capSet
	for i := range words {
		off := 4 + 8*i
		s.perm |= uint64(binary.LittleEndian.Uint32(b[off:])) << (32 * i)
		s.inh |= uint64(binary.LittleEndian.Uint32(b[off+4:])) << (32 * i)
	}
	if magic&capFlagsEff != 0 {
		s.eff = s.perm | s.inh
	}
	if size == capSize3 {
		s.rootID = binary.LittleEndian.Uint32(b[capSize2:])
	}
	return s, nil
}

// EncodeCaps turns capability text, in any form libcap's cap_from_text
// accepts ("cap_net_raw=ep", "= cap_net_raw+ep", "all=p cap_chown-p"),
// optionally followed by " [rootid=N]", into a security.capability value:
// v2, or v3 when a non-zero rootid is given. "" gives nil.
func EncodeCaps(text string) ([]byte, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	s, err := parseCapsText(text)
	if err != nil {
		return nil, err
	}
	return s.xattr()
}

// CanonicalCaps rewrites capability text in the form `getcap -n` prints, so
// that texts written by different libcap versions compare equal.
func CanonicalCaps(text string) (string, error) {
	if strings.TrimSpace(text) == "" {
		return "", nil
	}
	s, err := parseCapsText(text)
	if err != nil {
		return "", err
	}
	return s.text(), nil
}

func (s capSet) xattr() ([]byte, error) {
	if s.eff != 0 && ^s.eff&(s.perm|s.inh) != 0 {
		return nil, fmt.Errorf("%w: a file's effective set must be empty or hold every permitted and inheritable capability", ErrBadCaps)
	}
	magic := uint32(capRev2)
	size := capSize2
	if s.rootID != 0 {
		magic, size = capRev3, capSize3
	}
	if s.eff != 0 {
		magic |= capFlagsEff
	}
	b := make([]byte, size)
	binary.LittleEndian.PutUint32(b, magic)
	for i := range 2 {
		off := 4 + 8*i
		binary.LittleEndian.PutUint32(b[off:], uint32(s.perm>>(32*i)))
		binary.LittleEndian.PutUint32(b[off+4:], uint32(s.inh>>(32*i)))
	}
	if s.rootID != 0 {
		binary.LittleEndian.PutUint32(b[capSize2:], s.rootID)
	}
	return b, nil
}

// flags returns which of the three sets hold capability n, as libcap's
// getstateflags does.
func (s capSet) flags(n int) int {
	bit := uint64(1) << n
	f := 0
	if s.eff&bit != 0 {
		f |= capFlagEff
	}
	if s.perm&bit != 0 {
		f |= capFlagPerm
	}
	if s.inh&bit != 0 {
		f |= capFlagInh
	}
	return f
}

func flagLetters(f int) string {
	var b strings.Builder
	if f&capFlagEff != 0 {
		b.WriteByte('e')
	}
	if f&capFlagInh != 0 {
		b.WriteByte('i')
	}
	if f&capFlagPerm != 0 {
		b.WriteByte('p')
	}
	return b.String()
}

func capName(n int) string {
	if n < capNamedBits {
		return capNames[n]
	}
	return strconv.Itoa(n)
}
