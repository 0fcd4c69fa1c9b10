package fsmeta

import (
	"fmt"
	"strconv"
	"strings"
)

// text renders s as libcap's cap_to_text does (libcap 2.66), assuming a
// kernel that knows capNamedBits capabilities, followed by " [rootid=N]"
// when N is not 0, as `getcap -n` prints it.
func (s capSet) text() string {
	var histo [8]int
	for n := range capNamedBits {
		histo[s.flags(n)]++
	}
	// The state most named capabilities share becomes the "=..." prefix;
	// ties prefer fewer flags, as libcap does.
	m := capFlagsAllSet
	for t := capFlagsAllSet - 1; t >= 0; t-- {
		if histo[t] >= histo[m] {
			m = t
		}
	}
	var b strings.Builder
	b.WriteString("=" + flagLetters(m))
	// libcap writes "= a,b+ei" as "a,b=ei": with an empty prefix, the
	// first group drops the "= " and takes "=" as its operator.
	shorten := m == 0
	for t := capFlagsAllSet; t >= 0; t-- {
		if t == m || histo[t] == 0 {
			continue
		}
		if shorten {
			b.Reset()
		} else {
			b.WriteByte(' ')
		}
		b.WriteString(s.namesWith(t, 0, capNamedBits))
		if add := t &^ m; add != 0 {
			op := "+"
			if shorten {
				op, shorten = "=", false
			}
			b.WriteString(op + flagLetters(add))
		}
		if drop := m &^ t; drop != 0 {
			b.WriteString("-" + flagLetters(drop))
		}
	}
	for t := capFlagsAllSet; t >= 1; t-- {
		if names := s.namesWith(t, capNamedBits, capMaxBits); names != "" {
			b.WriteString(" " + names + "+" + flagLetters(t))
		}
	}
	if s.rootID != 0 {
		fmt.Fprintf(&b, " %s%d]", rootIDPrefix, s.rootID)
	}
	return b.String()
}

// namesWith lists, comma-separated, the capabilities in [from, to) whose
// flags are exactly t.
func (s capSet) namesWith(t, from, to int) string {
	var names []string
	for n := from; n < to; n++ {
		if s.flags(n) == t {
			names = append(names, capName(n))
		}
	}
	return strings.Join(names, ",")
}

// parseCapsText parses capability text as libcap's cap_from_text does, plus
// an optional trailing " [rootid=N]" as `getcap -n` prints it.
func parseCapsText(text string) (capSet, error) {
	text, rootID, err := splitRootID(text)
	if err != nil {
		return capSet{}, err
	}
	p := capParser{s: text}
	if err := p.parse(); err != nil {
		return capSet{}, fmt.Errorf("%w: %q: %v", ErrBadCaps, text, err)
	}
	p.set.rootID = rootID
	return p.set, nil
}

func splitRootID(text string) (string, uint32, error) {
	t := strings.TrimRight(text, " \t\n")
	i := strings.LastIndex(t, rootIDPrefix)
	if i < 0 || !strings.HasSuffix(t, "]") {
		return text, 0, nil
	}
	id, err := strconv.ParseUint(t[i+len(rootIDPrefix):len(t)-1], 10, 32)
	if err != nil {
		return "", 0, fmt.Errorf("%w: %q: bad rootid", ErrBadCaps, text)
	}
	return t[:i], uint32(id), nil
}
