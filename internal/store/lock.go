package store

import (
	"errors"
	"fmt"
	"strings"
)

// ErrCollectRunning means another process is collecting the same site into
// the same store (LockCollect).
var ErrCollectRunning = errors.New("another licmon collect is running")

// LockCollect takes the collection lock of site in the store at dbPath, so
// that two collections of one site (two `licmon collect` runs, or one and
// `licmon serve`) do not race: the second would otherwise fail late with a
// locked database or an out-of-order snapshot. The lock is an OS file lock
// on dbPath.collect-SITE.lock, released by release or when the process
// ends, so a killed collection never leaves a stale lock. On a PostgreSQL
// store it is a session advisory lock instead, which holds across hosts. When another
// process holds it the error wraps ErrCollectRunning and says what to do.
func LockCollect(dbPath, site string) (release func(), err error) {
	var held bool
	if IsPostgres(dbPath) {
		release, held, err = lockCollectPostgres(dbPath, site)
	} else {
		release, held, err = lockFile(dbPath + ".collect-" + lockName(site) + ".lock")
	}
	if err != nil {
		return nil, fmt.Errorf("lock the collection of %s: %w", site, err)
	}
	if held {
		return nil, fmt.Errorf("%w for site %s (store %s); try again when it ends", ErrCollectRunning, site, RedactDSN(dbPath))
	}
	return release, nil
}

// lockName keeps the characters of a site name that are safe in a file
// name on every OS; others become '_'. Site names are case-insensitive.
func lockName(site string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(site) {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
