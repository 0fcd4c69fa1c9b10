package lifecycle

import (
	"crypto/sha256"
	"sync"

	"github.com/lafs-backup/lafs-backup/entrycache"
	"github.com/lafs-backup/lafs-backup/lafsapi"
)

// notRenewed are the flags of an object whose own lease a check did not
// renew: no verdict, or too few shares to be worth reusing. An unhealthy
// object (one storage node down, which is normal) did get its lease on
// the shares there are.
const notRenewed = FlagUnrecoverable | FlagFailed

// leases is what a check knows about the leases it renewed, for the cache
// rows (docs/lifecycle.md, What is recorded): by cap, never by generation.
type leases struct {
	mu sync.Mutex
	g  *graph // ModeRenew: every object reached, with its flags
	// ModeDeep: objects whose lease the deep-checks renewed; true when
	// the tree of a target holding it was walked completely.
	deep map[capKey]bool
}

func keyOfString(c string) capKey {
	sum := sha256.Sum256([]byte(c))
	var k capKey
	copy(k[:], sum[:])
	return k
}

func keyOf(c lafsapi.Cap) capKey { return keyOfString(c.Secret()) }

// addDeep records the objects one deep-check renewed; complete says its
// whole tree was walked with nothing left unrenewed.
func (l *leases) addDeep(keys []capKey, complete bool) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.deep == nil {
		l.deep = map[capKey]bool{}
	}
	for _, k := range keys {
		l.deep[k] = l.deep[k] || complete
	}
}

// object says whether the lease of the object with cap c was renewed.
func (l *leases) object(c string) bool {
	k := keyOfString(c)
	if l.g != nil {
		id, ok := l.g.lookupKey(k)
		return ok && l.g.flagsOf(id)&notRenewed == 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.deep[k]
	return ok
}

// subtree says whether the directory with cap c and everything below it
// had their leases renewed.
func (l *leases) subtree(c string) bool {
	k := keyOfString(c)
	if l.g != nil {
		id, ok := l.g.lookupKey(k)
		return ok && l.g.subtree(id)&(notRenewed|FlagIncomplete) == 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.deep[k]
}

func (l *leases) renewed() entrycache.Renewed {
	return entrycache.Renewed{Object: l.object, Subtree: l.subtree}
}
