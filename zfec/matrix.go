package zfec

import "errors"

// matrix is a dense rows×cols matrix over GF(2^8), row-major.
type matrix struct {
	rows, cols int
	m          []byte
}

func newMatrix(rows, cols int) *matrix {
	return &matrix{rows: rows, cols: cols, m: make([]byte, rows*cols)}
}

func (a *matrix) row(r int) []byte { return a.m[r*a.cols : (r+1)*a.cols] }

// vandermonde returns zfec's n×k starting matrix: row 0 evaluates at 0
// (1, 0, 0, ...) and row r >= 1 at α^(r-1), so that entry (r, c) is
// (α^(r-1))^c. The n points 0, α^0, ..., α^(n-2) are distinct for n <= 256,
// so any k rows are linearly independent.
func vandermonde(n, k int) *matrix {
	v := newMatrix(n, k)
	v.m[0] = 1
	for r := 1; r < n; r++ {
		row := v.row(r)
		for c := range row {
			row[c] = gfPow((r - 1) * c)
		}
	}
	return v
}

// mul returns a·b.
func (a *matrix) mul(b *matrix) *matrix {
	p := newMatrix(a.rows, b.cols)
	for r := range a.rows {
		out := p.row(r)
		for i, c := range a.row(r) {
			mulAddRow(out, b.row(i), c)
		}
	}
	return p
}

var errSingular = errors.New("singular matrix")

// inverse returns a⁻¹ of the square matrix a by Gauss-Jordan elimination.
// The inverse is unique, so the pivot order does not change the result.
func (a *matrix) inverse() (*matrix, error) {
	k := a.rows
	w := &matrix{rows: k, cols: k, m: append([]byte(nil), a.m...)}
	inv := newMatrix(k, k)
	for i := range k {
		inv.m[i*k+i] = 1
	}
	for col := range k {
		p := col
		for p < k && w.m[p*k+col] == 0 {
			p++
		}
		if p == k {
			return nil, errSingular
		}
		w.swapRows(p, col)
		inv.swapRows(p, col)
		scale := gfInv(w.m[col*k+col])
		scaleRow(w.row(col), scale)
		scaleRow(inv.row(col), scale)
		for r := range k {
			if c := w.m[r*k+col]; r != col && c != 0 {
				mulAddRow(w.row(r), w.row(col), c)
				mulAddRow(inv.row(r), inv.row(col), c)
			}
		}
	}
	return inv, nil
}

func (a *matrix) swapRows(i, j int) {
	if i == j {
		return
	}
	ri, rj := a.row(i), a.row(j)
	for c := range ri {
		ri[c], rj[c] = rj[c], ri[c]
	}
}

// mulAddRow sets dst ^= c·src, byte by byte. It serves the small matrix
// computations; block data goes through kernel.go.
func mulAddRow(dst, src []byte, c byte) {
	if c == 0 {
		return
	}
	lc := int(gfLog[c])
	for i, s := range src[:len(dst)] {
		if s != 0 {
			dst[i] ^= gfExp[lc+int(gfLog[s])]
		}
	}
}

func scaleRow(row []byte, c byte) {
	for i, x := range row {
		row[i] = gfMul(x, c)
	}
}
