package dirnode

import (
	"math"
	"strconv"
	"strings"
)

// pyFloatRepr formats f as Python 3's repr(float) (and so json.dumps)
// does: the shortest digits that round-trip, in positional notation when
// the decimal exponent is between -4 and 15 (with ".0" added to whole
// numbers), otherwise as d.ddde±XX with at least two exponent digits.
// NaN and infinities are "nan", "inf" and "-inf".
func pyFloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	// shortest round-trip digits, as d.ddde±X
	s := strconv.FormatFloat(f, 'e', -1, 64)
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	mant, expText, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expText)
	digits := strings.Replace(mant, ".", "", 1)
	if exp < -4 || exp >= 16 {
		return sign + pyExponent(digits, exp)
	}
	return sign + pyPositional(digits, exp)
}

func pyExponent(digits string, exp int) string {
	m := digits[:1]
	if len(digits) > 1 {
		m += "." + digits[1:]
	}
	esign := "+"
	if exp < 0 {
		esign, exp = "-", -exp
	}
	e := strconv.Itoa(exp)
	if len(e) < 2 {
		e = "0" + e
	}
	return m + "e" + esign + e
}

// pyPositional places the point after digit exp+1 (exp in -4..15).
func pyPositional(digits string, exp int) string {
	point := exp + 1
	switch {
	case point <= 0:
		return "0." + strings.Repeat("0", -point) + digits
	case point >= len(digits):
		return digits + strings.Repeat("0", point-len(digits)) + ".0"
	}
	return digits[:point] + "." + digits[point:]
}
