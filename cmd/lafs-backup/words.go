package main

import (
	"strconv"
	"strings"
)

// plural is "1 object", "2 objects", "1 directory", "0 directories": the
// count and the noun in the number it takes.
func plural[N ~int | ~int64](n N, noun string) string {
	return strconv.FormatInt(int64(n), 10) + " " + nounFor(int64(n), noun)
}

// nounFor is noun for a count of n: singular for 1, else its plural.
func nounFor(n int64, noun string) string {
	if n == 1 || n == -1 {
		return noun
	}
	switch {
	case strings.HasSuffix(noun, "y") && len(noun) > 1 && !strings.ContainsRune("aeiou", rune(noun[len(noun)-2])):
		return noun[:len(noun)-1] + "ies"
	case strings.HasSuffix(noun, "s"), strings.HasSuffix(noun, "x"), strings.HasSuffix(noun, "ch"), strings.HasSuffix(noun, "sh"):
		return noun + "es"
	}
	return noun + "s"
}
