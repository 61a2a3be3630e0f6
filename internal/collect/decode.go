package collect

import (
	"slices"

	"github.com/licmon/licmon/internal/jsonscan"
	"github.com/licmon/licmon/internal/license"
)

// The slim records decode themselves from qrs.StreamFrom's scanner
// (ScanFrom): the fields they keep are read, every other value is skipped
// (its syntax checked, nothing decoded), and no reflection runs per
// element. A 100k-user site sends ≈ 350 MB of lists, most of it nested
// objects no snapshot needs, so this is most of a collection's fetch CPU.
//
// Names are matched exactly, as QRS writes them (camelCase); a field the
// QRS does not send, or sends as null, keeps its zero value, as with
// encoding/json.

// ScanFrom decodes a /qrs/user/full element.
func (u *slimUser) ScanFrom(dec *jsonscan.Scanner) error {
	return u.decode(dec, nil)
}

// decode decodes a /qrs/user/full element, with st's interned strings
// when st is not nil. Its slices are appended to, so that a list's
// decoder can reuse their arrays.
func (u *slimUser) decode(dec *jsonscan.Scanner, st *decodeState) error {
	return dec.Object(func(name []byte) (err error) {
		switch string(name) {
		case "id":
			u.ID, err = str(dec)
		case "createdDate":
			err = u.CreatedDate.ScanFrom(dec)
		case "userId":
			u.UserID, err = str(dec)
		case "userDirectory":
			u.UserDirectory, err = st.str(dec)
		case "name":
			u.Name, err = str(dec)
		case "roles":
			err = dec.Array(func() error {
				r, err := st.str(dec)
				u.Roles = append(u.Roles, r)
				return err
			})
		case "inactive":
			u.Inactive, err = dec.Bool()
		case "removedExternally":
			u.RemovedExternally, err = dec.Bool()
		case "blacklisted":
			u.Blacklisted, err = dec.Bool()
		case "tags":
			err = dec.Array(func() error {
				var t tag
				err := dec.Object(func(name []byte) (err error) {
					if string(name) == "name" {
						t.Name, err = st.str(dec)
						return err
					}
					return dec.Skip()
				})
				u.Tags = append(u.Tags, t)
				return err
			})
		case "customProperties":
			err = dec.Array(func() error {
				var cp customPropertyValue
				err := dec.Object(func(name []byte) (err error) {
					switch string(name) {
					case "value":
						cp.Value, err = st.str(dec)
					case "definition":
						err = dec.Object(func(name []byte) (err error) {
							if string(name) == "name" {
								cp.Definition.Name, err = st.str(dec)
								return err
							}
							return dec.Skip()
						})
					default:
						err = dec.Skip()
					}
					return err
				})
				u.CustomProperties = append(u.CustomProperties, cp)
				return err
			})
		default:
			err = dec.Skip()
		}
		return err
	})
}

// ScanFrom decodes a /qrs/license/…accesstype/full element.
func (a *slimAllocation) ScanFrom(dec *jsonscan.Scanner) error {
	return a.decode(dec, nil)
}

// decode decodes a /qrs/license/…accesstype/full element, with st's
// interned strings and its user record when st is not nil.
func (a *slimAllocation) decode(dec *jsonscan.Scanner, st *decodeState) error {
	return dec.Object(func(name []byte) (err error) {
		switch string(name) {
		case "id":
			a.ID, err = str(dec)
		case "createdDate":
			err = a.CreatedDate.ScanFrom(dec)
		case "user":
			if dec.Peek() == 'n' {
				return dec.Null()
			}
			var u *allocationUser
			if st != nil {
				st.user = allocationUser{}
				u = &st.user
			} else {
				u = &allocationUser{}
			}
			a.User = u
			err = dec.Object(func(name []byte) (err error) {
				switch string(name) {
				case "id":
					u.ID, err = str(dec)
				case "userId":
					u.UserID, err = str(dec)
				case "userDirectory":
					u.UserDirectory, err = st.str(dec)
				default:
					err = dec.Skip()
				}
				return err
			})
		case "lastUsed":
			err = a.LastUsed.ScanFrom(dec)
		case "excess":
			a.Excess, err = dec.Bool()
		case "quarantined":
			a.Quarantined, err = dec.Bool()
		case "quarantineEnd":
			err = a.QuarantineEnd.ScanFrom(dec)
		case "deletedUserId":
			a.DeletedUserID, err = str(dec)
		case "deletedUserDirectory":
			a.DeletedUserDirectory, err = st.str(dec)
		default:
			err = dec.Skip()
		}
		return err
	})
}

// ScanFrom decodes an app, app object or data connection element.
func (o *owned) ScanFrom(dec *jsonscan.Scanner) error {
	return o.decode(dec, nil)
}

// decode decodes an app, app object or data connection element, with st's
// interned owner IDs and its owner record when st is not nil.
func (o *owned) decode(dec *jsonscan.Scanner, st *decodeState) error {
	return dec.Object(func(name []byte) (err error) {
		switch string(name) {
		case "owner":
			if dec.Peek() == 'n' {
				return dec.Null()
			}
			var ow *owner
			if st != nil {
				st.owner = owner{}
				ow = &st.owner
			} else {
				ow = &owner{}
			}
			o.Owner = ow
			err = dec.Object(func(name []byte) (err error) {
				if string(name) == "id" {
					ow.ID, err = st.str(dec)
					return err
				}
				return dec.Skip()
			})
		case "createdDate":
			err = o.CreatedDate.ScanFrom(dec)
		case "modifiedDate":
			err = o.ModifiedDate.ScanFrom(dec)
		case "published":
			o.Published, err = dec.Bool()
		case "publishTime":
			err = o.PublishTime.ScanFrom(dec)
		default:
			err = dec.Skip()
		}
		return err
	})
}

