package storageapi

import "fmt"

// formatRedacted prints a secret-holding value for any verb: its GoString
// for %#v, its (redacted) String otherwise. Without it %x or %d would
// print the struct's fields.
func formatRedacted(f fmt.State, verb rune, v interface {
	fmt.Stringer
	fmt.GoStringer
}) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, v.GoString())
		return
	}
	fmt.Fprint(f, v.String())
}
