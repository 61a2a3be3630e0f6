package collect

import (
	"bytes"

	"github.com/licmon/licmon/internal/jsonscan"
	"github.com/licmon/licmon/internal/license"
)

// decodeListBytes decodes a list's bytes as the collector decodes that
// kind of list (qrs.StreamFrom's loop, without HTTP), and returns the
// number of its elements.
func decodeListBytes(data []byte, kind string) (int, error) {
	var decode interface{ ScanFrom(*jsonscan.Scanner) error }
	var add func() error
	var n func() int
	switch kind {
	case "users":
		l := newUserList(20_000)
		decode, add, n = l, l.add, func() int { return len(l.out) }
	case "allocations":
		l := newAllocationList(license.Professional, newAllocationParts([3]int{20_000}).part(0))
		decode, add, n = l, l.add, func() int { return len(l.out) }
	default:
		l := newOwnedList()
		auth := newAuthoring()
		count := 0
		decode, add, n = l, func() error { auth.object(&l.o); count++; return nil }, func() int { return count }
	}
	sc := jsonscan.New(bytes.NewReader(data))
	err := sc.Array(func() error {
		if err := decode.ScanFrom(sc); err != nil {
			return err
		}
		return add()
	})
	return n(), err
}
