package main

import (
	"fmt"
	"math"
	"slices"
)

// sample is the values one figure took over its repetitions.
type sample []float64

func (s sample) sorted() []float64 { c := slices.Clone(s); slices.Sort(c); return c }

// median is the middle value (the mean of the two middle ones for an even
// count); NaN for no values.
func (s sample) median() float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	c := s.sorted()
	m := len(c) / 2
	if len(c)%2 == 1 {
		return c[m]
	}
	return (c[m-1] + c[m]) / 2
}

func (s sample) min() float64 { return slices.Min(s) }
func (s sample) max() float64 { return slices.Max(s) }

// format renders "median (min–max, n runs)" with prec decimals, or just
// the value for one run, or "–" for none.
func (s sample) format(prec int) string {
	switch len(s) {
	case 0:
		return "–"
	case 1:
		return fmt.Sprintf("%.*f (1 run)", prec, s[0])
	}
	return fmt.Sprintf("%.*f (%.*f–%.*f, %d runs)", prec, s.median(), prec, s.min(), prec, s.max(), len(s))
}

// ratio is a/b, NaN when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}
