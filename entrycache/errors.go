package entrycache

import (
	"errors"
	"fmt"

	"modernc.org/sqlite"
)

var (
	// ErrSchema reports a database this build cannot use: a newer or unknown
	// schema, or a file that is not an SQLite database. The wrapping error
	// says what to do about it.
	ErrSchema = errors.New("entrycache: unsupported cache database")

	// ErrDamaged reports a cache database SQLite found corrupt. The
	// wrapping error says to move it aside: a new cache costs a full upload
	// (and the list of backups, which the result file still has).
	ErrDamaged = errors.New("entrycache: cache database is damaged")

	// ErrLocked reports that another process holds the cache lock.
	ErrLocked = errors.New("entrycache: cache is locked by another run")

	// ErrNotFound reports that a backup, run or object does not exist.
	ErrNotFound = errors.New("entrycache: not found")

	// ErrOtherGrid reports that none of the storage servers the gateway is
	// connected to has ever been seen by this cache: its caps probably
	// belong to another grid.
	ErrOtherGrid = errors.New("entrycache: cache belongs to another grid")

	// ErrNoServers reports a grid check with no connected storage servers,
	// which can prove nothing about the grid's identity.
	ErrNoServers = errors.New("entrycache: gateway reports no connected storage servers")

	// ErrRunState reports an operation that does not fit the run's state,
	// such as finishing a run that already produced a backup.
	ErrRunState = errors.New("entrycache: run is not in a state that allows this")
)

// SQLite primary result codes that mean the file is damaged.
const (
	sqliteCorrupt = 11
	sqliteNotADB  = 26
)

// damaged adds ErrDamaged, with what to do, to an error SQLite raised
// because the file is corrupt; other errors pass unchanged.
func damaged(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		if c := se.Code() & 0xff; c == sqliteCorrupt || c == sqliteNotADB {
			return fmt.Errorf("%w (move the file aside and start a new cache; the next backup uploads everything again): %v", ErrDamaged, err)
		}
	}
	return err
}
