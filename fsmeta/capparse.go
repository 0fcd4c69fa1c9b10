package fsmeta

import (
	"errors"
	"strconv"
	"strings"
)

// capParser follows libcap's cap_from_text clause by clause: a clause is
// an optional comma-separated list of capability names or numbers ("all"
// and an empty list mean every named capability), then one or more
// operator/flags actions: "=eip", "+ep", "-i", and "=+"/"=-".
type capParser struct {
	s   string
	set capSet
}

var errCapSyntax = errors.New("syntax error")

func (p *capParser) parse() error {
	for {
		p.s = strings.TrimLeft(p.s, " \t\n\r\v\f")
		if p.s == "" {
			return nil
		}
		list, listed, err := p.list()
		if err != nil {
			return err
		}
		if err := p.actions(list, listed); err != nil {
			return err
		}
	}
}

func (p *capParser) list() (uint64, bool, error) {
	if p.s == "" || !isCapNameStart(p.s[0]) {
		if p.s != "" && (p.s[0] == '+' || p.s[0] == '-') {
			return 0, false, errors.New("+ and - need a list of capabilities")
		}
		return capAllNamed, false, nil
	}
	var list uint64
	for {
		n, rest, err := lookupCap(p.s)
		if err != nil {
			return 0, false, err
		}
		list |= n
		p.s = rest
		if p.s == "" || p.s[0] != ',' {
			return list, true, nil
		}
		p.s = p.s[1:]
		if p.s == "" || !isCapNameStart(p.s[0]) {
			return 0, false, errCapSyntax
		}
	}
}

func (p *capParser) actions(list uint64, listed bool) error {
	if p.s == "" {
		return errCapSyntax
	}
	op := p.s[0]
	p.s = p.s[1:]
	switch {
	case op == '=' && p.s != "" && (p.s[0] == '+' || p.s[0] == '-'):
		if !listed {
			return errCapSyntax
		}
		op = map[byte]byte{'+': 'P', '-': 'M'}[p.s[0]]
		p.s = p.s[1:]
	case op != '+' && op != '-' && op != '=':
		return errCapSyntax
	}
	flags := 0
	for {
		if p.s != "" && !isSpace(p.s[0]) {
			f := map[byte]int{'e': capFlagEff, 'i': capFlagInh, 'p': capFlagPerm}[p.s[0]]
			if f == 0 {
				return errCapSyntax
			}
			flags |= f
			p.s = p.s[1:]
		} else if op != '=' {
			return errors.New("only = may stand without flags")
		}
		p.apply(op, list, flags)
		if p.s != "" && (p.s[0] == '+' || p.s[0] == '-') {
			if !listed {
				return errCapSyntax
			}
			flags, op = 0, p.s[0]
			p.s = p.s[1:]
			if p.s == "" || !isAlpha(p.s[0]) {
				return errCapSyntax
			}
		}
		if p.s == "" || isSpace(p.s[0]) {
			return nil
		}
	}
}

func (p *capParser) apply(op byte, list uint64, flags int) {
	s := &p.set
	if op == '=' || op == 'P' || op == 'M' {
		s.eff &^= list
		s.perm &^= list
		s.inh &^= list
		if op == 'M' {
			op = '-'
		} else {
			op = '+'
		}
	}
	sets := []struct {
		flag int
		v    *uint64
	}{{capFlagEff, &s.eff}, {capFlagPerm, &s.perm}, {capFlagInh, &s.inh}}
	for _, x := range sets {
		if flags&x.flag == 0 {
			continue
		}
		if op == '+' {
			*x.v |= list
		} else {
			*x.v &^= list
		}
	}
}

// lookupCap reads one capability name, number or "all" at the start of s.
func lookupCap(s string) (uint64, string, error) {
	if isDigit(s[0]) {
		end := 0
		for end < len(s) && (isAlnum(s[end])) {
			end++
		}
		n, err := strconv.ParseUint(s[:end], 0, 64)
		if err != nil || n >= capMaxBits {
			return 0, "", errors.New("bad capability number " + strconv.Quote(s[:end]))
		}
		return 1 << n, s[end:], nil
	}
	end := 0
	for end < len(s) && (isAlpha(s[end]) || s[end] == '_') {
		end++
	}
	name := strings.ToLower(s[:end])
	if end < len(s) && isDigit(s[end]) {
		return 0, "", errors.New("unknown capability " + strconv.Quote(s[:end+1]))
	}
	if name == "all" {
		return capAllNamed, s[end:], nil
	}
	for n, cn := range capNames {
		if cn == name {
			return 1 << n, s[end:], nil
		}
	}
	return 0, "", errors.New("unknown capability " + strconv.Quote(s[:end]))
}

func isCapNameStart(c byte) bool { return isAlnum(c) || c == '_' }
func isAlpha(c byte) bool        { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool        { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool        { return isAlpha(c) || isDigit(c) }
func isSpace(c byte) bool        { return strings.IndexByte(" \t\n\r\v\f", c) >= 0 }
