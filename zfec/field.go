package zfec

// GF(2^8) as zfec builds it (see docs/zfec.md): elements are bytes, addition
// is XOR, and multiplication is modulo the primitive polynomial
// x^8 + x^4 + x^3 + x^2 + 1 (0x11d), whose root α = 2 generates the
// multiplicative group. zfec's fec.c spells the polynomial "101110001",
// lowest power first.
const poly = 0x11d

// gfExp[i] = α^i for 0 <= i < 510: doubled so that gfExp[log a + log b]
// needs no reduction modulo 255. gfLog is its inverse on non-zero bytes.
var gfExp, gfLog = logTables()

func logTables() (exp [510]byte, log [256]byte) {
	x := 1
	for i := range 255 {
		exp[i] = byte(x)
		exp[i+255] = byte(x)
		log[x] = byte(i)
		x <<= 1
		if x&0x100 != 0 {
			x ^= poly
		}
	}
	return exp, log
}

// gfMul returns a·b.
func gfMul(a, b byte) byte {
	if a == 0 || b == 0 {
		return 0
	}
	return gfExp[int(gfLog[a])+int(gfLog[b])]
}

// gfInv returns the multiplicative inverse of a, which must not be 0.
func gfInv(a byte) byte {
	return gfExp[255-int(gfLog[a])]
}

// gfPow returns α^e.
func gfPow(e int) byte {
	return gfExp[e%255]
}