// decodeState is what the decoder of one list reuses from one element to
// the next: the strings many elements repeat (user directories, roles, tag
// and custom property names, owner IDs), kept once instead of once per
// element, and the nested records the conversion copies out of.
type decodeState struct {
	strs    map[string]string
	maxStrs int // strings interned at most: a list of unique values stops growing the table
	user    allocationUser
	owner   owner
}

func newDecodeState(maxStrs int) *decodeState {
	return &decodeState{strs: map[string]string{}, maxStrs: maxStrs}
}

// str reads a string as str does, the same string for the same value while
// the table has room; a nil st reads it as str does.
func (st *decodeState) str(dec *jsonscan.Scanner) (string, error) {
	if st == nil {
		return str(dec)
	}
	b, err := dec.String()
	if err != nil || len(b) == 0 {
		return "", err
	}
	if s, ok := st.strs[string(b)]; ok {
		return s, nil
	}
	s := string(b)
	if len(st.strs) < st.maxStrs {
		st.strs[s] = s
	}
	return s, nil
}

// str reads a string; null is "".
func str(dec *jsonscan.Scanner) (string, error) {
	b, err := dec.String()
	return string(b), err
}

// userList decodes /qrs/user/full into the snapshot's users, one element
// at a time (qrs.StreamFrom), reusing its slim record's arrays.
type userList struct {
	st  *decodeState
	u   slimUser
	out []license.User
}

// newUserList expects about n users (the user count): the list is
// allocated once instead of growing, and copied, a dozen times.
func newUserList(n int) *userList {
	l := &userList{st: newDecodeState(maxInterned)}
	if c := capHint(n); c > 0 {
		l.out = make([]license.User, 0, c)
	}
	return l
}

func (l *userList) ScanFrom(dec *jsonscan.Scanner) error {
	l.u = slimUser{Roles: l.u.Roles[:0], Tags: l.u.Tags[:0], CustomProperties: l.u.CustomProperties[:0]}
	return l.u.decode(dec, l.st)
}

func (l *userList) add() error {
	l.out = append(l.out, user(&l.u))
	return nil
}

// allocationList decodes a /qrs/license/…accesstype/full list into the
// snapshot's allocations of one type.
type allocationList struct {
	st  *decodeState
	typ license.Type
	a   slimAllocation
	out []license.Allocation
}

// newAllocationList appends to out, an empty slice whose capacity is
// what the list is expected to need (allocationParts.part).
func newAllocationList(typ license.Type, out []license.Allocation) *allocationList {
	return &allocationList{st: newDecodeState(maxInterned), typ: typ, out: out}
}

// allocationParts are consecutive parts of one array, one for each of the
// three allocation lists in the snapshot's order, each sized for the
// number of allocations the overview counts: joined, the lists move within
// the array instead of being copied into a new one (100k users: 15 MB
// neither allocated nor copied).
type allocationParts struct {
	whole []license.Allocation
	parts [3][]license.Allocation
}

func newAllocationParts(sizes [3]int) *allocationParts {
	p := &allocationParts{}
	total := 0
	for _, n := range sizes {
		total += capHint(n)
	}
	if total == 0 {
		return p
	}
	p.whole = make([]license.Allocation, total)
	from := 0
	for i, n := range sizes {
		n = capHint(n)
		p.parts[i] = p.whole[from:from:(from + n)]
		from += n
	}
	return p
}

// part is the empty slice list i appends to.
func (p *allocationParts) part(i int) []license.Allocation { return p.parts[i] }

// join is the lists one after the other: moved within the array when each
// is still in its part, copied into a new one when one outgrew its part
// (allocations were added while the lists were read). It is nil when all
// are empty.
func (p *allocationParts) join(lists [3][]license.Allocation) []license.Allocation {
	for i, l := range lists {
		if len(l) > 0 && (cap(p.parts[i]) == 0 || &l[0] != &p.parts[i][:1][0]) {
			return slices.Concat(lists[:]...)
		}
	}
	n := 0
	for _, l := range lists {
		n += copy(p.whole[n:], l) // to the left or in place: copy allows the overlap
	}
	if n == 0 {
		return nil
	}
	return p.whole[:n:n]
}

func (l *allocationList) ScanFrom(dec *jsonscan.Scanner) error {
	l.a = slimAllocation{}
	return l.a.decode(dec, l.st)
}

func (l *allocationList) add() error {
	l.out = append(l.out, allocation(l.typ, &l.a))
	return nil
}

// ownedList decodes apps, app objects or data connections one at a time
// into o, which is valid until the next element.
type ownedList struct {
	st *decodeState
	o  owned
}

// newOwnedList interns owner IDs: a site has far fewer owners than
// objects, and the authoring summary keeps every owner's ID anyway.
func newOwnedList() *ownedList { return &ownedList{st: newDecodeState(maxOwners)} }

func (l *ownedList) ScanFrom(dec *jsonscan.Scanner) error {
	l.o = owned{}
	return l.o.decode(dec, l.st)
}

const (
	// maxInterned bounds the strings a user or allocation list interns:
	// directories, roles, tags and custom properties are a few hundred
	// values on any site.
	maxInterned = 4096
	// maxOwners bounds the owner IDs an app or object list interns.
	maxOwners = 1 << 18
	// maxCapHint bounds a list's preallocation, should a count be absurd.
	maxCapHint = 1 << 20
)

// capHint is the capacity to allocate for a list expected to have n
// elements: n and a little for those added while it is read, at most
// maxCapHint.
func capHint(n int) int {
	if n <= 0 {
		return 0
	}
	return min(n+n/64+16, maxCapHint)
}
