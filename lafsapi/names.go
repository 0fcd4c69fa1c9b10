package lafsapi

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// ErrBadName is wrapped by every name validation error.
var ErrBadName = errors.New("lafsapi: invalid child name")

// ValidateName checks that name can be stored as a child name exactly as
// given: valid UTF-8 already in NFC form (the gateway NFC-normalises names,
// which would silently merge siblings), not empty, not "." or "..", and
// without "/". The uploader encodes other names before they get here.
func ValidateName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrBadName)
	case name == "." || name == "..":
		return fmt.Errorf("%w: %q", ErrBadName, name)
	case strings.Contains(name, "/"):
		return fmt.Errorf("%w: %q contains '/'", ErrBadName, name)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrBadName, name)
	case !norm.NFC.IsNormalString(name):
		return fmt.Errorf("%w: %q is not in Unicode NFC form (the gateway would store it as %q)",
			ErrBadName, name, norm.NFC.String(name))
	}
	return nil
}
