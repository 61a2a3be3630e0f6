package license

import (
	"errors"
	"time"
)

// Collection is one recorded collection of a site: when it was taken and
// how large it was. The history store lists them; the report reads them
// to find the collection a report date rests on.
type Collection struct {
	ID          int64
	Site        string
	At          time.Time
	Users       int
	Allocations int
	// Changes is the number of per-user rows that changed since the
	// previous collection.
	Changes int
}

// ErrUnknownSite means the history has nothing for the named site. The
// store returns it and the report wraps it, so callers test one error
// whichever layer they call.
var ErrUnknownSite = errors.New("no history for this site (run licmon collect first)")
