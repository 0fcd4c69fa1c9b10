package direct

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotEnoughServers is matched (errors.Is) by a PlacementError: the
// shares could not be spread over shares.happy servers. It is the direct
// path's counterpart of the web API's "not enough storage servers".
var ErrNotEnoughServers = errors.New("not enough storage servers")

// PlacementError says how far a placement got and why not further. It
// names servers (nickname and short ID) and their problems, never a
// storage index, cap, swissnum or secret.
type PlacementError struct {
	Happiness int      // servers-of-happiness reached
	Happy     int      // shares.happy
	Reachable int      // servers usable for this object
	Known     int      // servers in the node directory with a NURL
	Problems  []string // per server or share, why it was not used
}

func (e *PlacementError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "direct: %v: %d of %d storage servers reachable, shares placed on %d (shares.happy = %d)",
		ErrNotEnoughServers, e.Reachable, e.Known, e.Happiness, e.Happy)
	if len(e.Problems) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(e.Problems, "; "))
	}
	return b.String()
}

// Is matches ErrNotEnoughServers.
func (e *PlacementError) Is(target error) bool { return target == ErrNotEnoughServers }
