package collect

import (
	"github.com/go-json-experiment/json/jsontext"

	"github.com/licmon/licmon/internal/license"
)

// decodeListAs decodes the elements of the list dec is in as the collector
// decodes that kind of list (qrs.StreamFrom's loop, without HTTP), and
// returns their number.
func decodeListAs(dec *jsontext.Decoder, kind string) (int, error) {
	var decode interface{ UnmarshalJSONFrom(*jsontext.Decoder) error }
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
	for dec.PeekKind() == '{' {
		if err := decode.UnmarshalJSONFrom(dec); err != nil {
			return n(), err
		}
		if err := add(); err != nil {
			return n(), err
		}
	}
	return n(), nil
}
